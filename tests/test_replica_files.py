"""Binary originals made by LibreOffice: real PDF and Word 97 (.wps) files, cached on disk."""

from __future__ import annotations

import io
import shutil

import pdfplumber
import pytest

from nianbao.testbed.replica import ReplicaPortal
from tests.replica_http import fetch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed (soffice)"),
]


def original(portal, ext: str):
    report = next(r for r in portal.expected_reports if r["form"] == "attachment" and f".{ext}" in r["files"][0])
    hop = fetch(report["files"][0])
    assert hop.status == 302
    # The first request converts with LibreOffice: seconds, more on a busy machine.
    return report, fetch(report["report_url"].split("/art/")[0] + hop.header("Location"), timeout=120)


def test_pdf_and_wps_attachments_are_real_documents(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_REPLICA_CACHE", str(tmp_path))
    # office=False: the scans and the image-only book do not need LibreOffice; the attachments still do.
    with ReplicaPortal(seed=0, bodies_per_site=4, years=(2021, 2022, 2023), office=False) as portal:
        report, pdf = original(portal, "pdf")
        assert pdf.header("Content-Type") == "application/pdf" and pdf.body.startswith(b"%PDF")
        with pdfplumber.open(io.BytesIO(pdf.body)) as document:
            text = "".join((page.extract_text() or "") for page in document.pages)
        text = text.replace(" ", "").replace("\n", "")
        received = portal.record(report["report_url"])["applications"]["new_received"]["total"]
        assert f"共收到政府信息公开申请{received}件" in text
        assert len(list(tmp_path.glob("*.pdf"))) == 1
        assert fetch(report["files"][0].split("/module/")[0] + fetch(report["files"][0]).header("Location")).body == pdf.body

        _, wps = original(portal, "wps")
        assert wps.body.startswith(bytes.fromhex("d0cf11e0a1b11ae1"))  # OLE2, as WPS Office writes .wps
        assert wps.header("Content-Type") == "application/octet-stream"


def test_scans_and_the_image_only_book_are_rendered_pdf_pages(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("NIANBAO_REPLICA_CACHE", str(tmp_path))
    with ReplicaPortal(seed=0, bodies_per_site=3, years=(2021, 2022)) as portal:
        book = next(r for r in portal.expected_reports if r["form"] == "flipbook" and "/town" in r["files"][0])
        pages = [f for f in book["files"] if f.endswith(".html")]
        root = pages[0].split("/files/")[0]
        config = fetch(root + "/mobile/javascript/config.js", timeout=120).text
        assert f"bookConfig.totalPageCount = {len(pages)};" in config
        image = Image.open(io.BytesIO(fetch(root + "/files/mobile/1.jpg").body))
        assert image.size == (1241, 1754) and image.mode == "L"  # A4 at 150 dpi, like FlipBuilder's pages
        assert "<code style=\"white-space:pre-line\"></code>" in fetch(pages[0]).text  # no text layer
        scan = next(r for r in portal.expected_reports if r["form"] == "scan")
        first, second = (Image.open(io.BytesIO(fetch(f, timeout=120).body)) for f in scan["files"])
        assert first.width == second.width == 1241
        assert (first.height + second.height) % 1754 == 0 and first.height >= second.height
