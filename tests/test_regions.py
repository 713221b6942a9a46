"""parsers.regions: real body names placed through cpca's gazetteer, never guessed."""

import sqlite3

import pytest

from nianbao.serve import load_metadata
from parsers.regions import locate


@pytest.mark.parametrize(
    "organization, province, city, county, code, body",
    [
        ("威海市文登区统计局", "山东省", "威海市", "文登区", "371003", "部门"),
        ("威海市环翠区统计局", "山东省", "威海市", "环翠区", "371002", "部门"),
        ("聊城市统计局", "山东省", "聊城市", None, "371500", "部门"),
        ("威海市文登区人民政府", "山东省", "威海市", "文登区", "371003", "人民政府"),
        # No city in the name: 环翠区 is unique, so its city and province follow.
        ("环翠区信访局", "山东省", "威海市", "环翠区", "371002", "部门"),
        ("文登区某某街道办事处", "山东省", "威海市", "文登区", "371003", "乡镇街道"),
        # A county-level city: the street sits in 荣成市, code of 荣成市.
        ("荣成市东山街道", "山东省", "威海市", "荣成市", "371082", "乡镇街道"),
        ("山东省人民政府", "山东省", None, None, "370000", "人民政府"),
        # Municipalities: the city level is the municipality itself, not 市辖区.
        ("北京市朝阳区人民政府", "北京市", "北京市", "朝阳区", "110105", "人民政府"),
    ],
)
def test_real_names_are_placed_with_gb2260_codes(organization, province, city, county, code, body):
    placed = locate(organization, None)
    assert (placed["province"], placed["city"], placed["county"]) == (province, city, county)
    assert placed["region_code"] == code
    assert placed["body_type"] == body
    assert placed["region_note"] is None


def test_a_county_renamed_after_the_gazetteer_is_placed_only_as_far_as_known():
    # 湟中县 became 湟中区 in 2019; cpca still has 湟中县, so only 西宁市 is certain.
    placed = locate("西宁市湟中区统计局", None)
    assert placed["region_code"] == "630100"
    assert (placed["province"], placed["city"], placed["county"]) == ("青海省", "西宁市", None)
    assert "湟中区 not in the gazetteer" in placed["region_note"]


def test_a_township_without_its_county_is_not_guessed():
    placed = locate("上庄镇人民政府", None)
    assert placed["region_code"] is None
    assert placed["province"] is None
    assert placed["body_type"] == "乡镇街道"
    assert "township" in placed["region_note"]


@pytest.mark.parametrize(
    "organization, places",
    [("鼓楼区统计局", 4), ("朝阳区统计局", 2)],
)
def test_a_county_name_shared_by_several_cities_is_not_guessed(organization, places):
    # cpca.transform alone would answer the first 鼓楼区 in its table (开封).
    placed = locate(organization, None)
    assert placed["region_code"] is None
    assert placed["region_note"].startswith(f"ambiguous: {organization[:3]} names {places} places")


def test_a_province_narrows_but_does_not_settle_an_ambiguous_county():
    placed = locate("江苏省鼓楼区统计局", None)  # 南京 and 徐州 both have one
    assert placed["region_code"] == "320000"
    assert placed["county"] is None
    assert "2 places" in placed["region_note"]


def test_a_short_city_name_inside_a_street_name_is_not_that_city():
    assert locate("中山街道办事处", None)["region_code"] is None


def test_the_printed_region_completes_a_name_without_place():
    placed = locate("统计局", "山东省威海市文登区")
    assert placed["region_code"] == "371003"
    township = locate("上庄镇人民政府", "北京市海淀区")
    assert township["region_code"] == "110108"


def test_the_body_name_wins_over_a_contradicting_region():
    assert locate("威海市文登区统计局", "青海省西宁市")["region_code"] == "371003"
    assert locate("聊城市统计局", "青海省西宁市")["region_code"] == "371500"


def test_nothing_printed_gives_nothing():
    placed = locate(None, None)
    assert placed["region_code"] is None and placed["body_type"] is None
    assert placed["region_note"] == "no organization or region printed"


def test_unmapped_organizations_lists_unknown_and_partial_places():
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.execute("create table reports (organization, region_code, region_note, is_latest)")
    for name in ["威海市文登区统计局", "上庄镇人民政府", "上庄镇人民政府", "西宁市湟中区统计局"]:
        placed = locate(name, None)
        conn.execute("insert into reports values (?, ?, ?, 1)", (name, placed["region_code"], placed["region_note"]))
    listed = conn.execute(load_metadata()["databases"]["nianbao"]["queries"]["unmapped_organizations"]["sql"]).fetchall()
    assert [row["organization"] for row in listed] == ["上庄镇人民政府", "西宁市湟中区统计局"]
    assert listed[0]["reports"] == 2


def test_a_region_repeating_the_name_keeps_what_the_name_says():
    # The parser's region for 西宁市湟中区统计局 stops at 西宁市; 湟中区 is still unknown.
    placed = locate("西宁市湟中区统计局", "青海省西宁市")
    assert placed["region_code"] == "630100"
    assert "湟中区 not in the gazetteer" in placed["region_note"]


def test_a_region_in_another_city_of_the_same_province_does_not_move_the_body():
    # 威海 is 371000 and 聊城 371500: a shared "371" is not the same city.
    placed = locate("威海市统计局", "山东省聊城市东昌府区")
    assert (placed["city"], placed["region_code"]) == ("威海市", "371000")
