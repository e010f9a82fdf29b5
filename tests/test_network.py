"""The collection network (issue 22, item 5), with numbers computed by hand.

The store: VN → P1 (A, B), P2 (C). Voluntary social insurance on 30/09/2025 (the baseline): A 40,
B 20, C 10; on 10/10 A 60 and B 30; on 17/10 A 70. So as of 17/10 A has 30 new participants, B 10,
P1 40, C none, the nation 40.

The network: ORG1 (contracted by P1; its own target 50) with points PT1 (in A) and PT2 (in B) and
staff ST1 (in A); staff ST2 (in A, no organisation); ORG2 (contracted by P2, no target of its own)
with point PT3 (in C). Targets at 31/10: PT1 20, PT2 8, ST1 10, ST2 4, PT3 5.

Reports: on 10/10 PT1 8, PT2 5, ST1 6, ST2 2; then a file with PT1 12 on 15/10 and PT2's 10/10
corrected to 6; then PT1 30 on 20/10 (after the day the figures are read for). PT3 never reports.
"""
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

import sprint
from sprint.cli import cli

AS_OF = date(2025, 10, 17)

UNITS = b"""unit_code,name,parent_code
VN,Nation,
P1,Province 1,VN
P2,Province 2,VN
A,Commune A,P1
B,Commune B,P1
C,Commune C,P2
"""
TARGETS = b"""unit_code,metric,milestone,target
P1,voluntary_si,2025-10-31,120
P2,voluntary_si,2025-10-31,20
"""
COUNTS = b"""date,unit_code,voluntary_si
2025-09-30,A,40
2025-09-30,B,20
2025-09-30,C,10
2025-10-10,A,60
2025-10-10,B,30
2025-10-17,A,70
"""
ROSTER = """collector_code,kind,name,unit_code,organisation
ORG1,organisation,Bưu điện P1,P1,
PT1,point,Điểm thu A1,A,ORG1
PT2,point,Điểm thu B1,B,ORG1
ST1,staff,Nguyễn Văn A,A,ORG1
ST2,staff,Trần Thị B,A,
ORG2,organisation,Tổ chức P2,P2,
PT3,point,Điểm thu C1,C,ORG2
""".encode()
NETWORK_TARGETS = b"""collector_code,metric,milestone,target
ORG1,voluntary_si,2025-10-31,50
PT1,voluntary_si,2025-10-31,20
PT2,voluntary_si,2025-10-31,8
ST1,voluntary_si,2025-10-31,10
ST2,voluntary_si,2025-10-31,4
PT3,voluntary_si,2025-10-31,5
"""
FIRST_REPORT = b"""date,collector_code,metric,value
2025-10-10,PT1,voluntary_si,8
2025-10-10,PT2,voluntary_si,5
2025-10-10,ST1,voluntary_si,6
2025-10-10,ST2,voluntary_si,2
"""
# the wide form: a correction of PT2's 10/10, and PT1's 15/10
SECOND_REPORT = """date,collector_code,name,voluntary_si
2025-10-10,PT2,Điểm thu B1,6
2025-10-15,PT1,Điểm thu A1,12
""".encode()
LATER_REPORT = b"""date,collector_code,metric,value
2025-10-20,PT1,voluntary_si,30
"""


@pytest.fixture
def network_con(con):
    sprint.load_units(con, UNITS, name="units.csv")
    sprint.load_targets(con, TARGETS, name="targets.csv", replace_all=True)
    sprint.ingest(con, COUNTS, name="counts.csv")
    sprint.load_collectors(con, ROSTER, name="network.csv")
    sprint.load_network_targets(con, NETWORK_TARGETS, name="network-targets.csv")
    for name, report in (("r1.csv", FIRST_REPORT), ("r2.csv", SECOND_REPORT), ("r3.csv", LATER_REPORT)):
        assert sprint.ingest_collections(con, report, name=name).committed
    return con


def board(con, unit, kind):
    frame = sprint.network(con, as_of=AS_OF, unit=unit, kind=kind, metric="voluntary_si")
    return {row.collector_code: row for row in frame.itertuples()}


def test_a_collector_counts_its_latest_report_on_or_before_the_day_against_its_target(network_con):
    points = board(network_con, "P1", "point")
    assert list(points) == ["PT2", "PT1"]  # 75 % before 60 %
    pt1, pt2 = points["PT1"], points["PT2"]
    assert (pt1.rank, pt1.collected, pt1.reported_on, pt1.target, pt1.attainment_pct, pt1.gap) == \
        (2, 12, pd.Timestamp(2025, 10, 15), 20, 60.0, 8)  # its 20/10 report is after the day
    assert (pt2.rank, pt2.collected, pt2.target, pt2.attainment_pct, pt2.gap) == (1, 6, 8, 75.0, 2)  # corrected 5 → 6
    assert (pt1.share_pct, pt2.share_pct) == (30.0, 15.0)  # of P1's 40 new participants
    assert (pt1.organisation, pt1.organisation_name, pt1.unit_code, pt1.milestone) == \
        ("ORG1", "Bưu điện P1", "A", pd.Timestamp(2025, 10, 31))
    staff = board(network_con, "P1", "staff")
    assert [(s.collector_code, s.rank, s.attainment_pct) for s in staff.values()] == [("ST1", 1, 60.0), ("ST2", 2, 50.0)]


def test_an_organisation_is_the_sum_of_its_members_and_its_own_target_else_theirs(network_con):
    organisations = board(network_con, "VN", "organisation")
    org1, org2 = organisations["ORG1"], organisations["ORG2"]
    assert (org1.collected, org1.target, org1.attainment_pct) == (12 + 6 + 6, 50, 48.0)  # ST2 belongs to none
    assert pd.isna(org2.collected) and org2.target == 5 and pd.isna(org2.attainment_pct) and org2.rank == 2


def test_the_network_s_share_of_a_unit_s_new_participants(network_con):
    p1 = sprint.network_summary(network_con, as_of=AS_OF, unit="P1").iloc[0]
    assert (p1.organisations, p1.points, p1.staff, p1.reporting) == (1, 2, 2, 4)
    assert (p1.collected, p1.target, p1.attainment_pct, p1.unit_new, p1.share_pct) == (26, 42, 61.9, 40, 65.0)
    a = sprint.network_summary(network_con, as_of=AS_OF, unit="A").iloc[0]
    assert (a.points, a.staff, a.collected, a.unit_new, a.share_pct) == (1, 2, 12 + 6 + 2, 30, 66.67)
    nation = sprint.network_summary(network_con, as_of=AS_OF).iloc[0]
    assert (nation.organisations, nation.points, nation.collected, nation.target, nation.attainment_pct) == \
        (2, 3, 26, 47, 55.32)
    assert (nation.unit_new, nation.share_pct) == (40, 65.0)  # C added no one


def test_the_network_never_changes_the_administrative_figures(con):
    sprint.load_units(con, UNITS, name="units.csv")
    sprint.load_targets(con, TARGETS, name="targets.csv", replace_all=True)
    sprint.ingest(con, COUNTS, name="counts.csv")
    before = sprint.progress(con, as_of=AS_OF)
    sprint.load_collectors(con, ROSTER, name="network.csv")
    sprint.ingest_collections(con, FIRST_REPORT, name="r1.csv")
    pd.testing.assert_frame_equal(sprint.progress(con, as_of=AS_OF), before)
    assert before.set_index("unit_code").loc["P1", "value"] == 100


def test_every_upload_s_rows_are_kept_and_a_file_sent_again_is_not_taken(network_con):
    history = network_con.execute("""SELECT u.file_name, r.value FROM collector_reports r JOIN uploads u USING (upload_id)
                                     WHERE r.collector_code = 'PT2' ORDER BY r.upload_id""").fetchall()
    assert history == [("r1.csv", 5), ("r2.csv", 6)]
    again = sprint.ingest_collections(network_con, FIRST_REPORT, name="r1-again.csv")
    assert again.already_taken and not again.committed
    assert network_con.execute("SELECT count(*) FROM collector_reports").fetchall()[0][0] == 4 + 2 + 1


def problems_of(call, *args, **kwargs):
    with pytest.raises(sprint.ValidationError) as raised:
        call(*args, **kwargs)
    return [(p.line, p.column, p.code) for p in raised.value.problems]


def test_a_bad_report_is_refused_with_line_and_column_and_changes_nothing(network_con):
    kept = network_con.execute("SELECT count(*) FROM collector_reports").fetchall()[0][0]
    bad = b"""date,collector_code,metric,value
2025-10-16,ORG1,voluntary_si,3
2025-10-16,NOBODY,voluntary_si,3
2025-10-16,PT1,revenue,3
2025-09-30,PT1,voluntary_si,3
2025-10-16,ST1,voluntary_si,-2
2025-10-16,ST2,voluntary_si,3
2025-10-16,ST2,voluntary_si,4
"""
    assert problems_of(sprint.ingest_collections, network_con, bad, name="bad.csv") == [
        (2, "collector_code", "collector_is_organisation"), (3, "collector_code", "collector_unknown"),
        (4, "metric", "metric_unknown"), (5, "date", "date_outside_campaigns"), (6, "value", "number_negative"),
        (8, "value", "collection_conflict")]
    assert network_con.execute("SELECT count(*) FROM collector_reports").fetchall()[0][0] == kept
    rejected = network_con.execute("SELECT outcome FROM uploads WHERE file_name = 'bad.csv'").fetchall()
    assert rejected == [("rejected",)]


def test_a_head_sends_only_the_reports_of_the_collectors_their_unit_contracts(network_con):
    """PT2 is contracted by B: the head of A may not send its report; the head of P1 may."""
    report = b"date,collector_code,metric,value\n2025-10-16,PT1,voluntary_si,13\n2025-10-16,PT2,voluntary_si,7\n"
    assert problems_of(sprint.ingest_collections, network_con, report, name="a.csv", scope="A") == \
        [(3, "collector_code", "collector_outside_scope")]
    assert sprint.ingest_collections(network_con, report, name="p1.csv", scope="P1").committed


def test_a_bad_roster_or_network_targets_file_is_refused_with_line_and_column(network_con):
    roster = b"""collector_code,kind,name,unit_code,organisation
PT9,point,Somewhere,C,ORG1
PT8,booth,Booth,A,
PT7,point,Nowhere,Z,
ORG3,organisation,Org,P1,ORG1
PT6,point,Lost,A,PT1
"""
    assert problems_of(sprint.load_collectors, network_con, roster, name="roster.csv") == [
        (2, "organisation", "organisation_elsewhere"), (3, "kind", "collector_kind"),
        (4, "unit_code", "target_unit_unknown"), (5, "organisation", "organisation_of_organisation"),
        (6, "organisation", "organisation_unknown")]
    targets = b"collector_code,metric,milestone,target\nNOBODY,voluntary_si,2025-10-31,5\nPT1,revenue,2025-10-31,5\n"
    assert problems_of(sprint.load_network_targets, network_con, targets, name="t.csv", replace_all=True) == [
        (2, "collector_code", "collector_unknown"), (3, "metric", "metric_unknown")]
    assert network_con.execute("SELECT count(*) FROM collectors").fetchall()[0][0] == 7


def test_the_template_lists_the_points_and_staff_with_their_last_report(network_con):
    template = sprint.network_template(network_con, unit="A")
    assert list(template["collector_code"]) == ["PT1", "ST1", "ST2"]
    assert list(template["last_value"]) == [30, 6, 2] and template["value"].isna().all()
    filled = template.assign(value=[31, 7, 3], date=date(2025, 10, 21))
    result = sprint.ingest_collections(network_con, filled.to_csv(index=False).encode(), name="filled.csv", scope="A")
    assert (result.rows, result.new) == (3, 3)


def test_the_command_line_reads_and_sends_the_network(tmp_path):
    store = tmp_path / "cli.duckdb"
    files = {name: tmp_path / name for name in ("units.csv", "targets.csv", "counts.csv", "network.csv",
                                                "network-targets.csv", "r1.csv", "bad.csv")}
    for (name, path), data in zip(files.items(), (UNITS, TARGETS, COUNTS, ROSTER, NETWORK_TARGETS, FIRST_REPORT,
                                                  b"date,collector_code,metric,value\n2025-10-16,ORG1,voluntary_si,3\n")):
        path.write_bytes(data)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", str(store)])
    assert run("init").exit_code == 0
    for command, name in (("load-units", "units.csv"), ("load-network", "network.csv"),
                          ("load-network-targets", "network-targets.csv"), ("ingest-network", "r1.csv")):
        if command == "load-network":
            assert run("load-targets", str(files["targets.csv"]), "--replace-all").exit_code == 0
            assert run("ingest", str(files["counts.csv"])).exit_code == 0
        result = run(command, str(files[name]))
        assert result.exit_code == 0, result.output
    refused = run("ingest-network", str(files["bad.csv"]))
    assert refused.exit_code == 1 and "bad.csv" in refused.output and "Traceback" not in refused.output
    rows = __import__("json").loads(run("network", "--as-of", "2025-10-17", "--unit", "P1", "--format", "json").output)
    assert [(r["collector_code"], r["collected"], r["attainment_pct"]) for r in rows] == \
        [("PT2", 5, 62.5), ("PT1", 8, 40.0)]
    summary = run("network-summary", "--as-of", "2025-10-17", "--unit", "P1", "--format", "csv").output
    assert summary.splitlines()[1].startswith("P1,Province 1,voluntary_si,2025-10-17,1,2,2,4,21,42,50.0,40,52.5")


def test_the_demo_has_thanh_hoa_s_network(demo_con):
    """Seed 003: 19 service organisations, 1,109 collection points, 2,241 collection staff."""
    summary = sprint.network_summary(demo_con, as_of=date(2025, 11, 20), unit="38", metric="voluntary_si").iloc[0]
    assert (summary.organisations, summary.points, summary.staff) == (19, 1_109, 2_241)
    assert 0 < summary.share_pct < 100 and summary.collected <= summary.unit_new
