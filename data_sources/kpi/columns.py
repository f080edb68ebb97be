"""A column copy of the complaints and 112 incidents in memory, for the briefing's figures over long periods.

Why: at ten million complaints a year's figures read a million rows per pass from the table (about 220 ms
per million on PostgreSQL, more on SQLite) and sort them for every percentile, well over the briefing's
200 ms. Pre-aggregation cannot serve any filter (OPD x kecamatan x channel x category cells are as many as
the complaints of a day) nor exact percentiles. Here the dozen columns the figures read are NumPy arrays
sorted by time: a period is a slice, a filter a lookup table over dictionary codes, a percentile a partial
sort of the values of that slice (column_figures).

Exact: the same rows and values as the table (times to the microsecond as int64, the durations the
database's own generated floats), the same arithmetic (percentile_cont's interpolation); the tests compare
every panel with the SQL path on randomised data, on both databases.

Kept current: before each computation `refresh` reads the events stored since its last read
(processed_events on its processed_at index, with an overlap for batches committed out of order, as the
alert evaluator does) and reads their complaints and incidents again by key. What no event tells (a row
changed by hand) is set right by a full reload every RELOAD_EVERY_S, built beside the live copy and swapped.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from data_sources import metrics
from data_sources.kpi import column_reading as reading
from data_sources.kpi.alert_conditions import advance_window, events_after, events_since, last_processed_at
from data_sources.kpi.column_reading import COMPLAINTS, INCIDENTS, NEVER, Layout

log = logging.getLogger(__name__)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
RELOAD_EVERY_S = 3600.0
MAX_TOUCHED_SHARE = 0.1  # more rows changed than this share (after an outage): reload whole instead of by key
UNSORTED_TAIL_MAX = 20_000  # rows appended out of time order before the arrays are sorted again
CODES_MAX = 32_767  # texts are int16 codes: OPDs, kecamatan, channels, categories and statuses number far fewer


def micros(value: dt.datetime) -> int:
    """An aware time as whole microseconds since 1970 (exact: no float on the way)."""
    return (value - EPOCH) // dt.timedelta(microseconds=1)


def _encoded(keys: list[str]) -> np.ndarray:
    """Keys as fixed-width bytes (a tenth of the memory of Python strings, and searchable)."""
    try:  # the event contract's keys are ASCII: numpy encodes them itself
        return np.array(keys, dtype="S")
    except UnicodeEncodeError:
        return np.array([k.encode() for k in keys], dtype="S")


class ColumnTable:
    """One table's kept columns: arrays with room to grow, `n` rows used, sorted by time up to `sorted_until`.

    Not thread-safe by itself: ColumnStore.lock guards refreshes and the computations reading the arrays.
    """

    def __init__(self, layout: Layout):
        self.layout = layout
        self.n = 0
        self.sorted_until = 0
        self.vocabulary: list[str | None] = [None]
        self.codes: dict[str | None, int] = {None: 0}
        self.arrays: dict[str, np.ndarray] = {}
        self._grow(0)
        self.keys = np.array([], dtype="S1")  # the keys of the loaded rows, sorted, with their slots
        self.key_slots = np.array([], dtype=np.int64)
        self.new_slots: dict[str, int] = {}  # rows added since the load
        self.cache: dict = {}  # figures over every row (column_figures), emptied whenever a row changes

    def _grow(self, capacity: int) -> None:
        old = self.arrays
        arrays = {}
        for name in self.layout.times:
            arrays[name] = np.full(capacity, NEVER, dtype=np.int64)
        for name in self.layout.floats:
            arrays[name] = np.full(capacity, np.nan, dtype=np.float64)
        for name in self.layout.texts:
            arrays[name] = np.zeros(capacity, dtype=np.int16)
        for name in self.layout.ints:
            arrays[name] = np.zeros(capacity, dtype=np.int8)
        for name, values in old.items():
            arrays[name][: self.n] = values[: self.n]
        self.arrays = arrays

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name][: self.n]

    def code(self, value: str | None) -> int:
        found = self.codes.get(value)
        if found is None:
            if len(self.vocabulary) >= CODES_MAX:
                raise OverflowError(f"kpi columns: more than {CODES_MAX} distinct texts in {self.layout.table.name}")
            found = self.codes[value] = len(self.vocabulary)
            self.vocabulary.append(value)
        return found

    def lookup(self, values) -> np.ndarray:
        """A boolean table over the codes: True for the codes of `values` (None: the NULL code)."""
        allowed = np.zeros(len(self.vocabulary), dtype=bool)
        for v in values:
            if v in self.codes:
                allowed[self.codes[v]] = True
        return allowed

    # ---- filling ----------------------------------------------------------------------------------------

    def load(self, conn: Connection) -> None:
        """Every row, read in chunks straight into arrays sized by a count first, then sorted by time (`sort`,
        one column at a time): the load's peak is the copy plus one column, not twice the copy (an hourly
        reload runs beside the live copy)."""
        expected = conn.execute(select(func.count()).select_from(self.layout.table)).scalar_one()
        self._grow(int(expected))
        keys = []
        for chunk in reading.chunks(conn, self.layout, self.code):
            count = len(chunk[self.layout.key])
            if self.n + count > len(self.arrays[self.layout.time]):  # rows stored since the count
                self._grow(2 * (self.n + count))
            for name in self.layout.columns:
                self.arrays[name][self.n : self.n + count] = chunk[name]
            keys.append(_encoded(chunk[self.layout.key]))
            self.n += count
        if not self.n:
            return
        width = max(k.dtype.itemsize for k in keys)
        encoded = np.concatenate([k.astype(f"S{width}") for k in keys])  # in the order read
        by_key = np.argsort(encoded, kind="stable")
        self.keys, self.key_slots = encoded[by_key], by_key.astype(np.int64)
        self.new_slots = {}
        self.sort()

    def slots_of(self, keys: list[str]) -> np.ndarray:
        """The slot of each key, -1 where the key is not held."""
        out = np.full(len(keys), -1, dtype=np.int64)
        if len(self.keys):
            raw = [k.encode() for k in keys]
            encoded = np.array(raw, dtype=self.keys.dtype)
            fits = np.array([len(k) <= self.keys.dtype.itemsize for k in raw], dtype=bool)
            at = np.minimum(np.searchsorted(self.keys, encoded), len(self.keys) - 1)
            hit = fits & (self.keys[at] == encoded)
            out[hit] = self.key_slots[at[hit]]
        for i, k in enumerate(keys):
            if out[i] < 0 and k in self.new_slots:
                out[i] = self.new_slots[k]
        return out

    def upsert(self, rows: list[tuple]) -> None:
        """These rows (as reading.select_columns reads them) written over their slots, or appended."""
        if not rows:
            return
        self.cache = {}
        cols = reading.arrays_of_rows(self.layout, rows, self.code)
        keys = cols.pop(self.layout.key)
        slots = self.slots_of(keys)
        new = np.flatnonzero(slots < 0)
        new = new[np.argsort(cols[self.layout.time][new], kind="stable")]  # appended in time order
        if len(new):
            if self.n + len(new) > len(self.arrays[self.layout.time]):
                self._grow(max(2 * (self.n + len(new)), 1024))
            slots[new] = np.arange(self.n, self.n + len(new))
            for i, slot in zip(new, slots[new]):
                self.new_slots[keys[i]] = int(slot)
        time_col = self.arrays[self.layout.time]
        moved = np.flatnonzero(
            (slots < self.n) & (time_col[np.minimum(slots, len(time_col) - 1)] != cols[self.layout.time])
        )
        for name, values in cols.items():
            self.arrays[name][slots] = values
        if len(moved):  # a row's time changed (by hand): its place in the order no longer holds
            self.sorted_until = min(self.sorted_until, int(slots[moved].min()))
        if len(new):
            start = self.n
            self.n += len(new)
            t = time_col[: self.n]
            if (
                self.sorted_until == start
                and (start == 0 or t[start - 1] <= t[start])
                and np.all(np.diff(t[start:]) >= 0)
            ):
                self.sorted_until = self.n
        if self.n - self.sorted_until > UNSORTED_TAIL_MAX:
            self.sort()

    def sort(self) -> None:
        """Every row in time order (after a load, or after many rows came out of order); the key index follows."""
        self.cache = {}  # slot numbers change
        order = np.argsort(self[self.layout.time], kind="stable")
        for name in self.layout.columns:
            self.arrays[name][: self.n] = self.arrays[name][: self.n][order]
        where = np.empty(self.n, dtype=np.int64)
        where[order] = np.arange(self.n)  # old slot -> new slot
        self.key_slots = where[self.key_slots]
        self.new_slots = {k: int(where[s]) for k, s in self.new_slots.items()}
        self.sorted_until = self.n

    def rows_between(self, start: int | None, end: int | None):
        """The rows whose time is in [start, end) (microseconds; None: open): a slice while the arrays are in
        time order, else an index array."""
        t = self[self.layout.time]
        head = t[: self.sorted_until]
        lo = 0 if start is None else int(np.searchsorted(head, start, side="left"))
        hi = len(head) if end is None else int(np.searchsorted(head, end, side="left"))
        if self.sorted_until == self.n:
            return slice(lo, hi)
        tail = t[self.sorted_until :]
        inside = np.ones(len(tail), dtype=bool)
        if start is not None:
            inside &= tail >= start
        if end is not None:
            inside &= tail < end
        return np.concatenate([np.arange(lo, hi), self.sorted_until + np.flatnonzero(inside)])

    def read_again(self, conn: Connection, keys: set[str]) -> None:
        ordered = sorted(keys)
        key = self.layout.table.c[self.layout.key]
        for i in range(0, len(ordered), 1000):
            self.upsert(
                conn.execute(reading.select_columns(conn, self.layout).where(key.in_(ordered[i : i + 1000]))).all()
            )

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values()) + self.keys.nbytes + self.key_slots.nbytes


class ColumnStore:
    """The complaints' and incidents' column copies of one database, kept current by `refresh`."""

    def __init__(self):
        self.complaints = ColumnTable(COMPLAINTS)
        self.incidents = ColumnTable(INCIDENTS)
        self.lock = threading.RLock()
        self.watermark: dt.datetime | None = None  # the latest processed_at read
        self.seen: dict[str, dt.datetime] = {}  # event ids read inside the overlap
        self.loaded_at = time.monotonic()

    @classmethod
    def load(cls, engine: Engine) -> ColumnStore:
        store = cls()
        with engine.connect() as conn:
            # read first: what is stored meanwhile is read again by the first refresh
            store.watermark = last_processed_at(conn)
            store.complaints.load(conn)
            store.incidents.load(conn)
        return store

    @property
    def tables(self) -> tuple[ColumnTable, ColumnTable]:
        return self.complaints, self.incidents

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables)

    def refresh(self, conn: Connection) -> bool:
        """Read again the rows of the events stored since the last read. False when so many changed that a
        full reload is cheaper (the caller reloads)."""
        events = [e for e in events_since(conn, events_after(self.watermark)) if e[0] not in self.seen]
        touched = {table: set() for table in self.tables}
        for _, kind, subject, _ in events:
            for table in self.tables:
                if kind.startswith(table.layout.event_prefix):
                    touched[table].add(subject)
        if any(len(keys) > max(1000, MAX_TOUCHED_SHARE * table.n) for table, keys in touched.items()):
            return False
        for table, keys in touched.items():
            table.read_again(conn, keys)
        self.watermark, self.seen = advance_window(self.watermark, self.seen, events)
        return True


_STORES: dict[str, ColumnStore] = {}
_LOADING: set[str] = set()
_GENERATION: dict[str, int] = {}  # bumped by forget: a load started before it must not install its copy
_GUARD = threading.Lock()


def _name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _load_in_background(engine: Engine) -> None:
    name = _name(engine)
    with _GUARD:
        if name in _LOADING:
            return
        _LOADING.add(name)
        generation = _GENERATION.get(name, 0)

    def run():
        started = time.perf_counter()
        try:
            store = ColumnStore.load(engine)
        except Exception:  # the SQL path serves meanwhile; the next request tries again
            log.exception("kpi columns: load failed")
            metrics.KPI_COLUMNS_LOADS.labels("failed").inc()
            store = None
        with _GUARD:
            _LOADING.discard(name)
            if store is None or _GENERATION.get(name, 0) != generation:
                return
            _STORES[name] = store
            held = sum(s.nbytes for s in _STORES.values())
        took = time.perf_counter() - started
        metrics.KPI_COLUMNS_LOADS.labels("loaded").inc()
        metrics.KPI_COLUMNS_LOAD_DURATION.observe(took)
        metrics.KPI_COLUMNS_BYTES.set(held)
        for table in store.tables:
            metrics.KPI_COLUMNS_ROWS.labels(table.layout.table.name).set(table.n)
        mb = store.nbytes / 1e6
        log.info(
            "kpi columns: %d complaints, %d incidents in %.1f s (%.0f MB)",
            store.complaints.n,
            store.incidents.n,
            took,
            mb,
        )

    threading.Thread(target=run, name="kpi-columns-load", daemon=True).start()


def current(conn: Connection, settings) -> ColumnStore | None:
    """This database's column copy brought up to date and locked for the caller (release store.lock), or
    None, and the SQL path answers: no settings or PANTAU_KPI_COLUMNS=false, or the copy is still loading
    (it starts loading in the background now), or so much changed that it is loaded again."""
    if settings is None or not getattr(settings, "kpi_columns", False):
        return None
    engine = conn.engine
    name = _name(engine)
    with _GUARD:
        store = _STORES.get(name)
    if store is None or time.monotonic() - store.loaded_at > RELOAD_EVERY_S:
        _load_in_background(engine)
        if store is None:
            return None
    store.lock.acquire()
    try:
        fresh = store.refresh(conn)
    except Exception:  # e.g. a vocabulary beyond CODES_MAX: the SQL path answers, a new copy is tried
        log.exception("kpi columns: refresh failed")
        fresh = False
    except BaseException:
        store.lock.release()
        raise
    if not fresh:
        store.lock.release()
        forget(engine)
        _load_in_background(engine)
        return None
    return store


def install(engine: Engine, store: ColumnStore) -> None:
    """Use this loaded copy for this database (the bench and the tests load one and wait for it)."""
    with _GUARD:
        _STORES[_name(engine)] = store


def forget(engine: Engine) -> None:
    """Drop this database's copy, and any load under way: the next request loads it anew (after rows were
    written other than by the ingestor, as the tests' fixtures do)."""
    name = _name(engine)
    with _GUARD:
        _STORES.pop(name, None)
        _GENERATION[name] = _GENERATION.get(name, 0) + 1
