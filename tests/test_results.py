"""The phases' results (issue 23, item 1), with numbers computed by hand.

The store: VN → P1 (A, B), P2 (C); targets at phase 1's milestone (31/10/2025): compulsory 100
and voluntary 50 for each commune, 200 and 100 for P1, 100 and 50 for P2; revenue plans of 1,000
million VND per commune at the campaign's end. Reported for 31/10, received on 01/11: A 110 and
55 (late-payment debt 20: 2 %), B 105 and 50 (debt 40: 4 %, over the 2.55 % ceiling), C 90 and
60 (debt 10). The phase's cut-off is the end of 03/11 (the campaign's 3 days).

By hand: A scores (110 + 110) / 2 = 110, C (90 + 120) / 2 = 105, B (105 + 100) / 2 = 102.5; A met
both targets within its ceiling: the emulation flag (the campaign's first honour); B met both but
is over its ceiling; C missed compulsory by 10. P1: 215 of 200 and 105 of 100 (106.25), over its
ceiling (60 of 2,000: 3 %); P2: 90 of 100, 60 of 50 (105).
"""
from datetime import date, datetime

import pandas as pd
import pytest

import sprint
from sprint.store import VIETNAM

UNITS = b"""unit_code,name,parent_code
VN,Nation,
P1,Province 1,VN
P2,Province 2,VN
A,Commune A,P1
B,Commune B,P1
C,Commune C,P2
"""
TARGETS = b"""unit_code,metric,milestone,target
A,compulsory_si,2025-10-31,100
A,voluntary_si,2025-10-31,50
B,compulsory_si,2025-10-31,100
B,voluntary_si,2025-10-31,50
C,compulsory_si,2025-10-31,100
C,voluntary_si,2025-10-31,50
P1,compulsory_si,2025-10-31,200
P1,voluntary_si,2025-10-31,100
P2,compulsory_si,2025-10-31,100
P2,voluntary_si,2025-10-31,50
A,revenue,2025-12-31,1000
B,revenue,2025-12-31,1000
C,revenue,2025-12-31,1000
P1,revenue,2025-12-31,2000
P2,revenue,2025-12-31,1000
"""
COUNTS = b"""date,unit_code,compulsory_si,voluntary_si,late_debt
2025-10-31,A,110,55,20
2025-10-31,B,105,50,40
2025-10-31,C,90,60,10
"""


def moment(day: int, month: int = 11, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=VIETNAM)


@pytest.fixture
def phase_con(con):
    sprint.load_units(con, UNITS, name="units.csv")
    sprint.load_targets(con, TARGETS, name="targets.csv", replace_all=True)
    sprint.ingest(con, COUNTS, name="31-10.csv", received_at=moment(1))
    # C's correction comes after the cut-off: the phase does not take it
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-10-31,C,compulsory_si,100\n", name="late.csv",
                  received_at=moment(5))
    return con


def standings(con, level):
    return sprint.results(con, phase=1, level=level).set_index("unit_code")


def test_the_standings_of_a_phase_by_hand(phase_con):
    communes = standings(phase_con, "grassroots")
    assert list(communes.index) == ["A", "C", "B"]
    assert communes["rank"].tolist() == [1, 2, 3] and communes["score"].tolist() == [110.0, 105.0, 102.5]
    assert communes["every_target_met"].tolist() == [True, False, True]
    assert communes["metrics_met"].tolist() == [2, 1, 2] and communes["metrics_targeted"].tolist() == [2, 2, 2]
    assert communes["late_payment_pct"].tolist() == [2.0, 1.0, 4.0]
    assert communes["within_ceiling"].tolist() == [True, True, False]
    assert communes["honour"].tolist() == ["flag", None, None]  # B met both targets but is over its ceiling
    provinces = standings(phase_con, "province")
    assert provinces["score"].to_dict() == {"P1": 106.25, "P2": 105.0}
    assert provinces["late_payment_pct"].to_dict() == {"P1": 3.0, "P2": 1.0}
    assert provinces["honour"].isna().all() and not provinces["closed"].any()


def test_each_metric_s_result_with_its_margin_and_rank(phase_con):
    compulsory = sprint.results(phase_con, phase=1, level="grassroots", metric="compulsory_si").set_index("unit_code")
    assert compulsory["value"].to_dict() == {"A": 110, "B": 105, "C": 90}  # C's 100 came after the cut-off
    assert compulsory["margin"].to_dict() == {"A": 10, "B": 5, "C": -10}
    assert compulsory["met"].to_dict() == {"A": True, "B": True, "C": False}
    assert compulsory["rank"].to_dict() == {"A": 1, "B": 2, "C": 3}
    assert compulsory["attainment_pct"].to_dict() == {"A": 110.0, "B": 105.0, "C": 90.0}


def test_closing_freezes_the_results_and_later_corrections_are_listed(phase_con):
    with pytest.raises(sprint.SprintError, match="takes reports until 03/11/2025"):
        sprint.close_phase(phase_con, phase=1, by="quantri", now=moment(3, hour=23))
    closed = sprint.close_phase(phase_con, phase=1, by="quantri", now=moment(6))
    assert closed["closed_by"] == "quantri" and closed["closed_at"] == moment(6)
    with pytest.raises(sprint.SprintError, match="was closed on 06/11/2025"):
        sprint.close_phase(phase_con, phase=1, by="quantri", now=moment(7))
    before = standings(phase_con, "grassroots")
    sprint.ingest(phase_con, b"date,unit_code,metric,value\n2025-10-31,A,voluntary_si,40\n", name="a-fix.csv")
    live = sprint.progress(phase_con, as_of=date(2025, 10, 31), unit="A", metric="voluntary_si").iloc[0]
    assert (live["value"], live["status"]) == (40, "missed")  # the live figures take it
    after = standings(phase_con, "grassroots")
    pd.testing.assert_frame_equal(after, before)  # the closed results do not
    assert after["closed"].all() and after.loc["A", "honour"] == "flag"
    late = sprint.late_corrections(phase_con, phase=1)
    assert late[["unit_code", "metric", "value_at_cutoff", "value"]].values.tolist() == [
        ["C", "compulsory_si", 90, 100], ["A", "voluntary_si", 55, 40]]
    entry = sprint.audit_log(phase_con, kind="phase").iloc[0]
    assert (entry["account"], entry["outcome"], entry["detail"]) == ("quantri", "closed", "2025/1")


def test_a_phase_that_does_not_exist_is_one_sentence(phase_con):
    with pytest.raises(sprint.UnknownError, match="has no phase 7; its phases are 1, 2, 3"):
        sprint.results(phase_con, phase=7)


def test_the_pdf_of_a_phase_holds_its_standings(phase_con, tmp_path):
    import subprocess

    sprint.close_phase(phase_con, phase=1, by="quantri", now=moment(6))
    path = tmp_path / "results.pdf"
    path.write_bytes(sprint.results_pdf(phase_con, phase=1, lang="vi"))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Kết quả thi đua giai đoạn 1 (mốc 31/10/2025)" in text and "đã chốt" in text
    assert "Commune A" in text and "110,00 %" in text and "Cờ thi đua" in text
    assert "Số liệu sửa sau ngày chốt số: 1" in text


def test_the_demo_s_phases_are_the_live_figures_of_their_milestones(tmp_path):
    """The demo up to 02/12: every file is received the morning after its last day, so the
    results of 31/10 and 30/11 are the leaderboard and figures of those days; honours go to units
    that met every target within their ceiling."""
    from sprint import demo

    con = sprint.connect(":memory:")
    sprint.init_store(con)
    demo.build_demo(con, until=date(2025, 12, 2))
    for phase, milestone, closing in ((1, date(2025, 10, 31), moment(4)), (2, date(2025, 11, 30), moment(4, 12))):
        sprint.close_phase(con, phase=phase, by="quantri", now=closing)
        frozen = sprint.results(con, phase=phase, level="grassroots")
        board = sprint.leaderboard(con, as_of=milestone, level="grassroots").set_index("unit_code")
        ranked = frozen.dropna(subset=["rank"]).set_index("unit_code")
        assert ranked["rank"].to_dict() == board.loc[ranked.index, "rank"].to_dict()
        assert ranked["score"].to_dict() == board.loc[ranked.index, "score"].to_dict()
        honoured = frozen[frozen["honour"].notna()]
        assert len(honoured) and honoured["every_target_met"].all() and honoured["within_ceiling"].fillna(True).all()
        assert (honoured["honour"] == "flag").sum() == 3
        over = frozen[frozen["within_ceiling"] == False]  # noqa: E712
        assert over["honour"].isna().all() and len(over)
