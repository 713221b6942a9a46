"""archive: the bodies a portal names, what probing their report years found, and the
coverage per body and year the publication reads (``body_year_coverage``)."""

from datetime import date

import pytest

from archive import Archive


def test_bodies_keep_first_seen_and_take_the_newest_name(tmp_path):
    with Archive(tmp_path) as archive:
        archive.note_body("rushan", "11371083MB0000000X", "商务局", "http://r/col/col1/index.html")
        first = archive.bodies()[0]
        archive.note_body("rushan", "11371083MB0000000X", None, None)  # seen again, nothing new said
        archive.note_body("rushan", "11371083MB0000001X", "夏村镇人民政府")
        rows = archive.bodies("rushan")
    assert [(b["area"], b["name"], b["unit_url"]) for b in rows] == [
        ("11371083MB0000000X", "商务局", "http://r/col/col1/index.html"),
        ("11371083MB0000001X", "夏村镇人民政府", None)]
    assert rows[0]["first_seen"] == first["first_seen"] and rows[0]["last_seen"] >= first["last_seen"]


def test_coverage_tells_filed_not_filed_and_not_probed_apart(tmp_path):
    area = "11371083MB0000000X"
    with Archive(tmp_path) as archive:
        archive.note_body("rushan", area, "商务局")
        run = archive.start_run(["rushan"])
        archive.note_probe("rushan", area, 2021, "filed", "http://r/p?fbtime=2021", run)
        archive.note_probe("rushan", area, 2022, "not_filed", "http://r/p?fbtime=2022", run)
        # 2023 was never probed, but its report came as an article (same key): filed.
        archive.record_fetch(url="http://r/art/2024/1/1/art_1_2.html", status=200, body=b"<html>2023</html>",
                             role="report_page", report_key=f"rushan:{area}:2023", crawl_run=run)
        # 2020's page answered 404: no report.
        archive.record_fetch(url="http://r/art/2021/1/1/art_1_3.html", status=404, error="HTTP 404",
                             body=b"gone", role="report_page", report_key=f"rushan:{area}:2020", crawl_run=run)
        with pytest.raises(ValueError, match="probe outcome"):
            archive.note_probe("rushan", area, 2019, "maybe", "http://r/p", run)
        coverage = {row["year"]: row["status"] for row in archive.coverage("rushan")}
        assert archive.probed_areas("rushan") == {area}
    assert set(coverage) == set(range(2008, date.today().year + 1))
    assert (coverage[2020], coverage[2021], coverage[2022], coverage[2023]) == (
        "not probed", "filed", "not filed", "filed")
    assert coverage[2008] == "not probed"
