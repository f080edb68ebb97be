"""The briefing's PPID panels (public-information requests, UU KIP 14/2008): the league of every OPD's PPID,
and for officers the request list with the requester. Filled by callbacks/briefing_ppid.py.

The panel frame (title and export buttons) is the briefing's own, passed in as `panel`, so both pages' panels
look and print alike.
"""

from __future__ import annotations

from collections.abc import Callable

from dash import html

from dashboard.i18n import t
from layouts import briefing_panels as panels


class ids:
    league = "briefing-ppid-league"
    league_note = "briefing-ppid-league-note"
    requests = "briefing-info-requests"
    requests_note = "briefing-info-requests-note"


def ppid_row(lang: str, min_sample: int, panel: Callable[..., html.Section]) -> html.Div:
    return html.Div(
        className="briefing-row",
        children=[
            panel(
                "ppid",
                t("briefing.panel.ppid", lang),
                [
                    panels.grid(ids.league, "ppid", lang, auto_height=True),
                    html.P(
                        t("briefing.panel.ppid_note", lang, n=min_sample), id=ids.league_note, className="briefing-note"
                    ),
                ],
                lang,
                wide=True,
            )
        ],
    )


def officer_row(lang: str, panel: Callable[..., html.Section]) -> html.Div:
    return html.Div(
        className="briefing-row is-officer",
        children=[
            panel(
                "info_requests",
                t("briefing.panel.info_requests", lang),
                [
                    html.P("", id=ids.requests_note, className="briefing-note"),
                    panels.grid(ids.requests, "info_requests", lang, auto_height=False),
                ],
                lang,
                wide=True,
            )
        ],
    )
