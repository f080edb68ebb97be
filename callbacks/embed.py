"""The public embed widget's callback: the widget's body for its URL (the embed Dash app is web/embed_app.py).

Bound with `embed_app.callback`, not `dash.callback` as the other views: see web/embed_app.py for why.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import flask
import redis
from dash import Input, Output
from sqlalchemy.exc import SQLAlchemyError

from dashboard import i18n
from dashboard.embed_widgets import EmbedParamError, make_query, parse_search, widget_of
from data_sources.geo.boundaries import boundaries_for, browser_geojson
from data_sources.services import EXTENSION_KEY
from data_sources.views.embed import widget_data
from layouts import embed as view

log = logging.getLogger(__name__)
STATE_KEY = "pantau_embed"  # the server's EmbedState (web/embed_app.py): the published-figures cache


def register(embed_app: dash.Dash) -> None:
    embed_app.callback(
        Output(view.ids.body, "children"),
        Input(view.ids.url, "pathname"),
        Input(view.ids.url, "search"),
        Input(view.ids.refresh, "n_intervals"),
    )(render)


def base_map(settings) -> view.BaseMap:
    boundaries = boundaries_for(settings, "kecamatan")
    return view.BaseMap(browser_geojson(boundaries), boundaries.schematic, settings.map_style)


def render(pathname: Any, search: Any, _n_intervals: Any):
    """The widget's body for its URL; the guard has already refused anything outside the allowlist,
    this checks again so that the callback is safe on its own."""
    settings = flask.current_app.extensions[EXTENSION_KEY].settings
    lang = settings.default_language
    try:
        query = make_query(widget_of(pathname), parse_search(search), settings.default_language)
        lang = query.lang
        state = flask.current_app.extensions[STATE_KEY]
        data = widget_data(query, state.services().engine, state.cache(), settings)
        return view.body(query, data, base_map(settings) if query.widget == "complaints-map" else None)
    except EmbedParamError as exc:
        flask.g.embed_cache_key = None
        return view.error_body(str(exc), lang)
    except (redis.RedisError, SQLAlchemyError) as exc:
        log.warning("embed: figures unavailable (%s)", type(exc).__name__)
        flask.g.embed_cache_key = None  # not kept: the next request tries again
        return view.error_body(i18n.t("embed.error.unavailable", lang), lang)
