"""store.batch.insert_rows (COPY on PostgreSQL, the driver's executemany on SQLite) stores exactly what a
SQLAlchemy Core insert stores, and the database's refusals reach the ingestor as SQLAlchemy's errors."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, select, text, update

from data_sources.store.batch import KeyedQuery, insert_rows, plan_for_current_tables, update_by_key
from data_sources.store.database import make_engine, session_factory
from data_sources.store.models import Complaint, ComplaintStatusEvent, PersonalComplaintReporter

pytestmark = pytest.mark.integration

WIB = dt.timezone(dt.timedelta(hours=7))
AWKWARD_TEXTS = ["", "\\N", "tab\there", "line\nbreak\r\n", "back\\slash", "quote ' and \"", "Jl. Darmo № 5 — ✓", None]


def _complaint(n: int, prefix: str) -> dict:
    created = dt.datetime(2026, 11, 3, 8, 15, 30, 123456, tzinfo=WIB) + dt.timedelta(minutes=n)
    # status, reopened_count and is_open are left out: their column defaults apply, as on a Core insert
    return dict(
        complaint_id=f"{prefix}{n}",
        created_event_id=f"event-{n}",
        channel="whatsapp",
        category="drainage",
        created_opd="DSDABM" if n % 2 else None,
        opd="DSDABM",
        kecamatan_code="35.78.01" if n % 3 else None,
        kelurahan_code=None,
        location_method="code",
        lat=-7.2575 + n / 1e6 if n % 2 else None,
        lon=112.7521,
        sla_hours=24.0,
        created_at=created,
        due_at=(created + dt.timedelta(hours=24)).astimezone(dt.UTC),
        status_at=created,
        first_response_at=created + dt.timedelta(seconds=90.5) if n % 2 else None,
        first_response_channel="phone" if n % 2 else None,
        resolved_at=None,
        updated_at=dt.datetime(2026, 11, 3, 1, 0, tzinfo=dt.UTC),
    )


def _stored(engine, table, key: str, prefix: str) -> list[tuple]:
    """The rows as the database holds them (SQLite: the raw text of its times), the key's prefix removed."""
    columns = [c.name for c in table.columns if c.name != key]
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT {key}, {', '.join(columns)} FROM {table.name} WHERE {key} LIKE :p ORDER BY {key}"),
            {"p": f"{prefix}%"},
        ).all()
    return [(r[0][len(prefix) :], *r[1:]) for r in rows]


def test_insert_rows_stores_what_a_core_insert_stores(engine):
    table = Complaint.__table__
    sessions = session_factory(engine)
    with sessions.begin() as session:
        insert_rows(session, Complaint, [_complaint(n, "copy-") for n in range(len(AWKWARD_TEXTS))])
        session.execute(insert(table), [_complaint(n, "core-") for n in range(len(AWKWARD_TEXTS))])
        people = [
            dict(complaint_id=f"{prefix}{n}", name=t, phone=None, email=None, nik=None, address=t, text=t)
            for prefix in ("copy-", "core-")
            for n, t in enumerate(AWKWARD_TEXTS)
        ]
        insert_rows(session, PersonalComplaintReporter, [p for p in people if p["complaint_id"].startswith("copy-")])
        session.execute(
            insert(PersonalComplaintReporter.__table__), [p for p in people if p["complaint_id"].startswith("core-")]
        )
    copied, core = _stored(engine, table, "complaint_id", "copy-"), _stored(engine, table, "complaint_id", "core-")
    assert copied == core and len(copied) == len(AWKWARD_TEXTS)
    # the defaults and the generated duration columns are there, not NULL
    status, reopened, is_open = (list(table.columns).index(table.c[n]) for n in ("status", "reopened_count", "is_open"))
    assert {(r[status], r[reopened], bool(r[is_open])) for r in copied} == {("received", 0, True)}
    first_s = list(table.columns).index(table.c.first_response_s)
    assert sorted({r[first_s] for r in copied}, key=str) == [90.5, None]
    reporters = PersonalComplaintReporter.__table__
    assert _stored(engine, reporters, "complaint_id", "copy-") == _stored(engine, reporters, "complaint_id", "core-")
    with engine.connect() as conn:
        texts = conn.execute(
            select(reporters.c.text).where(reporters.c.complaint_id.like("copy-%")).order_by(reporters.c.complaint_id)
        ).scalars()
        assert list(texts) == AWKWARD_TEXTS  # every awkward text back as it went in, "" apart from NULL


def test_a_row_the_database_refuses_raises_sqlalchemys_error_and_the_session_goes_on(engine):
    sessions = session_factory(engine)
    with sessions.begin() as session:
        insert_rows(session, Complaint, [_complaint(1, "dup-")])
    with pytest.raises(sa_exc.IntegrityError):
        with sessions.begin() as session:
            insert_rows(session, Complaint, [_complaint(2, "dup-"), _complaint(1, "dup-")])
    if engine.dialect.name == "postgresql":  # SQLite does not enforce a VARCHAR's length
        too_long = dict(_complaint(3, "long-"), channel="x" * 17)
        with pytest.raises(sa_exc.DataError):
            with sessions.begin() as session:
                insert_rows(session, Complaint, [too_long])
    with pytest.raises(sa_exc.StatementError):
        with sessions.begin() as session:
            insert_rows(session, Complaint, [dict(_complaint(4, "naive-"), created_at=dt.datetime(2026, 11, 3))])
    # nothing of the refused batches was kept, and the same sessions store the next batch
    with sessions.begin() as session:
        insert_rows(
            session,
            ComplaintStatusEvent,
            [
                dict(
                    event_id="s1",
                    complaint_id="dup-1",
                    status="responded",
                    opd=None,
                    reply_channel=None,
                    occurred_at=dt.datetime(2026, 11, 3, tzinfo=dt.UTC),
                )
            ],
        )
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT complaint_id FROM complaints ORDER BY complaint_id")).scalars().all()
        assert ids == ["dup-1"]
        assert conn.execute(text("SELECT count(*) FROM complaint_status_events")).scalar_one() == 1


def test_update_by_key_stores_what_a_core_update_stores(engine):
    table = Complaint.__table__
    sessions = session_factory(engine)
    answered = dt.datetime(2026, 11, 3, 9, 0, 0, 500000, tzinfo=WIB)
    change = dict(
        status="responded", first_response_at=answered, first_response_channel="phone", reopened_count=2, is_open=False
    )
    with sessions.begin() as session:
        insert_rows(session, Complaint, [_complaint(n, prefix) for prefix in ("by-key-", "core-") for n in (1, 2)])
        update_by_key(session, table, "complaint_id", [dict(complaint_id="by-key-1", **change)])
        session.execute(update(table).where(table.c.complaint_id == "core-1").values(**change))
    by_key, core = _stored(engine, table, "complaint_id", "by-key-"), _stored(engine, table, "complaint_id", "core-")
    assert by_key == core and by_key[0] != by_key[1]  # the same stored text or values; the other row untouched
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.complaint_id == "by-key-1")).one()
    assert (row.status, row.first_response_at, row.is_open, row.reopened_count) == ("responded", answered, False, 2)
    assert row.first_response_s == round((answered - _complaint(1, "")["created_at"]).total_seconds(), 3)  # to the ms


def test_keys_and_values_of_any_text_reach_the_database_intact_through_arrays(engine):
    """KeyedQuery sends the keys as one array (PostgreSQL) or one JSON text (SQLite), update_by_key each column
    as one array written out as its text (PostgreSQL): every text arrives as it was sent."""
    table = Complaint.__table__
    sessions = session_factory(engine)
    keys = [t for t in AWKWARD_TEXTS if t is not None] + ["{brace,comma}", "NULL", " spaced ", "ends in \\"]
    answered = dt.datetime(2026, 11, 3, 9, 0, 0, 500000, tzinfo=WIB)
    changes = [
        dict(
            complaint_id=key,
            opd=AWKWARD_TEXTS[n % len(AWKWARD_TEXTS)],
            first_response_at=answered + dt.timedelta(minutes=n) if n % 3 else None,
            reopened_count=n,
            is_open=bool(n % 2),
        )
        for n, key in enumerate(keys)
    ]
    with sessions.begin() as session:
        insert_rows(session, Complaint, [_complaint(n, "") | {"complaint_id": key} for n, key in enumerate(keys)])
        update_by_key(session, table, "complaint_id", changes)
        found = set(_BY_KEY(session, keys).scalars())
        none = list(_BY_KEY(session, ["x"]).scalars())
    assert found == set(keys) and none == []
    with engine.connect() as conn:
        stored = {
            r.complaint_id: dict(r._mapping) for r in conn.execute(select(*(table.c[name] for name in changes[0])))
        }
    assert [stored[c["complaint_id"]] for c in changes] == changes


_BY_KEY = KeyedQuery(lambda keys_in: select(Complaint.complaint_id).where(keys_in(Complaint.complaint_id)))


def test_a_keyed_query_looks_keys_up_in_the_index(engine):
    """A batch's lookups by key (event ids, complaint ids) must not scan a table that grows without end."""
    sessions = _analyzed_complaints(engine, "indexed-", 20000)
    with sessions.begin() as session:
        keys = [f"indexed-{n}" for n in range(0, 20000, 400)]
        plan = _plan(session, _BY_KEY, keys)
    if engine.dialect.name == "postgresql":
        assert any("Index" in line for line in plan) and not any("Seq Scan" in line for line in plan), plan
    else:
        assert any(line.startswith("SEARCH complaints USING") for line in plan), plan
        assert not any(line.startswith("SCAN complaints") for line in plan), plan


def _analyzed_complaints(engine, prefix: str, count: int):
    """`count` complaints stored and the table's statistics taken; the engine's sessions."""
    sessions = session_factory(engine)
    with sessions.begin() as session:
        insert_rows(session, Complaint, [_complaint(n, prefix) for n in range(count)])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE complaints"))
    return sessions


def _plan(session, query: KeyedQuery, keys: list[str]) -> list[str]:
    """The database's plan of the query for these keys, asked in the session's transaction (its settings apply)."""
    engine = session.get_bind()
    compiled = query.statement(session).params(keys=query.keys_value(session, keys)).compile(engine)
    cursor = session.connection().connection.driver_connection.cursor()
    if engine.dialect.name == "postgresql":
        cursor.execute(f"EXPLAIN {compiled}", compiled.params)
        return [row[0] for row in cursor.fetchall()]
    cursor.execute(f"EXPLAIN QUERY PLAN {compiled}", [compiled.params[k] for k in compiled.positiontup])
    return [row[3] for row in cursor.fetchall()]


def test_a_batch_looks_hundreds_of_keys_up_in_the_index_of_a_young_table(postgres_engine):
    """At PostgreSQL's default costs a batch's ~700 event ids against 30,000 rows were planned as a scan of the
    whole table (9-22 ms a batch at 100,000 rows); the batch's transaction plans them as index lookups.
    PostgreSQL's planner only: SQLite's lookups are checked by the test above."""
    sessions = _analyzed_complaints(postgres_engine, "young-", 30000)
    keys = [f"young-{n}" for n in range(0, 30000, 43)]  # 698 keys, as many as a batch's events
    creators = KeyedQuery(
        lambda keys_in: select(Complaint.complaint_id, Complaint.created_event_id).where(
            keys_in(Complaint.complaint_id)
        )
    )
    with sessions.begin() as session:
        plan_for_current_tables(session)
        in_batch = _plan(session, creators, keys)
    assert any("Index" in line for line in in_batch) and not any("Seq Scan" in line for line in in_batch), in_batch
    with sessions.begin() as session:
        # the settings are the batch transaction's own (SET LOCAL): the dashboard's queries keep the server's
        assert session.execute(text("SHOW enable_seqscan")).scalar() == "on"


def test_sqlite_copies_its_wal_into_the_file_every_10000_pages_not_every_1000(tmp_path):
    """Fewer, larger checkpoints (store.database.make_engine): 20 MB written in one commit stay in the WAL."""
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10000
            conn.exec_driver_sql("CREATE TABLE filler (body BLOB)")
        with engine.begin() as conn:
            # about 5,000 pages of 4 kB: past SQLite's default threshold, within ours
            conn.exec_driver_sql(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
                " INSERT INTO filler SELECT randomblob(4000) FROM n"
            )
        wal = tmp_path / "wal.db-wal"
        assert wal.stat().st_size > 19_000_000  # the commit's pages are in the log
        assert path.stat().st_size < 1_000_000  # and were not copied into the file at the commit
    finally:
        engine.dispose()
