"""Parsers and checks of single PANTAU_* values, used by the declarations of dashboard/settings.py. Each error
names its variable."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path
from typing import Any

from pydantic import AfterValidator, BeforeValidator


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


# ---------------------------------------------------------------------------------------------------------------
# Value parsers and checks, shared by the declarations below
# ---------------------------------------------------------------------------------------------------------------
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


def parse_rate_limit(raw: str, name: str = "PANTAU_EMBED_RATE_LIMIT") -> tuple[int, int]:
    """PANTAU_EMBED_RATE_LIMIT and PANTAU_API_RATE_LIMIT: "requests/seconds", e.g. 300/60."""
    m = re.fullmatch(r"\s*(\d{1,9})\s*/\s*(\d{1,6})\s*", raw)
    if not m or int(m.group(1)) < 1 or not 1 <= int(m.group(2)) <= 86_400:
        raise SettingsError(f"{name} must look like 300/60 (requests per seconds); got {raw!r}")
    return int(m.group(1)), int(m.group(2))


def parse_networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """PANTAU_METRICS_ALLOW: addresses or networks, space- or comma-separated, e.g. `10.20.0.0/16 192.0.2.7`."""
    networks = []
    for item in (part for part in re.split(r"[\s,]+", raw) if part):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(
                f"PANTAU_METRICS_ALLOW: {item[:80]!r} is not an address or network like 10.20.0.0/16"
            ) from None
    return tuple(networks)


def _divides_day(seconds: int) -> int:
    if 86_400 % seconds:
        raise ValueError("must divide a day (86400 s): 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, ...")
    return seconds


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


def _origins(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and all(isinstance(o, str) for o in value):
        value = " ".join(value)  # the same check for origins given in code
    return parse_origins(value) if isinstance(value, str) else value


def _path(value: Any) -> Any:
    """A path from a variable, as the program uses it: ~ expanded, absolute, links resolved."""
    return Path(value).expanduser().resolve() if isinstance(value, str) else value


def _case(convert):
    return BeforeValidator(lambda value: convert(value) if isinstance(value, str) else value)


def _matching(pattern: str, problem: str, shown=repr) -> AfterValidator:
    """Set values must match `pattern`, else "<VARIABLE> <problem>; got <shown(value)>"."""
    compiled = re.compile(pattern, re.S)

    def check(value: str | None) -> str | None:
        if value and not compiled.fullmatch(value):
            raise ValueError(problem + (f"; got {shown(value)}" if shown else ""))
        return value

    return AfterValidator(check)


def _scheme(url: str) -> str:
    return repr(url.split("://")[0])  # not the rest: it may hold a password


def _default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"
