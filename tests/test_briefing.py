"""The morning briefing: a one-page A4 PDF whose text holds the figures the command line prints.

Read back with poppler's pdftotext, pdfinfo and pdffonts (Debian's poppler-utils, which .ci/run installs)."""
import subprocess
from datetime import date

import pytest
from click.testing import CliRunner

import sprint
from conftest import SCENARIO
from sprint import i18n
from sprint.cli import cli

AS_OF = date(2025, 11, 20)


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.fixture(scope="module")
def province_pdf(demo_store_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("briefing") / "66.pdf"
    result = CliRunner().invoke(cli, ["--db", str(demo_store_file), "briefing", "--as-of", "2025-11-20",
                                      "--unit", "66", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_one_a4_page_with_the_font_embedded(province_pdf):
    assert pdf_pages(province_pdf) == 1
    fonts = subprocess.run(["pdffonts", str(province_pdf)], check=True, capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # every font embedded
    size = subprocess.run(["pdfinfo", str(province_pdf)], check=True, capture_output=True, text=True).stdout
    assert "(A4)" in size


def test_the_text_holds_the_figures_the_cli_prints(province_pdf, demo_con):
    text = pdf_text(province_pdf)
    assert "Bản tin sáng: Đắk Lắk" in text  # every diacritic survives
    assert "Giai đoạn 2: 01/11/2025 – 30/11/2025 · còn 10 ngày đến mốc" in text  # as the progress page says it
    figures = sprint.outlook(demo_con, as_of=AS_OF, unit="66")
    names = sprint.metrics(demo_con).set_index("metric")["name_vi"]
    assert len(figures) == 6  # the five reported and social insurance, all
    for row in figures.itertuples():
        line = next(line for line in text.splitlines() if line.startswith(names[row.metric]))
        assert i18n.percent(row.attainment_pct, "vi") in line
        assert i18n.number(row.gap, "vi") in line
        assert f"{i18n.percent(100 * row.probability, 'vi', 0)} · {i18n.day_month(row.milestone, 'vi')}" in line


def test_laggards_climbers_and_who_has_not_reported(demo_con, tmp_path):
    out = tmp_path / "vn.pdf"
    out.write_bytes(sprint.briefing_pdf(demo_con, as_of=AS_OF, lang="en"))
    text = " ".join(pdf_text(out).split())
    board = sprint.leaderboard(demo_con, as_of=AS_OF)
    listed = board[[f"{row.rank}. {row.unit_name} · {i18n.percent(row.score, 'en')}" in text
                    for row in board.itertuples()]]
    # the five furthest behind: five listed, and no unit left out scores below any of them
    assert len(listed) == 5 and board.drop(listed.index)["score"].min() >= listed["score"].max()
    for row in sprint.top_movers(demo_con, as_of=AS_OF, parent="VN").itertuples():
        assert f"{row.unit_name} · #{row.rank}" in text
    missing = sprint.reporting(demo_con, as_of=AS_OF)
    missing = missing[~missing["reported"]]
    total = len(sprint.reporting(demo_con, as_of=AS_OF))
    assert f"Reported for Nov 20, 2025: {total - len(missing)} of {total} units." in text
    assert missing["unit_name"].iloc[0] in text


def test_a_unit_heads_briefing_is_their_own(demo_store_file, tmp_path):
    out = tmp_path / "mine.pdf"
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(demo_store_file), "briefing", "--as-of", "2025-11-20", "--as", "eakar",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Bản tin sáng: Ea Kar" in pdf_text(out)
    english = tmp_path / "mine-en.pdf"
    runner.invoke(cli, ["--db", str(demo_store_file), "briefing", "--as-of", "2025-11-20", "--as", "eakar",
                        "--lang", "en", "--out", str(english)])
    assert "Reported for Nov 20, 2025: 1 of 1 unit." in pdf_text(english)
    refused = runner.invoke(cli, ["--db", str(demo_store_file), "briefing", "--as-of", "2025-11-20", "--as", "eakar",
                                  "--unit", "66", "--out", str(tmp_path / "province.pdf")])
    assert refused.exit_code == 1
    assert "reads the briefing of 66-EAKAR and the units under it, not of 66" in refused.output
    assert not (tmp_path / "province.pdf").exists()


def table_line(text: str, starts: str) -> str:
    """The table's line of a metric, its cells one space apart."""
    return next(" ".join(line.split()) for line in text.splitlines() if line.startswith(starts))


def test_each_metric_prints_its_count_and_money_its_unit(scenario_con, tmp_path):
    """A on 17/10: 117 of 120 people (3 in 14 days: under 1 a day); its revenue 123,456 of a plan of
    500,000 million VND for 31/12, 376,544 short in 75 days: 5,020.6 a day."""
    sprint.load_targets(scenario_con, (SCENARIO / "targets.csv").read_bytes() + b"A,revenue,2025-12-31,500000\n",
                        name="t.csv", replace_all=True)
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-17,A,revenue,123456\n", name="money.csv")
    for lang, people, money in (
            ("vi", "BHXH tự nguyện 117 – 97,50 % 3 dưới 1 ", "Tổng thu (triệu đồng) 123.456 – 24,69 % 376.544 5.021 "),
            ("en", "Voluntary social insurance 117 – 97.50% 3 less than 1 ",
             "Revenue (million VND) 123,456 – 24.69% 376,544 5,021 ")):
        out = tmp_path / f"a-{lang}.pdf"
        out.write_bytes(sprint.briefing_pdf(scenario_con, as_of=date(2025, 10, 17), unit="A", lang=lang))
        text = pdf_text(out)
        assert ("Hiện có" if lang == "vi" else "Current") in text
        assert table_line(text, people.split(" 117")[0]).startswith(people)
        assert table_line(text, money.split(" (")[0]).startswith(money)


def test_an_ended_campaign_says_so_with_its_final_result(scenario_con, tmp_path):
    """Every leaf reported on the last day, 31/12: the nation has 457 of 460 (99.35 %), 3 short,
    with no day left to need anything: missed."""
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-12-31,A,voluntary_si,205\n"
                                b"2025-12-31,B,voluntary_si,115\n2025-12-31,F,voluntary_si,92\n"
                                b"2025-12-31,L,voluntary_si,45\n", name="end.csv")
    for lang, ended, row in (
            ("vi", "Đợt thi đua đã kết thúc ngày 31/12/2025: kết quả cuối cùng", "BHXH tự nguyện 457 – 99,35 % 3 – – Không đạt"),
            ("en", "Campaign ended Dec 31, 2025: final result", "Voluntary social insurance 457 – 99.35% 3 – – Missed")):
        out = tmp_path / f"vn-{lang}.pdf"
        out.write_bytes(sprint.briefing_pdf(scenario_con, as_of=date(2026, 1, 10), lang=lang))
        text = pdf_text(out)
        assert ended in text and "Giai đoạn" not in text and "Phase" not in text
        assert table_line(text, row.split(" 457")[0]) == row
