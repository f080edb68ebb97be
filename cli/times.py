"""Dates and times given on the command line: a WIB day (YYYY-MM-DD, its start) or an ISO 8601 time with
its offset; used as argparse types, so a bad value is a usage error (exit 2) before anything runs."""

from __future__ import annotations

import argparse
import datetime as dt

from dashboard.i18n import WIB


def wib_instant(text: str) -> dt.datetime:
    """'2026-11-01' is the start of that day in WIB; '2026-11-01T08:00+07:00' that instant (UTC returned)."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(), tzinfo=WIB).astimezone(dt.UTC)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a date (YYYY-MM-DD, WIB) or a time with its offset (2026-11-01T08:00+07:00)"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: give the offset (e.g. +07:00), or a plain date")
    return moment.astimezone(dt.UTC)
