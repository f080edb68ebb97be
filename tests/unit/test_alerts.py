"""The alert state machine and the rules file, with a fixed clock."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.alert_messages import render
from dashboard.alert_rules import AlertConfig, AlertRulesError, parse_rules
from dashboard.alerts import Alert, Finding, Silence, complaint_findings, plan

T0 = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # 09:00 WIB
CONFIG = AlertConfig(
    repeat_minutes=60,
    ladder={
        "opd_team": ("team@x.id",),
        "opd_head": ("head@x.id",),
        "media_center": ("mc@x.id",),
        "sekda": ("sekda@x.id",),
    },
)


def finding(cid: str, stage: str, opd: str = "DSDABM") -> Finding:
    facts = {
        "complaint_id": cid,
        "category": "sampah",
        "kecamatan_code": "35.78.05",
        "opd": opd,
        "due_at": (T0 + dt.timedelta(hours=1)).isoformat(),
    }
    return Finding("complaint_sla", cid, stage, opd, facts)


def stored(result, now, start_id=1) -> list[Alert]:
    """The firing alerts after a plan, as the store would hand them to the next one."""
    return [
        Alert(
            start_id + i,
            f.rule,
            f.subject,
            f.stage,
            f.group,
            0,
            now,
            now if f in result.opened else None,
            facts=f.facts,
        )
        for i, f in enumerate([*result.opened, *result.opened_silenced])
    ]


def test_thirty_complaints_of_one_opd_breaching_together_are_one_message_listing_every_number():
    found = [finding(f"MC-{i:03d}", "breached") for i in range(30)] + [finding("MC-900", "breached", "DINKES")]
    result = plan([], found, T0, CONFIG)
    assert [(n.kind, n.group, len(n.items)) for n in result.notices] == [
        ("firing", "DINKES", 1),
        ("firing", "DSDABM", 30),
    ]
    message = render(result.notices[1], CONFIG)
    assert all(f"MC-{i:03d}" in message.body for i in range(30))
    assert "(30)" in message.subject and "lewat batas" in message.subject


def test_once_per_state_then_the_next_stage_supersedes_without_a_second_message_for_the_first():
    first = plan([], [finding("A", "at_risk")], T0, CONFIG)
    firing = stored(first, T0)
    again = plan(firing, [finding("A", "at_risk")], T0 + dt.timedelta(minutes=5), CONFIG)
    assert again.notices == [] and again.opened == []
    later = plan(firing, [finding("A", "critical")], T0 + dt.timedelta(minutes=10), CONFIG)
    assert later.superseded == [1] and [n.stage for n in later.notices] == ["critical"]
    assert later.notices[0].step == 1


def test_repeats_on_the_interval_while_it_holds_and_not_once_acknowledged():
    firing = stored(plan([], [finding("A", "breached")], T0, CONFIG), T0)
    assert plan(firing, [finding("A", "breached")], T0 + dt.timedelta(minutes=59), CONFIG).notices == []
    repeat = plan(firing, [finding("A", "breached")], T0 + dt.timedelta(minutes=60), CONFIG)
    assert [n.kind for n in repeat.notices] == ["repeat"] and repeat.notified == [1]
    firing[0].acknowledged_at = T0 + dt.timedelta(minutes=1)
    assert plan(firing, [finding("A", "breached")], T0 + dt.timedelta(hours=3), CONFIG).notices == []


def test_resolves_with_a_message_when_the_condition_clears():
    firing = stored(plan([], [finding("A", "critical"), finding("B", "critical")], T0, CONFIG), T0)
    result = plan(firing, [finding("B", "critical")], T0 + dt.timedelta(minutes=3), CONFIG)
    assert result.resolved == [1]
    assert [(n.kind, [i["subject"] for i in n.items]) for n in result.notices] == [("resolved", ["A"])]
    assert render(result.notices[0], CONFIG).subject.startswith("[Pantau] SELESAI")


def test_escalation_goes_up_the_ladder_and_each_step_tells_the_steps_below():
    stages = ["at_risk", "critical", "breached", "escalated"]
    steps = [plan([], [finding("A", s)], T0, CONFIG).notices[0].step for s in stages]
    assert steps == [0, 1, 2, 3]
    assert CONFIG.recipients("DSDABM", 0) == ("team@x.id",)
    assert CONFIG.recipients("DSDABM", 3) == ("team@x.id", "head@x.id", "mc@x.id", "sekda@x.id")
    mixed = plan([], [finding("A", "escalated"), finding("B", "at_risk"), finding("C", "breached")], T0, CONFIG)
    assert [n.stage for n in mixed.notices] == ["at_risk", "breached", "escalated"]


def test_a_silence_keeps_the_alert_unsent_until_it_ends_then_it_is_sent():
    silence = Silence(until=T0 + dt.timedelta(hours=2), group="DSDABM")
    result = plan([], [finding("A", "breached"), finding("B", "breached", "DINKES")], T0, CONFIG, [silence])
    assert [n.group for n in result.notices] == ["DINKES"] and [f.subject for f in result.opened_silenced] == ["A"]
    firing = stored(result, T0)
    during = plan(
        firing,
        [finding("A", "breached"), finding("B", "breached", "DINKES")],
        T0 + dt.timedelta(minutes=30),
        CONFIG,
        [silence],
    )
    assert during.notices == []
    after = plan(
        firing,
        [finding("A", "breached"), finding("B", "breached", "DINKES")],
        T0 + dt.timedelta(hours=2),
        CONFIG,
        [silence],
    )
    assert [(n.kind, n.group) for n in after.notices] == [("firing", "DSDABM"), ("repeat", "DINKES")]


def test_complaints_breached_long_enough_escalate_and_disabled_stages_fall_back():
    rows = [
        {
            "complaint_id": "A",
            "category": "sampah",
            "opd": "DSDABM",
            "kecamatan_code": None,
            "due_at": T0 - dt.timedelta(hours=5),
            "state": "breached",
        },
        {
            "complaint_id": "B",
            "category": "sampah",
            "opd": None,
            "kecamatan_code": None,
            "due_at": T0 - dt.timedelta(hours=1),
            "state": "breached",
        },
    ]
    assert [f.stage for f in complaint_findings(rows, T0, CONFIG)] == ["escalated", "breached"]
    only_breach = AlertConfig(complaint_stages=("breached",))
    assert [f.stage for f in complaint_findings(rows, T0, only_breach)] == ["breached", "breached"]
    assert complaint_findings(rows[:1], T0, AlertConfig(complaint_stages=("at_risk",)))[0].stage == "at_risk"


def test_english_by_setting():
    notice = plan([], [finding("A", "breached")], T0, CONFIG).notices[0]
    message = render(notice, AlertConfig(language="en"))
    assert "past the 1x24 h deadline" in message.subject and "due 27 Nov 2026 10:00 WIB" in message.body
    assert "batas 27 Nov 2026 10.00 WIB" in render(notice, CONFIG).body
    assert message.link.endswith("/briefing?complaint=A")


RULES = """\
language = "en"

[rules.complaint_sla]
stages = ["critical", "breached"]
escalate_after_hours = 2

[webhooks.chat]
url = "https://chat.example/hook"
format = "chat"

[ladder]
opd_team = ["tpkpm@surabaya.go.id"]
media_center = ["mc@surabaya.go.id", "webhook:chat"]

[ladder.opd.DSDABM]
opd_team = ["tpkpm.dsdabm@surabaya.go.id"]
"""


def test_a_rules_file_sets_thresholds_ladder_and_webhooks():
    config = parse_rules(RULES, AlertConfig())
    assert config.language == "en" and config.complaint_stages == ("critical", "breached")
    assert config.escalate_after_hours == 2
    assert config.recipients("DSDABM", 2) == ("tpkpm.dsdabm@surabaya.go.id", "mc@surabaya.go.id", "webhook:chat")
    assert config.recipients("DINKES", 0) == ("tpkpm@surabaya.go.id",)


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("escalate_after_hours = 2", 'escalate_after_hours = "two"'), 5, "must be a number"),
        (('format = "chat"', 'format = "teams"'), 9, "must be one of"),
        (('"webhook:chat"]', '"webhook:nope"]'), 13, "no [webhooks.*] table"),
        (("[ladder]", "[ladder]\nsekda = ['not an address']"), 12, "neither an e-mail"),
        (("stages = [", "stagez = ["), 4, "is not known here"),
        (('language = "en"', 'language = "en'), 1, "line 1"),
    ],
)
def test_rules_file_errors_name_the_line(change, line, words):
    with pytest.raises(AlertRulesError) as error:
        parse_rules(RULES.replace(*change), AlertConfig(), "rules.toml")
    assert f"line {line}" in str(error.value) and words in str(error.value)


def test_the_escalation_title_says_its_time_in_hours_or_under_an_hour_in_minutes():
    from dashboard.alert_messages import title_of

    def title(hours, lang="id"):
        return title_of("complaint_sla", "escalated", AlertConfig(escalate_after_hours=hours), lang)

    assert title(4) == "Aduan lewat batas 4 jam atau lebih"
    assert title(2.5) == "Aduan lewat batas 2,5 jam atau lebih"
    assert title(0.1) == "Aduan lewat batas 6 menit atau lebih"  # a rules file's smallest
    assert title(12 / 3600, "en") == "Complaints past their deadline by 0.2 min or more"  # the demo's 12 s
