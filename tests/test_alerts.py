"""Alerts (issue 23, item 4): the campaign's rules, each raised once per unit, rule and day, shown
to the heads they concern and e-mailed to them through a real SMTP server.

VN → P1 (A, B), heads of A, B and P1 with e-mail addresses. A and B report on 18/11 and 19/11; only
A reports on 20/11 (so 19/11 is the complete day). A's late-payment debt goes from 20 to 30 million
VND on a revenue plan of 1,000: 2 % on 18/11, 3 % on 19/11, over the 2.55 % ceiling.
"""
from datetime import datetime

import pytest

import sprint
from sprint import alerts, delivery
from sprint.delivery import Smtp
from sprint.store import VIETNAM
from test_delivery import SmtpServer

UNITS = b"unit_code,name,parent_code\nVN,Nation,\nP1,Province 1,VN\nA,Commune A,P1\nB,Commune B,P1\n"
TARGETS = b"""unit_code,metric,milestone,target
A,compulsory_si,2025-11-30,100
B,compulsory_si,2025-11-30,100
A,revenue,2025-12-31,1000
B,revenue,2025-12-31,1000
P1,revenue,2025-12-31,2000
"""
COUNTS = b"""date,unit_code,compulsory_si,late_debt
2025-11-18,A,95,20
2025-11-18,B,90,10
2025-11-19,A,96,30
2025-11-19,B,91,10
2025-11-20,A,97,30
"""
MORNING = datetime(2025, 11, 21, 10, 30, tzinfo=VIETNAM)


@pytest.fixture
def alert_con(con):
    sprint.load_units(con, UNITS, name="units.csv")
    sprint.load_targets(con, TARGETS, name="targets.csv", replace_all=True)
    sprint.ingest(con, COUNTS, name="counts.csv")
    for name, unit in (("head-a", "A"), ("head-b", "B"), ("head-p1", "P1")):
        sprint.add_account(con, name, role="unit", unit=unit, email=f"{name}@example.vn", password=None)
    return con


def raised(con, *rules):
    found = alerts.alerts(con, limit=1000)
    return sorted(found.loc[found["rule"].isin(rules), ["rule", "unit_code", "metric", "detail"]].values.tolist())


def test_the_rules_raise_each_alert_once_a_day(alert_con):
    assert alerts.raise_alerts(alert_con, now=MORNING.replace(hour=9)) > 0
    assert raised(alert_con, "not_reported", "over_ceiling") == [["over_ceiling", "A", "late_debt", "3.0/2.55"]]
    alerts.raise_alerts(alert_con, now=MORNING)  # 10:30: the reports for 20/11 were due by 10:00
    assert raised(alert_con, "not_reported", "over_ceiling") == [
        ["not_reported", "B", "", "2025-11-20"], ["over_ceiling", "A", "late_debt", "3.0/2.55"]]
    before = len(alerts.alerts(alert_con, limit=1000))
    sprint.ingest(alert_con, b"date,unit_code,metric,value\n2025-11-20,A,compulsory_si,98\n", name="more.csv")
    assert alerts.raise_alerts(alert_con, now=MORNING.replace(hour=11)) == 0  # the same alerts, the same day
    assert len(alerts.alerts(alert_con, limit=1000)) == before


def test_an_alert_concerns_its_unit_s_head_and_the_heads_above(alert_con):
    alerts.raise_alerts(alert_con, now=MORNING)
    seen_by = {name: set(alerts.alerts(alert_con, account=name)["unit_code"]) for name in ("head-a", "head-b", "head-p1")}
    assert seen_by == {"head-a": {"A"}, "head-b": {"B"}, "head-p1": {"A", "B"}}
    bell = alerts.alerts(alert_con, account="head-a")
    assert bell["new"].all()
    alerts.mark_seen(alert_con, account="head-a", until=int(bell["alert_id"].max()))
    assert not alerts.alerts(alert_con, account="head-a")["new"].any()
    names = alerts.metric_names(alert_con, "vi")
    said = {alerts.describe(row, "vi", names) for row in alerts.alerts(alert_con, account="head-b").to_dict("records")}
    assert "Commune B chưa gửi báo cáo ngày 20/11/2025." in said


def test_each_head_is_mailed_each_alert_once(alert_con, tmp_path):
    server = SmtpServer(tmp_path)
    try:
        smtp = Smtp("127.0.0.1", server.port)
        first = delivery.deliver(alert_con, now=MORNING, smtp=smtp)
        expected = {name: len(alerts.alerts(alert_con, account=name, limit=1000))
                    for name in ("head-a", "head-b", "head-p1")}
        assert dict(first.alerts) == expected
        again = delivery.deliver(alert_con, now=MORNING.replace(hour=11), smtp=smtp)
        assert again.alerts == []
        messages = {m["To"]: m for m in server.messages(alerts=True)}
        assert sorted(messages) == ["head-a@example.vn", "head-b@example.vn", "head-p1@example.vn"]
        digest = messages["head-p1@example.vn"]
        text = next(p for p in digest.walk() if p.get_content_type() == "text/plain").get_content()
        assert "Commune B chưa gửi báo cáo ngày 20/11/2025." in text and "Commune A: tỷ lệ nợ chậm đóng vượt" in text
        assert "late_payers?scope=A" in text
        assert digest["Subject"] == f"Sprint BHXH: {expected['head-p1']} cảnh báo mới"
    finally:
        server.stop()


def test_a_refused_alert_mail_is_given_back_and_sent_later(alert_con, tmp_path):
    from test_delivery import free_port

    refused = delivery.deliver(alert_con, now=MORNING, smtp=Smtp("127.0.0.1", free_port(), timeout=5))
    assert refused.failed and refused.failed[0][1] == "alerts"
    assert alert_con.execute("SELECT count(*) FROM alert_mail").fetchall() == [(0,)]
    server = SmtpServer(tmp_path)
    try:
        later = delivery.deliver(alert_con, now=MORNING.replace(hour=11), smtp=Smtp("127.0.0.1", server.port))
        assert len(later.alerts) == 3 and len(server.messages(alerts=True)) == 3
    finally:
        server.stop()


def test_behind_is_raised_when_a_unit_turns_behind_on_the_demo(demo_con):
    """On the demo: the units whose status is behind on the complete day and was not the day before."""
    from datetime import timedelta

    alerts.raise_alerts(demo_con, now=MORNING)
    day = sprint.complete_date(demo_con)
    now, before = (sprint.progress(demo_con, as_of=d).set_index(["unit_code", "metric"])["status"]
                   for d in (day, day - timedelta(days=1)))
    turned = {key for key, status in now.items() if status == "behind" and before.get(key) != "behind"}
    found = alerts.alerts(demo_con, limit=10_000)
    assert {(r.unit_code, r.metric) for r in found[found["rule"] == "behind"].itertuples()} == turned and turned


def test_no_report_is_due_after_the_campaign(alert_con):
    alerts.raise_alerts(alert_con, now=datetime(2026, 1, 5, 10, 30, tzinfo=VIETNAM))
    assert raised(alert_con, "not_reported") == []
