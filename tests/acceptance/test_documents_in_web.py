"""Word, CNIPA XML and ST.26 documents uploaded on the drafts pages (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from patentdesk.packages.container import read_package
from tests.acceptance.test_drafts_http import Browser, error_in
from tests.support import documents as d
from tests.support.factories import Person
from tests.unit.packages.helpers import has_cjk_font

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed"),
]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def web(client: Any, world: Any, settings: Any) -> Browser:
    person: Person = world.person("张三")
    return Browser(client, world.token(person), settings.data)


def upload(web: Browser, url: str, role: str, name: str, data: bytes, media: str) -> Any:
    return web.post(f"{url}/attachments", data={"role": role}, files={"file": (name, data, media)})


def test_word_and_xml_parts_uploaded_on_the_page_become_structured_parts(
    web: Browser, tmp_path: Path
) -> None:
    url = web.create("invention")
    claims = d.claims_docx(tmp_path / "权利要求书.docx").read_bytes()
    assert upload(web, url, "claims", "权利要求书.docx", claims, DOCX).status_code == 303
    description = d.description_docx(tmp_path / "说明书.docx").read_bytes()
    assert upload(web, url, "description", "说明书.docx", description, DOCX).status_code == 303
    abstract = d.ABSTRACT_XML.encode()
    assert upload(web, url, "abstract", "100004.xml", abstract, "text/xml").status_code == 303
    drawings = d.drawings_docx(tmp_path / "附图.docx").read_bytes()
    assert upload(web, url, "drawings", "附图.docx", drawings, DOCX).status_code == 303
    assert upload(web, url, "sequence_listing", "seq.xml", d.st26(), "text/xml").status_code == 303

    page = web.get(url).text
    # What the office reads is listed, marked as converted; the kept sources are not.
    assert "权利要求书.pdf" in page and "由 Word 文档转换" in page and "由 XML 转换" in page
    assert "权利要求书.json" not in page and "附图-fig-2.png" in page and "seq.xml" in page
    with read_package(web.file_of(url)) as package:
        files = {f.path: f.media_type for f in package.manifest.files}
        structure = json.loads(package.read_bytes("attachments/description/说明书.json"))
        source = package.read_bytes("attachments/claims/权利要求书.docx")
    assert files["attachments/claims/权利要求书.docx"] == DOCX
    assert source == claims
    assert files["attachments/sequence_listing/seq.xml"] == "application/xml"
    assert not any(
        p.startswith("attachments/sequence_listing/") and p.endswith(".pdf") for p in files
    )
    assert structure["sections"][0]["heading"] == "技术领域"
    assert structure["paragraphs"][0]["number"] == "0001"


def test_a_macro_document_or_a_zip_bomb_is_refused_on_the_page(
    web: Browser, tmp_path: Path
) -> None:
    url = web.create("invention")
    path = web.file_of(url)
    before = path.read_bytes()
    good = d.claims_docx(tmp_path / "good.docx")
    for bad, words in (
        (d.macro_docx(good, tmp_path / "claims.docm"), "含有宏"),
        (d.zip_bomb_docx(good, tmp_path / "bomb.docx"), "压缩炸弹"),
    ):
        r = upload(web, url, "claims", bad.name, bad.read_bytes(), DOCX)
        assert r.status_code == 422
        assert words in error_in(r.text, "attachments-error")
    r = upload(web, url, "sequence_listing", "seq.xml", d.st26([("DNA", "atgx")]), "text/xml")
    assert "DNA 序列含有不允许的字符 x" in error_in(r.text, "attachments-error")
    assert path.read_bytes() == before
