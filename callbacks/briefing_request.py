"""What every briefing callback asks first: may this session see it (the role), what view the URL names (checked
against the codes that exist), and the panel's figures through the KpiCache (one computation per filter and
data version for every viewer and worker)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import redis
from dash.exceptions import PreventUpdate
from sqlalchemy.exc import SQLAlchemyError

from callbacks.access import AccessDenied, User, current_services, require
from dashboard import i18n
from dashboard.briefing import BriefingView, parse_search, parse_view
from dashboard.filters import KnownCodes, KpiFilter
from data_sources import services
from data_sources.kpi.cache import ComputationsBusy, cache_for
from data_sources.views import briefing as briefing_data

FAILURES = (SQLAlchemyError, redis.RedisError, ComputationsBusy)


AGGREGATES, PERSONAL = "view_aggregates", "view_personal"


def allowed(permission: str) -> bool:
    try:
        require(permission)
    except AccessDenied:
        return False
    return True


def guard(permission: str = AGGREGATES) -> User:
    try:
        return require(permission)
    except AccessDenied:
        raise PreventUpdate from None


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def view_of(search: Any, now: dt.datetime) -> BriefingView:
    lang = i18n.language(current_services().settings.default_language)
    return parse_view(parse_search(search), now, lang, known_codes(now))


def known_codes(now: dt.datetime) -> KnownCodes:
    """The department and category codes that exist (cached per data version): a filter may name only these.
    If they cannot be read, no department or category filter is accepted rather than any."""
    try:
        codes = panel_data("codes", KpiFilter(), now)
    except FAILURES:
        return KnownCodes()
    return KnownCodes(frozenset(codes["opd"]), frozenset(codes["category"]))


def panel_data(panel: str, f: KpiFilter, now: dt.datetime, app: services.Services | None = None) -> Any:
    app = app or current_services()
    query = {
        "headline": lambda conn: briefing_data.headline_panel(conn, f, now, app.settings),
        "previous": lambda conn: briefing_data.previous_panel(conn, f, now, app.settings),
        "league": lambda conn: briefing_data.league_panel(conn, f, now, app.settings),
        "trend": lambda conn: briefing_data.trend_panel(conn, f, now, app.settings),
        "egov": lambda conn: briefing_data.egov_panel(conn, f, app.settings, now),
        "opds": briefing_data.opd_codes,
        "codes": briefing_data.known_codes,
        "ppid": lambda conn: briefing_data.ppid_panel(conn, f, now, app.settings),
    }[panel]

    def compute():
        with app.engine.connect() as conn:
            return query(conn)

    return briefing_data.cached(cache_for(app), panel, f, now, compute)
