"""Uploading Word and CNIPA XML documents on the drafts page in a real Chromium (issue 16)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import documents as d
from tests.support.browser import web_login
from tests.support.factories import PASSWORD, World
from tests.unit.packages.helpers import has_cjk_font

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed"),
]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SHOTS = os.environ.get("PATENTDESK_SCREENSHOTS")


@pytest.fixture
def live_world(live_server, settings):
    import httpx

    with httpx.Client(base_url=live_server.url) as http:
        yield World(http, settings.data)


def upload(page, role: str, name: str, data: bytes, media: str) -> None:
    page.select_option("#upload-role", role)
    page.set_input_files("#upload-file", {"name": name, "mimeType": media, "buffer": data})
    page.click("#upload-submit")


def test_word_documents_uploaded_on_the_page_are_listed_as_converted(
    page, live_world, settings, tmp_path: Path
) -> None:
    person = live_world.person("张三")
    web_login(page, settings.data, person.phone, PASSWORD)
    page.click("a[href='/drafts']")
    page.select_option("#business-type", "invention")
    page.click("#draft-create")
    page.wait_for_selector("#draft-form")

    claims = d.claims_docx(tmp_path / "权利要求书.docx").read_bytes()
    upload(page, "claims", "权利要求书.docx", claims, DOCX)
    page.wait_for_selector("tr[data-entry='attachments/claims/权利要求书.pdf']")
    upload(
        page, "drawings", "附图.docx", d.drawings_docx(tmp_path / "附图.docx").read_bytes(), DOCX
    )
    page.wait_for_selector("tr[data-entry='attachments/drawings/附图-fig-2.png']")
    upload(page, "abstract", "100004.xml", d.ABSTRACT_XML.encode(), "text/xml")
    page.wait_for_selector("tr[data-entry='attachments/abstract/100004.pdf']")
    row = page.locator("tr[data-entry='attachments/claims/权利要求书.pdf']").inner_text()
    assert "由 Word 文档转换" in row
    assert (
        "由 XML 转换"
        in page.locator("tr[data-entry='attachments/abstract/100004.pdf']").inner_text()
    )
    # The kept source and structure travel with the rendering; they are not listed.
    assert page.locator("tr[data-entry$='.docx'], tr[data-entry$='.json']").count() == 0

    bad = d.macro_docx(tmp_path / "权利要求书.docx", tmp_path / "claims.docm").read_bytes()
    upload(page, "claims", "claims.docm", bad, DOCX)
    page.wait_for_selector("#attachments-error")
    assert "含有宏" in page.locator("#attachments-error").inner_text()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        target = Path(SHOTS) if SHOTS else tmp_path
        page.locator("#attachments-section").screenshot(path=str(target / f"docx-{width}.png"))
