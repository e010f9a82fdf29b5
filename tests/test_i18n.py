"""Labels, problems and numbers in both languages."""
from datetime import date

import pandas as pd
import pytest

import sprint
from sprint import i18n


def test_numbers_and_dates_vietnamese_and_english():
    assert i18n.number(1234567, "vi") == "1.234.567"
    assert i18n.number(1234567, "en") == "1,234,567"
    assert i18n.percent(97.5, "vi") == "97,50 %"
    assert i18n.percent(97.5, "en") == "97.50%"
    assert i18n.day(date(2025, 11, 20), "vi") == "20/11/2025"
    assert i18n.number(None, "vi") == "–"
    assert i18n.rank_change(2, "vi") == "▲ 2" and i18n.rank_change(-1, "en") == "▼ 1"
    assert i18n.rank_change(None, "vi") == "mới"


@pytest.mark.parametrize("code", sorted(i18n.PROBLEMS))
def test_every_problem_reads_in_both_languages(code):
    vi, en = (i18n.problem_text(code, ("count", "2", "3", "4"), lang) for lang in ("vi", "en"))
    assert vi and en and vi != en
    assert "{" not in vi and "{" not in en


def test_every_label_has_both_languages():
    for key, (vi, en) in i18n.LABELS.items():
        assert vi.strip() and en.strip(), key


def test_a_problem_speaks_vietnamese_to_a_unit_head(scenario_con):
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-20,A,voluntary_si,12.5\n", name="x.csv")
    problem = caught.value.problems[0]
    assert problem.text("vi") == "số liệu phải là số nguyên; số này có phần lẻ"
    assert problem.message == "a count is a whole number; this one has a fraction"
    assert problem.as_dict()["code"] == "number_fraction"


def test_a_count_of_one_takes_the_singular_in_english():
    assert i18n.how_many(1, "row", "rows", "en") == "1 row"
    assert i18n.how_many(1234, "row", "rows", "en") == "1,234 rows"
    assert i18n.how_many(1, "row", "rows", "vi") == "1 dòng" and i18n.how_many(1234, "row", "rows", "vi") == "1.234 dòng"


def test_one_place_is_singular_in_english():
    assert [i18n.places_gained(n, "en") for n in (1, 2, 1234)] == ["▲ 1 place", "▲ 2 places", "▲ 1,234 places"]
    assert [i18n.places_gained(n, "vi") for n in (1, 2)] == ["▲ 1 bậc", "▲ 2 bậc"]


def test_a_table_writes_each_kind_of_figure_one_way_per_language():
    """One language per page and one precision per column: a percentage to two decimals, a chance
    whole, a count whole, whatever the value (a chance of 0.467 is 47 %, not 46,7 %)."""
    figure = i18n.FIGURES
    assert [figure["percent"](v, "en") for v in (100.7912, 45.5, 6.9)] == ["100.79%", "45.50%", "6.90%"]
    assert [figure["percent"](v, "vi") for v in (100.7912, 45.5)] == ["100,79 %", "45,50 %"]
    assert [figure["chance"](v, "vi") for v in (0.4, 0.467, 0.3983, None)] == ["40 %", "47 %", "40 %", "–"]
    assert [figure["count"](v, "en") for v in (1234567, 2.6)] == ["1,234,567", "3"]
    assert [figure["per_day"](v, lang) for v, lang in ((0.3, "vi"), (0.3, "en"), (0, "en"), (1234.5, "vi"))] == [
        "dưới 1", "less than 1", "0", "1.234"]
    assert [figure["status"](s, lang) for s, lang in (("behind", "vi"), ("on_track", "en"))] == [
        "Chậm tiến độ", "On track"]


def test_a_styled_table_keeps_its_numbers_and_writes_them_in_the_pages_language():
    import pandas as pd

    frame = pd.DataFrame({"value": [1234567, None], "attainment_pct": [100.7912, 45.5], "probability": [0.467, 0.4],
                          "status": ["behind", "achieved"], "unit_name": ["Ea Kar", "Cư M'gar"]})
    styled = i18n.styled(frame, "en", {"attainment_pct": "percent", "probability": "chance", "status": "status"})
    assert styled.data.equals(frame)  # the table still sorts by the numbers
    body = styled._translate(False, False)["body"]  # what Streamlit shows (pandas_styler_utils reads the same)
    shown = [[cell["display_value"] for cell in row if cell["type"] == "td"] for row in body]
    assert shown == [["1,234,567", "100.79%", "47%", "Behind", "Ea Kar"], ["–", "45.50%", "40%", "Achieved", "Cư M'gar"]]
    tints = styled._compute().ctx  # the status's colour, as a light tint behind its word
    assert tints[(0, 3)] == [("background-color", i18n._tint(i18n.STATUS_COLOURS["behind"]))]
    assert not any(ord(c) > 0x2FFF for row in shown for c in "".join(row))  # no emoji: every font has these


def test_a_jump_warning_writes_its_numbers_the_languages_way():
    """SQL writes the details as 47.5 and 6100; each language writes them its own way."""
    from sprint.errors import Problem

    jump = Problem.from_sql("f.csv", 2, "value", "9000", "count_jump\x1f47.5\x1f6100\x1f19/11/2025")
    assert jump.text("vi") == "số liệu tăng 47,5 % so với lần báo cáo trước (6.100 ngày 19/11/2025); hãy kiểm tra lại"
    assert jump.text("en") == ("this count jumps by 47.5 % against the previous report (6,100 on 19/11/2025); "
                               "please check it")


def test_a_chance_is_a_whole_percentage():
    assert (i18n.chance(0.7249, "vi"), i18n.chance(0.7251, "en"), i18n.chance(None, "vi")) == ("72 %", "73%", "–")


def test_a_need_below_one_a_day_reads_less_than_one_never_0():
    """3 people in 10 days is 0.3 a day: "less than 1", not a rounded 0; 0 itself (nothing left) is 0."""
    assert [i18n.per_day(v, "vi") for v in (0.3, 0.999, 1.2, 70, 0, None)] == [
        "dưới 1/ngày", "dưới 1/ngày", "1/ngày", "70/ngày", "0/ngày", "–"]
    assert [i18n.per_day(v, "en") for v in (0.3, 2524.4)] == ["less than 1 a day", "2,524 a day"]
    assert (i18n.per_day(0.3, "vi", unit=False), i18n.per_day(1234.5, "vi", unit=False)) == ("dưới 1", "1.234")


def test_money_names_its_unit_and_people_stay_bare():
    assert i18n.with_unit("Tổng thu", "million_vnd", "vi") == "Tổng thu (triệu đồng)"
    assert i18n.with_unit("Revenue", "million_vnd", "en") == "Revenue (million VND)"
    assert i18n.with_unit("Health insurance", "people", "en") == "Health insurance"


@pytest.mark.parametrize("value, decimals, vi, en", [(99.995, 2, "99,99 %", "99.99%"), (99.95, 1, "99,9 %", "99.9%"),
                                                     (99.9999, 2, "99,99 %", "99.99%"), (100.0, 2, "100,00 %", "100.00%"),
                                                     (100.004, 2, "100,00 %", "100.00%"), (45.505, 2, "45,51 %", "45.51%")])
def test_a_share_under_100_never_reads_100(value, decimals, vi, en):
    assert (i18n.percent(value, "vi", decimals), i18n.percent(value, "en", decimals)) == (vi, en)


def test_an_empty_figure_column_is_a_number_column_written_as_a_dash():
    frame = pd.DataFrame({"unit_name": ["A", "B"], "probability": [None, None], "gap": [3, None]})
    styler = i18n.styled(frame, "vi", {"probability": "chance"})
    assert pd.api.types.is_float_dtype(styler.data["probability"])
    assert "None" not in styler.to_html() and styler.to_html().count("–") == 3


def test_a_difference_carries_its_sign_either_way():
    assert [i18n.signed(v, "vi", 2) for v in (1.09, -0.43, 0, None)] == ["+1,09", "-0,43", "0,00", "–"]
    assert i18n.signed(1234.5, "en", 1) == "+1,234.5"
