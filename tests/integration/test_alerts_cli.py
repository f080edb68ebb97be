"""`app.py alerts ...` run as an operator runs it: separate processes, real Redis, SQLite, a real SMTP server."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid

from data_sources.store.database import make_engine, upgrade
from tests.integration.test_cli import ROOT, clean_env
from tests.support.alert_receivers import SmtpServer
from tests.support.kpi_data import complaint, load


def app(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "app.py", "alerts", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_run_once_list_silence_ack_test_and_history(redis_url, tmp_path):
    db = f"sqlite:///{tmp_path / 'pantau.db'}"
    engine = make_engine(db)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    load(engine, complaints=[complaint("MC-9", now - dt.timedelta(hours=30), opd="DSDABM")])
    engine.dispose()
    with SmtpServer() as smtp:
        env = clean_env(
            PANTAU_REDIS_URL=redis_url,
            PANTAU_DATABASE_URL=db,
            PANTAU_DATA_DIR=str(tmp_path),
            PANTAU_STREAM_PREFIX=f"test-{uuid.uuid4().hex[:8]}",
            PANTAU_SMTP_URL=smtp.url,
            PANTAU_ALERT_EMAIL_FROM="pantau@surabaya.go.id",
            PANTAU_ALERT_EMAIL_TO="mc@surabaya.go.id",
        )
        once = app("run", "--once", env=env)
        assert once.returncode == 0, once.stderr
        assert json.loads(once.stdout.splitlines()[-1])["opened"] == 1
        # every ladder step goes to the one address: one message, once
        assert [m.to for m in smtp.wait_for(1)] == [["mc@surabaya.go.id"]]
        assert "MC-9" in smtp.inbox[0].body and "lewat batas" in smtp.inbox[0].subject
        listed = json.loads(app("list", "--json", env=env).stdout)
        alert = listed["firing"][0]
        assert (alert["subject"], alert["stage"]) == ("MC-9", "escalated")
        assert app("ack", str(alert["id"]), "--by", "koordinator", env=env).returncode == 0
        assert app("ack", "999", env=env).returncode == 2
        no_reason = app("silence", "--group", "DSDABM", "--hours", "2", "--reason", " ", env=env)
        assert no_reason.returncode == 2 and "reason" in no_reason.stderr
        assert (
            app("silence", "--group", "DSDABM", "--hours", "2", "--reason", "banjir", "--by", "mc", env=env).returncode
            == 0
        )
        assert app("test", "email", env=env).returncode == 0
        assert smtp.wait_for(2)[1].subject == "[Pantau] UJI COBA"
        history = app("history", "--csv", env=env).stdout.splitlines()
        assert history[0].startswith("at,event,rule")
        events = {line.split(",")[1] for line in history[1:]}
        assert {"fired", "delivered", "acknowledged", "silenced"} <= events


def test_a_bad_rules_file_stops_with_the_line(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[rules.complaint_sla]\nescalate_after_hours = -1\n")
    env = clean_env(PANTAU_DATA_DIR=str(tmp_path), PANTAU_ALERT_RULES_PATH=str(rules))
    result = app("list", env=env)
    assert result.returncode == 2
    assert "line 2: rules.complaint_sla.escalate_after_hours must be between" in result.stderr
