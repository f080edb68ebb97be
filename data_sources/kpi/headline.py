"""The headline figures of a period: complaints, 112 incidents and PPID requests in one document (`kpi --json`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from dashboard import figures
from dashboard.filters import KpiFilter
from data_sources.kpi import column_figures
from data_sources.kpi import complaints as kpi_complaints
from data_sources.kpi import incidents as kpi_incidents
from data_sources.kpi import info_requests as kpi_info_requests


def period_figures(conn: Connection, f: KpiFilter, now: dt.datetime, columns=None, groups: bool = True):
    """(complaint figures, 112 figures) of the period: from the column copy `columns` if given, else by SQL."""
    if columns is not None:
        return column_figures.complaint_figures(columns, f, now), column_figures.incident_figures(
            columns, f, now, groups
        )
    return kpi_complaints.period_figures(conn, f, now), kpi_incidents.period_figures(conn, f, now, groups)


def headline(conn: Connection, f: KpiFilter, now: dt.datetime, settings=None, columns=None) -> dict:
    """Every headline figure of the period as one nested object (the `kpi --json` document).

    Dotted names (complaints.received, incidents.response_p50_min, ...) are paths into it. `columns`: a
    current column copy (kpi.columns.current) to read the complaint and 112 period figures from.
    """
    complaints, incidents = period_figures(conn, f, now, columns)
    by_kecamatan = complaints.pop("by_kecamatan")
    return {
        "period": {
            "from": f.as_dict()["from"],
            "to": f.as_dict()["to"],
            "timezone": "Asia/Jakarta",
            "to_is_exclusive": True,
            "now": now.isoformat(),
            # still running at `now`: the SLA rate by creation flatters it (see responded_by_deadline_pct)
            "running": figures.running(f.end_utc, now),
        },
        "filters": f.as_dict(),
        "complaints": complaints,
        "complaints_by_kecamatan": by_kecamatan,
        "sla_watch": kpi_complaints.open_sla_states(conn, f, now, settings=settings, limit=0)["counts"],
        "incidents": incidents,
        "info_requests": kpi_info_requests.period_figures(conn, f, now),
    }
