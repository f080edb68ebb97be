"""What a batch of the ingestor is made of (accepted events, refused entries, the result) and the row
helpers every table's writer uses: dialect upserts, bulk inserts, updates by key."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

import orjson
from sqlalchemy import Text, any_, bindparam, cast, func, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dashboard import events as ev
from data_sources.store.models import UTCDateTime


class Accepted(NamedTuple):
    """A stream entry whose event passed validation (a named tuple: one is made for every event)."""

    stream: str
    entry_id: str
    event: ev.Event
    fingerprint: str


@dataclass(frozen=True)
class Refused:
    """A stream entry that goes to the dead-letter stream."""

    stream: str
    entry_id: str
    raw: str
    reason: str


def entry_text(raw: bytes | str) -> str:
    """A stream entry's event as a dead-letter row keeps it: text (bytes that are not UTF-8 replaced), cut at
    the contract's size limit. Decoded only for an entry refused: most never are."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text[: ev.MAX_EVENT_BYTES]


@dataclass
class BatchResult:
    stored: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    duplicates: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: list[Refused] = field(default_factory=list)


def dialect_insert(session: Session, model):
    """An INSERT with the dialect's ON CONFLICT clauses, on the model's table (Core, not the ORM)."""
    return (postgresql.insert if _on_postgresql(session) else sqlite.insert)(model.__table__)


def personal_values(**values) -> dict | None:
    return values if any(v is not None for v in values.values()) else None


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys) into the model's table (or a Table), in the session's transaction.

    What a Core insert would store (each column's own conversion, scalar defaults, the database's own for
    the rest), without its per-row parameter handling, which cost more than the database's work:
    - PostgreSQL: one COPY per call, which the server loads without parsing, planning and executing a
      statement per row (1.4-1.7x faster than an executemany; multi-row VALUES or unnest() saved nothing);
    - SQLite: the driver's executemany (a loop in C) of values converted a column at a time.
    """
    if not rows:
        return
    table = getattr(model, "__table__", model)
    conn = session.connection()
    dialect = conn.dialect
    names = list(rows[0])
    defaults = {c.name: c.default for c in table.columns if c.name not in names and c.default is not None}
    if not all(d.is_scalar for d in defaults.values()):  # none in the models: a value known once per batch
        raise TypeError(f"insert_rows: {table.name} has a callable column default; give its values")
    values = _converted(table, names, rows, dialect, constants=[d.arg for d in defaults.values()])
    quote = dialect.identifier_preparer.quote
    columns = [*names, *defaults]
    column_list = ", ".join(quote(n) for n in columns)
    if dialect.name == "postgresql":
        _copy(conn, f"COPY {dialect.identifier_preparer.format_table(table)} ({column_list}) FROM STDIN", values)
    else:
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({column_list}) VALUES ({marks})", values)


def _converted(table, names: list[str], rows: list[dict], dialect, constants=()) -> list[tuple]:
    """The rows' values of `names` as tuples, converted a column at a time as a Core statement would convert
    them, then the constants; a value no column type can convert is reported as SQLAlchemy reports it."""
    pick = itemgetter(*names)
    columns = list(zip(*(pick(row) for row in rows))) if len(names) > 1 else [[row[names[0]] for row in rows]]
    for i, name in enumerate(names):
        convert = _converter(table.c[name].type, dialect)
        if convert is not None:
            try:
                columns[i] = list(map(convert, columns[i]))
            except (ValueError, TypeError) as error:
                raise sa_exc.StatementError(f"{table.name}.{name}: {error}", None, None, error) from error
    columns += [[value] * len(rows) for value in constants]
    return list(zip(*columns))


def _converter(type_, dialect):
    """A column's value conversion on the way in, as a Core insert applies it (None: the value as it is).

    UTC times on SQLite are formatted here directly (the same text as SQLAlchemy's, see UTCDateTime): its
    two-step conversion per value was a fifth of the ingest's time there."""
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _sqlite_utc_text
    if dialect.name == "postgresql" and isinstance(type_, UTCDateTime):
        return _aware  # timestamptz keeps the instant whatever the offset: nothing to convert, only to check
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _aware(value):
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value


# One cache for every column and every batch: an event's time goes into several rows (its processed-event row
# and its complaint or status row), and a complaint's lifecycle times repeat its events' times; 16,384 times
# are a few batches' worth. Equal instants share an entry, whatever their offset: their UTC text is the same.
@functools.lru_cache(maxsize=16_384)
def _sqlite_utc_text(value):
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    # SQLAlchemy's storage format for SQLite's DATETIME; %-formatting takes 0.7 us, an f-string 1.3, isoformat 1.1
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def _copy(conn, statement: str, values: list[tuple]) -> None:
    """COPY ... FROM STDIN through the session's own driver connection (its transaction); a driver error
    becomes SQLAlchemy's (IntegrityError, DataError, OperationalError, ...) as for any other statement, so
    the ingestor's one-by-one retry and its backoff treat it alike."""
    import psycopg

    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.Error as error:
        raise sa_exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error
    finally:
        cursor.close()


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _array(column, values: list):
    """The values as one PostgreSQL array of the column's type, for `unnest` in a FROM clause (evaluated once).

    Sent as the array's text, written here: the driver's per-element quoting (a regular expression per value)
    cost more than the updates the arrays feed. Values of other kinds take the driver's way. Not for a WHERE
    clause: a cast from text is not folded into a constant, so a scan would parse it for every row."""
    literal = _array_literal(values)
    if literal is None:
        return _typed_array(column, values)
    return cast(bindparam(None, literal, type_=Text()), postgresql.ARRAY(column.type))


def _typed_array(column, values: list):
    """The values as one PostgreSQL array parameter of the column's type, quoted by the driver."""
    array_type = postgresql.ARRAY(column.type)
    return cast(bindparam(None, values, type_=array_type), array_type)


def _array_literal(values: list) -> str | None:
    """PostgreSQL's text form of an array of text, integers, booleans and aware times (None: another kind)."""
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        elif isinstance(value, str):
            parts.append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif isinstance(value, bool):
            parts.append("t" if value else "f")
        elif isinstance(value, int):
            parts.append(str(value))
        elif isinstance(value, dt.datetime) and value.tzinfo is not None:
            parts.append(value.isoformat())
        else:
            return None
    return "{" + ",".join(parts) + "}"


def plan_for_current_tables(session: Session) -> None:
    """On PostgreSQL, plan this transaction's statements for its arguments and the tables as they are now.

    The driver prepares a statement run often, and the server may then keep one generic plan for it. A plan
    kept while a table was small (a new database, before autovacuum's first ANALYZE) scans the whole table
    for every batch long after it has grown; planning a batch's few lookups afresh costs far less.

    Every statement of a batch looks up, inserts or updates the batch's own keys, so a scan of a whole table
    is never the right plan for it. Yet at the server's default costs (random_page_cost 4, priced for
    spinning disks) and a young table's statistics, the planner chose full scans for a batch's few hundred
    key lookups in tables of 30,000 to some millions of rows: 9-22 ms a lookup at 100,000 rows, 2-5 ms
    through the index. So the batch's transaction disables sequential scans and prices index pages as the
    memory reads they are (1.1, the usual setting for SSDs and cached tables); one statement sets all three.
    """
    if _on_postgresql(session):
        session.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
                " set_config('random_page_cost', '1.1', true),"
                " set_config('enable_seqscan', 'off', true)"
            )
        )


class KeyedQuery:
    """A query over a batch's keys, built once per database kind and run for every batch.

    `build(keys_in)` returns the statement, where `keys_in(column)` is `column IN (the keys)` with the keys as
    one parameter: one statement text for every batch, which the database parses and plans once, instead of a
    parameter per key. On PostgreSQL `column = ANY(array)`, on SQLite the keys as a JSON array (`IN (SELECT
    value FROM json_each(?))`), looked up in the column's index all the same. The keys are text (identifiers
    of validated events).

    Built anew for every batch, a statement (its clauses, its cache key) cost 0.3 ms, more than looking 700
    keys up; a batch runs ~10 such lookups. They run on the session's connection, not through the ORM.
    """

    def __init__(self, build):
        self.build = build
        self._statements: dict[str, object] = {}

    def statement(self, session: Session):
        """The statement for the session's database; its keys parameter is named `keys`."""
        name = session.get_bind().dialect.name
        statement = self._statements.get(name)
        if statement is None:
            statement = self._statements[name] = self.build(functools.partial(_keys_in, name))
        return statement

    @staticmethod
    def keys_value(session: Session, keys) -> list[str] | str:
        """The value of the `keys` parameter: a list on PostgreSQL, its JSON text on SQLite."""
        keys = list(keys)
        return keys if _on_postgresql(session) else orjson.dumps(keys).decode()

    def __call__(self, session: Session, keys):
        return session.connection().execute(self.statement(session), {"keys": self.keys_value(session, keys)})


def locked_rows(table, key: str, columns: list[str]) -> KeyedQuery:
    """These columns of the table's rows with the given keys, locked in the order of their keys (PostgreSQL):
    two ingestors bringing the same rows up to date take turns, and never deadlock."""
    return KeyedQuery(
        lambda keys_in: (
            select(*(table.c[name] for name in columns))
            .where(keys_in(table.c[key]))
            .order_by(table.c[key])
            .with_for_update()
        )
    )


def _keys_in(dialect_name: str, column):
    if dialect_name == "postgresql":
        # a typed array parameter: the planner sees its value and looks each key up in the index, where the
        # array's text cast in the statement (as update_by_key sends it) would be parsed again for every row
        array_type = postgresql.ARRAY(column.type)
        return column == any_(cast(bindparam("keys", type_=array_type), array_type))
    each = func.json_each(bindparam("keys", type_=Text())).table_valued("value")
    return column.in_(select(each.c.value))


def update_by_key(session: Session, table, key: str, rows: list[dict]) -> None:
    """Update rows by key; the rows carry the key and the new values. On PostgreSQL one UPDATE ... FROM the
    rows as arrays (one statement for the batch); on SQLite, in process, the driver's executemany."""
    if not rows:
        return
    if _on_postgresql(session):
        new = select(*(func.unnest(_array(table.c[name], [row[name] for row in rows])).label(name) for name in rows[0]))
        new = new.subquery("new")
        statement = (
            update(table)
            .where(table.c[key] == new.c[key])
            .values({name: new.c[name] for name in rows[0] if name != key})
        )
        session.execute(statement)
        return
    # SQLite: the driver's executemany of values converted a column at a time (as insert_rows)
    dialect = session.get_bind().dialect
    names = [name for name in rows[0] if name != key]
    quote = dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(name)} = ?" for name in names)
    session.connection().exec_driver_sql(
        f"UPDATE {quote(table.name)} SET {assignments} WHERE {quote(key)} = ?",
        _converted(table, [*names, key], rows, dialect),
    )
