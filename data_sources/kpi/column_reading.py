"""How the column copy (kpi.columns) reads a table: which columns, converted how, and by what path.

PostgreSQL sends the rows by COPY in its text form, parsed by pandas' C reader in chunks (ten million rows in
tens of seconds instead of minutes of Python per value); SQLite's rows come through the driver.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import BigInteger, Integer, cast, extract, func, literal_column, select
from sqlalchemy.engine import Connection

from data_sources.store.models import Complaint, Incident

NEVER = np.iinfo(np.int64).max  # a time that is NULL: after every `now`
CHUNK = 200_000  # rows per pandas frame (PostgreSQL)
ROWS_CHUNK = 20_000  # rows per fetch (SQLite): Python tuples cost about 40 times the arrays they become


@dataclass(frozen=True)
class Layout:
    """Which columns of a table are kept, and how: times as int64 microseconds (NULL: NEVER), durations as
    float64 (NULL: NaN), texts as int16 codes into one vocabulary per table (NULL: 0), flags and counts as
    int8 (a count capped at 127: the figures ask only whether it is above 0)."""

    table: object
    key: str
    time: str  # the period's column: the arrays are sorted by it
    times: tuple[str, ...]
    floats: tuple[str, ...]
    texts: tuple[str, ...]
    ints: tuple[str, ...]
    event_prefix: str  # processed_events.type of the events about this table's rows

    @property
    def columns(self) -> tuple[str, ...]:
        return self.times + self.floats + self.texts + self.ints


COMPLAINTS = Layout(
    Complaint.__table__,
    "complaint_id",
    "created_at",
    times=("created_at", "due_at", "first_response_at", "resolved_at"),
    floats=("first_response_s", "resolution_s"),
    texts=("opd", "kecamatan_code", "channel", "category", "first_response_channel", "status"),
    ints=("reopened_count", "is_open"),
    event_prefix="complaint.",
)
INCIDENTS = Layout(
    Incident.__table__,
    "incident_id",
    "reported_at",
    times=("reported_at", "call_answered_at", "first_dispatched_at", "first_arrived_at", "closed_at"),
    floats=("response_s", "answer_s", "dispatch_s", "travel_s", "on_scene_s"),
    texts=("category", "kecamatan_code"),
    ints=("is_active",),
    event_prefix="incident.",
)


def select_columns(conn: Connection, layout: Layout):
    """The layout's columns as numbers and texts the database converts itself: a time to its microseconds."""
    c = layout.table.c
    cols = [c[layout.key]]
    for name in layout.times:
        if conn.dialect.name == "postgresql":
            us = cast(extract("epoch", c[name]) * 1_000_000, BigInteger)
        else:
            # stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' (naive UTC): whole seconds, then the fraction padded to 6
            text = c[name]
            whole = cast(func.strftime("%s", text), Integer) * 1_000_000
            us = whole + cast(func.substr(text + literal_column("'000000'"), 21, 6), Integer)
        cols.append(func.coalesce(us, int(NEVER)).label(name))
    cols += [c[name] for name in layout.floats]
    cols += [c[name] for name in layout.texts]
    cols += [func.coalesce(cast(c[name], Integer), 0).label(name) for name in layout.ints]
    return select(*cols)


def arrays_of_rows(layout: Layout, rows: list[tuple], code: Callable[[str | None], int]) -> dict:
    """Rows (as select_columns reads them) as one array per column; the key as a list of texts."""
    names = (layout.key, *layout.columns)
    cols = dict(zip(names, zip(*rows))) if rows else dict.fromkeys(names, ())
    out: dict = {}
    for name in layout.times:
        out[name] = np.fromiter(cols[name], dtype=np.int64, count=len(rows))
    for name in layout.floats:
        out[name] = np.array([np.nan if v is None else v for v in cols[name]], dtype=np.float64)
    for name in layout.texts:
        out[name] = np.fromiter((code(v) for v in cols[name]), dtype=np.int16, count=len(rows))
    for name in layout.ints:  # flags and counts read only as "more than 0": capped to fit a byte
        out[name] = np.fromiter((min(int(v or 0), 127) for v in cols[name]), dtype=np.int8, count=len(rows))
    out[layout.key] = list(cols[layout.key])
    return out


def _arrays_of_frame(layout: Layout, frame, code: Callable[[str | None], int]) -> dict:
    import pandas as pd

    out: dict = {}
    for name in layout.times:
        out[name] = frame[name].to_numpy(dtype=np.int64)
    for name in layout.floats:
        out[name] = frame[name].to_numpy(dtype=np.float64)
    for name in layout.texts:
        found, uniques = pd.factorize(frame[name], use_na_sentinel=True)  # NULL: -1
        codes = np.array([code(v) for v in uniques] + [code(None)], dtype=np.int16)
        out[name] = codes[found]  # -1 takes the last: NULL's code
    for name in layout.ints:
        out[name] = np.minimum(frame[name].to_numpy(dtype=np.int64), 127).astype(np.int8)
    out[layout.key] = frame[layout.key].tolist()
    return out


class _CopyStream(io.RawIOBase):
    """The blocks of a COPY TO as a file pandas can read."""

    def __init__(self, copy):
        self.copy, self.pending = copy, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            block = self.copy.read()
            if not block:
                return 0
            self.pending = bytes(block)
        n = min(len(buffer), len(self.pending))
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        return n


def chunks(conn: Connection, layout: Layout, code: Callable[[str | None], int]) -> Iterator[dict]:
    """Every row of the table, as arrays_of_rows' dicts of up to CHUNK rows."""
    stmt = select_columns(conn, layout)
    if conn.dialect.name != "postgresql":
        result = conn.execution_options(stream_results=True, yield_per=ROWS_CHUNK).execute(stmt)
        for rows in result.partitions(ROWS_CHUNK):
            yield arrays_of_rows(layout, rows, code)
        return
    import pandas as pd

    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    names = [layout.key, *layout.columns]
    dtypes = {layout.key: str, **dict.fromkeys(layout.texts, str)}
    dtypes.update(dict.fromkeys(layout.times + layout.ints, np.int64))
    dtypes.update(dict.fromkeys(layout.floats, np.float64))
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
        stream = io.BufferedReader(_CopyStream(copy), buffer_size=1 << 20)
        # text format: tab-separated, NULL as \N; keys and codes hold no tab, newline or backslash (the
        # event contract's patterns)
        frames = pd.read_csv(
            stream,
            sep="\t",
            header=None,
            names=names,
            dtype=dtypes,
            na_values=["\\N"],
            keep_default_na=False,
            quoting=csv.QUOTE_NONE,
            chunksize=CHUNK,
        )
        for frame in frames:
            yield _arrays_of_frame(layout, frame, code)
