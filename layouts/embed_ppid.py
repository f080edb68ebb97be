"""The PPID embed's body: the information-service report per OPD (layouts/embed.py draws the frame).

One table, the city first. Wider than about 560 px it is a table; narrower, each department is a card of
label and value (embed_assets/embed.css), so a 300 px column needs no sideways scrolling. Every count is
published rounded to a multiple of 5 (dashboard/ppid_public.py) and drawn as it is; the note says so.
"""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.embed_widgets import EmbedQuery
from dashboard.i18n import format_number, label, t
from dashboard.ppid_public import COLUMNS

SHOWN = ("opd", *COLUMNS, "median_working_days")


def _value(row: dict, key: str, lang: str) -> str:
    value: Any = row.get(key)
    if key == "opd":
        return value or t("embed.ppid.all", lang)
    if value is None:
        return "–"
    return format_number(value, lang, 1 if key == "median_working_days" else 0)


def _row(row: dict, lang: str, *, city: bool = False) -> html.Tr:
    return html.Tr(
        className="embed-ppid-city" if city else None,
        children=[html.Td(_value(row, key, lang), **{"data-label": t(f"embed.ppid.col.{key}", lang)}) for key in SHOWN],
    )


def report(query: EmbedQuery, data: dict) -> tuple[list, list[str]]:
    lang = query.lang
    rows = data.get("rows") or []
    notes = [t("embed.rounded_note", lang)]
    if not rows:
        return [html.P(t("embed.ppid.empty", lang), className="embed-detail")], notes
    head = html.Thead(html.Tr([html.Th(t(f"embed.ppid.col.{key}", lang)) for key in SHOWN]))
    body = html.Tbody([_row(data["total"], lang, city=True), *[_row(r, lang) for r in rows]])
    pct = data.get("answered_pct")
    answered = html.P(
        t(
            "embed.ppid.answered",
            lang,
            n=format_number(data.get("answered", 0), lang),
            pct=f"{format_number(pct, lang, 1)}%" if pct is not None else "–",
        ),
        className="embed-detail embed-ppid-answered",
    )
    cited = data.get("exemptions") or {}
    exemptions = html.Section(
        className="embed-ppid-exemptions",
        children=[
            html.H2(t("embed.ppid.exemptions", lang), className="embed-label"),
            html.Ul(
                [
                    html.Li([html.Span(label("exemption", c, lang)), html.Span(format_number(n, lang))])
                    for c, n in cited.items()
                ]
            )
            if cited
            else html.P(t("embed.ppid.no_refusals", lang), className="embed-detail"),
        ],
    )
    notes.insert(0, t("embed.ppid.median_note", lang, n=data.get("min_answers", 10)))
    return [answered, html.Table([head, body], className="embed-table embed-ppid"), exemptions], notes
