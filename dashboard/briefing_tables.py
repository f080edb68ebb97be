"""The briefing's tables as plain rows (what the grids show and the exports write), and the CSV and Excel
files of them. One definition per table: the screen and the file cannot disagree on a number.

A row holds raw values (numbers as numbers, times as ISO text in UTC); the grid formats them in the
browser with Indonesian separators, the Excel file with number formats, the CSV as plain numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dashboard import i18n, kpi

KINDS = ("text", "int", "dec1", "dec2", "time")
EXCEL_FORMATS = {"int": "#,##0", "dec1": "#,##0.0", "dec2": "#,##0.00"}


@dataclass(frozen=True)
class Column:
    key: str
    kind: str = "text"
    pinned: bool = False

    def header(self, lang: str) -> str:
        return i18n.t(f"briefing.col.{self.key}", lang)


TABLES: dict[str, tuple[Column, ...]] = {
    "league": (
        Column("rank", "int", True),
        Column("opd", "text", True),
        Column("received", "int"),
        Column("measured", "int"),
        Column("within", "int"),
        Column("rate_pct", "dec1"),
        Column("ci_low_pct", "dec1"),
        Column("ci_high_pct", "dec1"),
        Column("first_response_p50_h", "dec1"),
        Column("first_response_p90_h", "dec1"),
        Column("open", "int"),
        Column("overdue_open", "int"),
    ),
    "segments": (
        Column("segment", "text", True),
        Column("p50", "dec1"),
        Column("p90", "dec1"),
        Column("unit"),
        Column("target", "dec1"),
    ),
    "incident_categories": (
        Column("category", "text", True),
        Column("reported", "int"),
        Column("response_measured", "int"),
        Column("response_mean_min", "dec1"),
        Column("response_p50_min", "dec1"),
        Column("response_p90_min", "dec1"),
        Column("within_7_4_min_pct", "dec1"),
    ),
    "egov": (
        Column("domain", "text", True),
        Column("metric", "text", True),
        Column("opd"),
        Column("period"),
        Column("value", "dec2"),
        Column("target", "dec2"),
        Column("unit"),
        Column("previous", "dec2"),
        Column("rag"),
    ),
    "complaints": (
        Column("complaint_id", "text", True),
        Column("created_at", "time"),
        Column("channel"),
        Column("category"),
        Column("opd"),
        Column("kecamatan"),
        Column("status"),
        Column("due_at", "time"),
        Column("first_response_at", "time"),
        Column("reporter_name"),
        Column("reporter_phone"),
    ),
    "ppid": (
        Column("rank", "int", True),
        Column("opd", "text", True),
        Column("received", "int"),
        Column("answered", "int"),
        Column("answered_within_deadline_pct", "dec1"),
        Column("ci_low_pct", "dec1"),  # the lower Wilson bound: what ranks
        Column("unanswered_past_deadline", "int"),
        Column("extended", "int"),
        Column("granted", "int"),
        Column("partially_granted", "int"),
        Column("rejected", "int"),
        Column("exemptions"),
        Column("not_held", "int"),
        Column("objections", "int"),
        Column("objections_answered_within_deadline", "int"),
        Column("working_days_to_answer_p50", "dec1"),
        Column("working_days_to_answer_p90", "dec1"),
    ),
    "info_requests": (
        Column("request_id", "text", True),
        Column("received_at", "time"),
        Column("opd"),
        Column("channel"),
        Column("information_kind"),
        Column("due_at", "time"),
        Column("answer"),
        Column("answered_at", "time"),
        Column("exemption"),
        Column("requester_name"),
        Column("requester_organisation"),
        Column("requester_contact"),
        Column("request_text"),
    ),
    "alerts": (
        Column("alert_id", "int", True),
        Column("rule", "text", True),
        Column("stage"),
        Column("group"),
        Column("subject"),
        Column("started_at", "time"),
        Column("step"),
        Column("state"),
    ),
    "alert_history": (
        Column("at", "time", True),
        Column("event"),
        Column("rule"),
        Column("stage"),
        Column("group"),
        Column("subject"),
        Column("recipient"),
        Column("actor"),
        Column("detail"),
    ),
}
# only for sessions allowed to see personal data (the alert history names officers and holds their reasons)
PERSONAL_TABLES = frozenset({"complaints", "info_requests", "alert_history"})

# (segment, figures key prefix, unit, target): the 112 chain from the ringing phone to the scene.
SEGMENTS = (
    ("answer", "answer", "s", None),
    ("dispatch", "report_to_dispatch", "min", None),
    ("travel", "dispatch_to_arrival", "min", None),
    ("response", "response", "min", kpi.CITY_RESPONSE_MINUTES),
    ("on_scene", "on_scene", "min", None),
)


def league_rows(league: Iterable[Mapping], lang: str) -> list[dict]:
    keys = [c.key for c in TABLES["league"]]
    rows = [{k: r.get(k) for k in keys} for r in league]
    for row in rows:
        if row["opd"] == "unassigned":
            row["opd"] = i18n.t("briefing.opd.unassigned", lang)
    return rows


def segment_rows(incidents: Mapping, lang: str) -> list[dict]:
    rows = []
    for name, prefix, unit, target in SEGMENTS:
        suffix = "_s" if unit == "s" else "_min"
        rows.append(
            {
                "segment": i18n.t(f"briefing.segment.{name}", lang),
                "p50": incidents.get(f"{prefix}_p50{suffix}"),
                "p90": incidents.get(f"{prefix}_p90{suffix}"),
                "unit": i18n.t(f"briefing.unit.{unit}", lang),
                "target": target,
            }
        )
    return rows


def incident_category_rows(incidents: Mapping, lang: str) -> list[dict]:
    return [
        {
            "category": i18n.label("incident_category", code, lang),
            **{
                k: v.get(k)
                for k in (
                    "reported",
                    "response_measured",
                    "response_mean_min",
                    "response_p50_min",
                    "response_p90_min",
                    "within_7_4_min_pct",
                )
            },
        }
        for code, v in sorted((incidents.get("by_category") or {}).items())
    ]


def egov_rows(latest: Iterable[Mapping], lang: str) -> list[dict]:
    return [
        {
            "domain": i18n.label("egov_domain", r.get("domain"), lang),
            "metric": metric_name(r.get("metric"), lang),
            "opd": r.get("opd"),
            "period": r.get("period"),
            "value": r.get("value"),
            "target": r.get("target"),
            "unit": r.get("unit"),
            "previous": r.get("previous"),
            "rag": i18n.t(f"wall.egov.rag.{r.get('rag') or 'none'}", lang),
        }
        for r in latest
    ]


def complaint_rows(items: Iterable[Mapping], lang: str) -> list[dict]:
    return [
        {
            "complaint_id": c.get("complaint_id"),
            "created_at": c.get("created_at"),
            "channel": i18n.label("channel", c.get("channel"), lang),
            "category": i18n.label("complaint_category", c.get("category"), lang),
            "opd": c.get("opd"),
            "kecamatan": i18n.kecamatan_name(c.get("kecamatan_code"), lang),
            "status": status_name(c.get("status"), lang),
            "due_at": c.get("due_at"),
            "first_response_at": c.get("first_response_at"),
            "reporter_name": c.get("reporter_name"),
            "reporter_phone": c.get("reporter_phone"),
        }
        for c in items
    ]


def exemption_short(code: str, lang: str) -> str:
    """'Ps. 17b' for pasal_17_b; another code by its full label."""
    if code.startswith("pasal_17_") and len(code) == len("pasal_17_") + 1:
        return i18n.t("ppid.exemption_short", lang, letter=code[-1])
    return i18n.label("exemption", code, lang)


def exemptions_text(counts: Mapping[str, int] | None, lang: str) -> str:
    """'Ps. 17b: 2 · Ps. 17h: 1', the most cited first."""
    ordered = sorted((counts or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return " · ".join(f"{exemption_short(code, lang)}: {n}" for code, n in ordered)


def ppid_rows(panel: Mapping, lang: str) -> list[dict]:
    """The PPID league's rows, then the whole city's (unranked) as the last row."""
    keys = [c.key for c in TABLES["ppid"]]
    rows = []
    for r in [*panel["rows"], {**panel["city"], "opd": None}]:
        row = {k: r.get(k) for k in keys}
        row["exemptions"] = exemptions_text(r.get("rejected_by_exemption"), lang)
        if r.get("opd") is None:
            row["opd"] = i18n.t("briefing.panel.ppid_city", lang)
            row["ci_low_pct"] = _city_lower_bound(r)
        rows.append(row)
    return rows


def _city_lower_bound(figures: Mapping) -> float | None:
    ci = kpi.wilson_interval(figures["answered_within_deadline"], figures["measured"])
    return round(ci[0] * 100, 1) if ci else None


def info_request_rows(items: Iterable[Mapping], lang: str) -> list[dict]:
    return [
        {
            "request_id": r.get("request_id"),
            "received_at": r.get("received_at"),
            "opd": r.get("opd"),
            "channel": i18n.label("info_channel", r.get("channel"), lang),
            "information_kind": i18n.label("information_kind", r.get("information_kind"), lang),
            "due_at": r.get("due_at"),
            "answer": i18n.label("info_answer", r["answer"], lang)
            if r.get("answer")
            else i18n.t("ppid.unanswered", lang),
            "answered_at": r.get("answered_at"),
            "exemption": i18n.label("exemption", r["exemption"], lang) if r.get("exemption") else "",
            "requester_name": r.get("requester_name"),
            "requester_organisation": r.get("requester_organisation"),
            "requester_contact": r.get("requester_contact"),
            "request_text": r.get("request_text"),
        }
        for r in items
    ]


def status_name(status: str | None, lang: str) -> str:
    key = f"briefing.status.{status}"
    return i18n.t(key, lang) if key in i18n.TEXTS else str(status or "–")


def metric_name(metric: str | None, lang: str) -> str:
    key = f"wall.metric.{metric}"
    return i18n.t(key, lang) if key in i18n.TEXTS else str(metric or "").replace("_", " ").capitalize()


# --- files ---------------------------------------------------------------------------------------------


def file_name(table: str, data_time: dt.datetime, extension: str) -> str:
    return f"pantau-briefing-{table}-{i18n.to_wib(data_time).strftime('%Y-%m-%d-%H%M')}-wib.{extension}"


# What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): = + - @ at its start, also in
# their full-width forms (which some spreadsheets fold), after leading spaces (which some trim), or a tab
# or line break first. A citizen's name or complaint text must stay text in the officer's spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def starts_like_a_formula(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    return value[0] in "\t\r\n" or value.lstrip(" ").startswith(_FORMULA_STARTS)


def csv_safe(value: object) -> object:
    """A text that a spreadsheet would run as a formula gets a leading single quote; anything else as it is."""
    return "'" + value if starts_like_a_formula(value) else value


def column_index(table: str, key: str) -> int:
    return next(i for i, c in enumerate(TABLES[table]) if c.key == key)


def _local_time(value: Any, lang: str) -> str:
    if not value:
        return ""
    return i18n.format_datetime(dt.datetime.fromisoformat(value), lang)


def to_csv(table: str, rows: list[Mapping], lang: str) -> bytes:
    """The table as CSV: a header row, then the rows; numbers plain (1234.5), times in WIB. UTF-8 with BOM,
    so that Excel opens the Indonesian names right. A text that would start a formula is quoted (csv_safe)."""
    columns = TABLES[table]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header(lang) for c in columns])
    for r in rows:
        writer.writerow(
            [
                _local_time(r.get(c.key), lang)
                if c.kind == "time"
                else ("" if r.get(c.key) is None else csv_safe(r.get(c.key)))
                for c in columns
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(
    table: str, rows: list[Mapping], lang: str, *, title: str, data_time: dt.datetime, filters: list[tuple[str, str]]
) -> bytes:
    """The table as an Excel workbook: a header block (city, title, data time, filters), then the table
    with real numbers and number formats. Text cells are typed as text (openpyxl would make a formula of a
    value starting with "="), and those that look like a formula also carry Excel's quote prefix, so that
    editing the cell does not turn it into one either."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    columns = TABLES[table]
    wb = Workbook()
    ws = wb.active
    ws.title = table[:31]
    block = [
        (i18n.t("briefing.print.city", lang), True),
        (f"Pantau Surabaya · {title}", True),
        (f"{i18n.t('briefing.data_time', lang)}: {i18n.format_datetime(data_time, lang)}", False),
    ]
    block += [(f"{label}: {value}", False) for label, value in filters]
    for text, bold in block:
        ws.append([text])
        ws.cell(ws.max_row, 1).font = Font(bold=bold, size=13 if bold else 11)
    ws.append([])
    ws.append([c.header(lang) for c in columns])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1D4E89")
    for r in rows:
        ws.append([_local_time(r.get(c.key), lang) if c.kind == "time" else r.get(c.key) for c in columns])
        for cell, column in zip(ws[ws.max_row], columns):
            if column.kind in EXCEL_FORMATS:
                cell.number_format = EXCEL_FORMATS[column.kind]
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.quotePrefix = starts_like_a_formula(cell.value)
    for i, column in enumerate(columns, start=1):
        width = max([len(column.header(lang))] + [len(str(r.get(column.key) or "")) for r in rows[:200]])
        ws.column_dimensions[ws.cell(header_row, i).column_letter].width = min(max(width + 2, 10), 40)
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
