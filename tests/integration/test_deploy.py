"""deploy/ as shipped: the Prometheus rules pass Debian's promtool (syntax and their own unit tests), the rules
and the Grafana dashboard name only metrics Pantau exports, the environment template only settings Pantau
knows, and the systemd units keep their restart policy and hardening. nginx's site runs in test_nginx.py."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from dashboard.settings import ENVIRONMENT_VARIABLES
from data_sources import metrics
from data_sources.stream.connection import connect
from data_sources.stream.stream_state import StreamCollector
from web import wall_push

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "pantau-rules.yml"
DASHBOARD = DEPLOY / "grafana" / "pantau-dashboard.json"
SUFFIXES = ("", "_total", "_bucket", "_count", "_sum", "_created")


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is missing: install Debian's prometheus package (scripts/test does)")
    return subprocess.run([tool, *args], capture_output=True, text=True, cwd=RULES.parent, timeout=60)


def test_promtool_checks_the_rules_and_their_unit_tests():
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 11 rules found" in checked.stdout
    tested = promtool("test", "rules", "pantau-rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def exported_names(redis_settings) -> set[str]:
    client = connect(redis_settings)
    try:
        text = generate_latest(metrics.registry_for_scrape(StreamCollector(client, redis_settings))).decode()
    finally:
        client.close()
    families = set(re.findall(r"^# TYPE (pantau_\w+) ", text, re.M))
    return {family + suffix for family in families for suffix in SUFFIXES}


def test_rules_and_dashboard_name_only_exported_metrics(redis_settings):
    exported = exported_names(redis_settings)
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for source, text in (("rules", RULES.read_text()), ("dashboard", "\n".join(expressions))):
        named = set(re.findall(r"\bpantau_[a-z_]+", text)) - {"pantau_web", "pantau_ingest", "pantau_readyz"}
        assert named, source
        assert named <= exported, (source, sorted(named - exported))


def test_environment_template_names_only_known_settings():
    names = re.findall(r"^#?(PANTAU_[A-Z_]+)=", (DEPLOY / "pantau.env.example").read_text(), re.M)
    assert names and set(names) <= set(ENVIRONMENT_VARIABLES), sorted(set(names) - set(ENVIRONMENT_VARIABLES))


@pytest.mark.parametrize("unit", ["pantau-web", "pantau-ingest", "pantau-alerts"])
def test_systemd_units_restart_and_are_hardened(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / "systemd" / f"{unit}.service").read_text())
    service = parser["Service"]
    assert service["Restart"] == "always" and service["User"] == "pantau"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes" and service["ProtectHome"] == "yes"
    assert service["CapabilityBoundingSet"] == "" and service["EnvironmentFile"] == "/etc/pantau/pantau.env"
    # only the web app's workers share a multiprocess folder; the ingestor keeps its metrics in its process
    assert ("PROMETHEUS_MULTIPROC_DIR" in service.get("Environment", "")) == (unit == "pantau-web")


def test_nginx_passes_the_walls_push_unbuffered():
    """The push (web/wall_push.py) says X-Accel-Buffering: no in every answer; the site says it for the path
    too, so a push still leaves at once if a later change dropped the header. test_nginx.py runs it."""
    site = (DEPLOY / "nginx" / "pantau.conf").read_text()
    block = re.search(r"location = /_wall/pulse \{(?P<body>[^}]*)\}", site)
    assert block is not None
    directives = {line.strip().rstrip(";") for line in block["body"].splitlines() if line.strip()}
    assert "proxy_buffering off" in directives and "proxy_pass http://pantau_app" in directives
    timeout = re.search(r"proxy_read_timeout (\d+)s", block["body"])
    assert timeout and int(timeout[1]) > wall_push.STREAM_LIFE_S  # a stream ends itself before nginx cuts it
