"""Word and CNIPA XML text parts become structured parts; ST.26 listings stay XML (issue 16)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from patentdesk.packages import errors as pe
from patentdesk.packages.container import read_package
from patentdesk.packages.editing import add_attachment, new_package, remove_entry
from patentdesk.packages.validation import ValidationContext, validate
from tests.support import documents as d
from tests.unit.packages.helpers import has_cjk_font, legacy_package

pytestmark = pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")


@pytest.fixture
def case(tmp_path: Path) -> Path:
    path = tmp_path / "case.zip"
    new_package("invention", path)
    return path


def entries(path: Path) -> dict[str, str]:
    with read_package(path) as package:
        return {f.path: f.media_type for f in package.manifest.files}


def read(path: Path, entry: str) -> bytes:
    with read_package(path) as package:
        return package.read_bytes(entry)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def findings(path: Path) -> list[tuple[str, str]]:
    with read_package(path) as package:
        report = validate(package, ValidationContext())
    return [(f.rule, f.field) for f in report.errors + report.warnings]


def test_claims_docx_become_numbered_claims_text_structure_pdf_and_kept_source(
    case: Path, tmp_path: Path
) -> None:
    source = d.claims_docx(tmp_path / "权利要求书.docx")
    result = add_attachment(case, "claims", source)
    assert result.entries == [
        "attachments/claims/权利要求书.pdf",
        "attachments/claims/权利要求书.txt",
        "attachments/claims/权利要求书.json",
        "attachments/claims/权利要求书.docx",
    ]
    files = entries(case)
    assert files["attachments/claims/权利要求书.docx"].endswith("wordprocessingml.document")
    assert read(case, "attachments/claims/权利要求书.docx") == source.read_bytes()
    structure = json.loads(read(case, "attachments/claims/权利要求书.json"))
    assert structure["format"] == "patentdesk-text/1"
    assert structure["source"] == "attachments/claims/权利要求书.docx"
    assert [c["number"] for c in structure["claims"]] == [1, 2, 3]
    assert structure["claims"][2]["text"] == d.CLAIMS[2]
    text = read(case, "attachments/claims/权利要求书.txt").decode()
    assert text.splitlines() == [f"{i}. {c}" for i, c in enumerate(d.CLAIMS, start=1)]
    rendered = pdf_text(read(case, "attachments/claims/权利要求书.pdf"))
    assert "权利要求书" in rendered and "3. 根据权利要求1或2所述的电动自行车" in rendered
    rules = findings(case)
    assert not [r for r in rules if r[1].startswith("attachments/claims")], rules


def test_description_docx_keeps_sections_numbered_paragraphs_table_and_formulas(
    case: Path, tmp_path: Path
) -> None:
    add_attachment(case, "description", d.description_docx(tmp_path / "desc.docx"))
    s = json.loads(read(case, "attachments/description/desc.json"))
    assert s["title"] == "一种折叠式电动自行车"
    assert [x["key"] for x in s["sections"]] == [
        "technical_field",
        "background_art",
        "summary",
        "drawings_description",
        "embodiments",
    ]
    numbers = [p["number"] for p in s["paragraphs"]]
    assert numbers == [f"{n:04d}" for n in range(1, len(numbers) + 1)]
    # The author's own «[0001]» is not kept twice; sections are attached to paragraphs.
    assert s["paragraphs"][0] == {
        "number": "0001",
        "section": "technical_field",
        "text": "本发明涉及一种电动自行车，特别是一种折叠式电动自行车。",
    }
    assert s["tables"] == [
        {"after": "0002", "rows": [["参数", "数值"], ["整车重量", "12 kg"], ["折叠尺寸", "80 cm"]]}
    ]
    kinds = [(f["kind"], f.get("text")) for f in s["formulas"]]
    assert ("text", "F=m·a") in kinds and ("image", None) in kinds
    image = next(f for f in s["formulas"] if f["kind"] == "image")
    assert image["media_type"] == "image/png" and image["shown"] and image["after"] == "0004"
    text = read(case, "attachments/description/desc.txt").decode()
    assert "[0003] 车架所受的力满足公式F=m·a，其中m为质量。" in text
    assert "整车重量 | 12 kg" in text
    rendered = pdf_text(read(case, "attachments/description/desc.pdf"))
    for expected in ("技术领域", "[0001]", "具体实施方式", "整车重量", "F=m·a"):
        assert expected in rendered, expected


def test_drawings_docx_become_one_image_per_figure(case: Path, tmp_path: Path) -> None:
    result = add_attachment(case, "drawings", d.drawings_docx(tmp_path / "附图.docx", 3))
    figures = [p for p in result.entries if p.endswith(".png")]
    assert figures == [f"attachments/drawings/附图-fig-{n}.png" for n in (1, 2, 3)]
    s = json.loads(read(case, "attachments/drawings/附图.json"))
    assert [(f["label"], f["path"]) for f in s["figures"]] == [
        (f"图{n}", f"attachments/drawings/附图-fig-{n}.png") for n in (1, 2, 3)
    ]
    assert read(case, figures[0]).startswith(b"\x89PNG")
    assert not [r for r in findings(case) if r[1].startswith("attachments/drawings")]
    # Replacing with fewer figures leaves no stale figure; removing the source removes all.
    add_attachment(case, "drawings", d.drawings_docx(tmp_path / "附图.docx", 1), replace=True)
    assert [p for p in entries(case) if p.startswith("attachments/drawings/")] == [
        "attachments/drawings/附图-fig-1.png",
        "attachments/drawings/附图.docx",
        "attachments/drawings/附图.json",
    ]
    remove_entry(case, "attachments/drawings/附图.docx")
    assert not [p for p in entries(case) if p.startswith("attachments/drawings/")]


def test_abstract_docx_is_counted_without_its_heading(case: Path, tmp_path: Path) -> None:
    add_attachment(case, "abstract", d.abstract_docx(tmp_path / "abs.docx", "一" * 301))
    assert ("abstract.length", "attachments/abstract") in findings(case)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda src, dst: d.zip_bomb_docx(src, dst), "压缩炸弹"),
        (lambda src, dst: d.macro_docx(src, dst), "含有宏"),
        (lambda src, dst: d.entity_docx(src, dst), "DTD"),
        (
            lambda src, dst: (
                dst.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600) and dst
            ),
            "Word 97-2003",
        ),
        (lambda src, dst: dst.write_bytes(b"PK\x03\x04 broken") and dst, "不是有效的 Word 文档"),
        (
            lambda src, dst: d._rewrite_zip(src, dst, {"word/document.xml": None}),
            "word/document.xml",
        ),
    ],
    ids=["zip-bomb", "docm", "entities", "doc97", "not-a-zip", "no-document"],
)
def test_hostile_or_foreign_word_files_are_refused_and_nothing_changes(
    case: Path, tmp_path: Path, make, reason: str
) -> None:
    bad = make(d.claims_docx(tmp_path / "ok.docx"), tmp_path / "claims.docx")
    before = case.read_bytes()
    with pytest.raises(pe.DocumentInvalid) as info:
        add_attachment(case, "claims", bad)
    assert reason in info.value.zh
    assert info.value.en and "claims" in info.value.en
    assert case.read_bytes() == before


def test_tracked_deletions_are_not_claim_text(case: Path, tmp_path: Path) -> None:
    from docx import Document
    from docx.oxml import parse_xml

    doc = Document()
    p = doc.add_paragraph("1. 一种自行车")
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    p._p.append(
        parse_xml(
            f'<w:del {w} w:id="1" w:author="a"><w:r><w:delText>，删掉的</w:delText></w:r></w:del>'
        )
    )
    p._p.append(
        parse_xml(f'<w:ins {w} w:id="2" w:author="a"><w:r><w:t>，包括车架。</w:t></w:r></w:ins>')
    )
    doc.save(str(tmp_path / "c.docx"))
    add_attachment(case, "claims", tmp_path / "c.docx")
    assert read(case, "attachments/claims/c.txt").decode() == "1. 一种自行车，包括车架。\n"


def test_cnipa_xml_claims_are_parsed_and_rendered_without_tags(case: Path, tmp_path: Path) -> None:
    source = tmp_path / "100001.xml"
    source.write_text(d.CLAIMS_XML, "utf-8")
    add_attachment(case, "claims", source)
    files = entries(case)
    assert files["attachments/claims/100001.xml"] == "application/xml"
    rendered = pdf_text(read(case, "attachments/claims/100001.pdf"))
    assert "<" not in rendered and "claim-text" not in rendered
    assert "2. 根据权利要求1所述的电动自行车，其特征在于还包括折叠锁（3）。" in rendered
    s = json.loads(read(case, "attachments/claims/100001.json"))
    assert [c["number"] for c in s["claims"]] == [1, 2]
    assert not [r for r in findings(case) if r[1].startswith("attachments/claims")]


def test_cnipa_xml_description_in_gbk_keeps_sections_and_table(case: Path, tmp_path: Path) -> None:
    source = tmp_path / "100002.xml"
    source.write_bytes(d.DESCRIPTION_XML.encode("gbk"))
    add_attachment(case, "description", source)
    s = json.loads(read(case, "attachments/description/100002.json"))
    assert s["title"] == "一种折叠式电动自行车"
    assert [x["heading"] for x in s["sections"]] == [
        "技术领域",
        "背景技术",
        "发明内容",
        "附图说明",
        "具体实施方式",
    ]
    assert [p["number"] for p in s["paragraphs"]] == ["0001", "0002", "0003", "0004", "0005"]
    assert s["paragraphs"][2]["text"] == "车架可折叠1。"
    assert s["tables"][0]["rows"] == [["参数", "数值"], ["重量", "12 kg"]]
    assert "<" not in pdf_text(read(case, "attachments/description/100002.pdf"))


@pytest.mark.parametrize(
    ("xml", "role", "reason"),
    [
        (d.CLAIMS_XML, "description", "cn-description"),
        ("<?xml version='1.0'?><cn-application-body><cn-claims>", "claims", "XML 格式错误"),
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><cn-application-body/>',
            "claims",
            "DTD",
        ),
        ("<html><body>1. 一种</body></html>", "claims", "根元素为 <html>"),
        (
            '<cn-application-body><cn-claims><claim num="一"><claim-text>x</claim-text>'
            "</claim></cn-claims></cn-application-body>",
            "claims",
            "不是数字",
        ),
    ],
    ids=["wrong-part", "malformed", "entities", "foreign", "bad-number"],
)
def test_bad_cnipa_xml_gets_a_clear_error(
    case: Path, tmp_path: Path, xml: str, role: str, reason: str
) -> None:
    source = tmp_path / "part.xml"
    source.write_text(xml, "utf-8")
    with pytest.raises(pe.DocumentInvalid) as info:
        add_attachment(case, role, source)
    assert reason in info.value.zh, info.value.zh


def test_legacy_package_xml_text_parts_import_into_the_same_structure(tmp_path: Path) -> None:
    from patentdesk.packages.legacy import import_legacy

    out = tmp_path / "imported.zip"
    import_legacy(legacy_package(tmp_path / "legacy.zip", defective_poa=False), out)
    files = entries(out)
    for entry in ("100001.pdf", "100001.txt", "100001.json", "100001.xml"):
        assert f"attachments/claims/{entry}" in files, entry
    s = json.loads(read(out, "attachments/claims/100001.json"))
    assert [c["number"] for c in s["claims"]] == [1, 2]
    assert s["claims"][1]["text"] == "根据权利要求1所述的电动自行车，其特征在于车架可折叠。"
    assert "attachments/abstract/100004.json" in files
    assert "<" not in pdf_text(read(out, "attachments/claims/100001.pdf"))
    assert not [r for r in findings(out) if r[0].startswith("attachment.")]


def test_st26_sequence_listing_stays_xml_and_is_checked(case: Path, tmp_path: Path) -> None:
    source = tmp_path / "seq.xml"
    source.write_bytes(d.st26())
    result = add_attachment(case, "sequence_listing", source)
    assert result.entries == ["attachments/sequence_listing/seq.xml"]
    assert entries(case)["attachments/sequence_listing/seq.xml"] == "application/xml"
    assert read(case, "attachments/sequence_listing/seq.xml") == source.read_bytes()
    assert not [r for r in findings(case) if "sequence_listing" in r[1]]


@pytest.mark.parametrize(
    ("listing", "reason"),
    [
        (d.st26(root="SequenceListing"), "根元素为 SequenceListing"),
        (d.st26(dtd_version=None), "dtdVersion"),
        (d.st26(declared=3), "SequenceTotalQuantity 为 3，实有 2"),
        (d.st26([("DNA", "atgu")]), "DNA 序列含有不允许的字符 u"),
        (d.st26([("RNA", "augt")]), "RNA 序列含有不允许的字符 t"),
        (d.st26([("AA", "MKLV1")]), "AA 序列含有不允许的字符 1"),
        (d.st26([("PROTEIN", "MKLV")]), "分子类型 PROTEIN 无效"),
    ],
    ids=["root", "dtd-version", "count", "dna", "rna", "aa", "moltype"],
)
def test_st26_problems_are_named(case: Path, tmp_path: Path, listing: bytes, reason: str) -> None:
    source = tmp_path / "seq.xml"
    source.write_bytes(listing)
    with pytest.raises(pe.SequenceListingInvalid) as info:
        add_attachment(case, "sequence_listing", source)
    assert reason in info.value.zh, info.value.zh
    assert "ST.26" in info.value.en


def test_a_broken_st26_listing_inside_a_package_is_a_finding(case: Path, tmp_path: Path) -> None:
    from tests.unit.packages.helpers import rebuild, replace_entry

    source = tmp_path / "seq.xml"
    source.write_bytes(d.st26())
    add_attachment(case, "sequence_listing", source)
    bad = d.st26(declared=5)
    with zipfile.ZipFile(case) as zf:
        manifest = json.loads(zf.read("META-INF/manifest.json"))
    import hashlib

    for f in manifest["files"]:
        if f["path"] == "attachments/sequence_listing/seq.xml":
            f["sha256"], f["size"] = hashlib.sha256(bad).hexdigest(), len(bad)
    manifest_bytes = (
        json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    ).encode()

    def change(items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        items = replace_entry("attachments/sequence_listing/seq.xml", bad)(items)
        return replace_entry("META-INF/manifest.json", manifest_bytes)(items)

    tampered = rebuild(case, tmp_path / "tampered.zip", change)
    assert ("sequence_listing.st26", "attachments/sequence_listing/seq.xml") in findings(tampered)


def test_fees_count_the_pages_the_office_reads_not_the_kept_sources(
    case: Path, tmp_path: Path
) -> None:
    """The .docx, .json and CNIPA .xml kept beside a rendering are not pages (and an ST.26
    listing in XML has none); the claims are counted from the converted text."""
    from patentdesk.fees import fee_input_from_package
    from patentdesk.packages.editing import set_fields

    set_fields(case, ["title=一种折叠式电动自行车"])
    add_attachment(case, "claims", d.claims_docx(tmp_path / "claims.docx"))
    add_attachment(case, "description", d.description_docx(tmp_path / "desc.docx"))
    add_attachment(case, "drawings", d.drawings_docx(tmp_path / "fig.docx", 2))
    listing = tmp_path / "seq.xml"
    listing.write_bytes(d.st26())
    add_attachment(case, "sequence_listing", listing)
    facts = fee_input_from_package(case)
    assert facts.claims == 3
    from pypdf import PdfReader

    description_pages = len(
        PdfReader(io.BytesIO(read(case, "attachments/description/desc.pdf"))).pages
    )
    assert facts.pages == description_pages + 2  # two figures, one page each


def test_a_picture_bomb_in_word_is_listed_not_decoded(case: Path, tmp_path: Path) -> None:
    """A 9000×9000 PNG compresses to a few KB and decodes to 243 MB: never drawn."""
    from docx import Document
    from docx.shared import Inches
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buf, "PNG")
    doc = Document()
    doc.add_paragraph("1. 一种自行车，其结构如下：").add_run().add_picture(
        io.BytesIO(buf.getvalue()), width=Inches(1)
    )
    doc.save(str(tmp_path / "c.docx"))
    add_attachment(case, "claims", tmp_path / "c.docx")
    s = json.loads(read(case, "attachments/claims/c.json"))
    assert s["formulas"][0]["shown"] is False
    assert "无法显示" in pdf_text(read(case, "attachments/claims/c.pdf"))
    doc = Document()
    doc.add_paragraph().add_run().add_picture(io.BytesIO(buf.getvalue()), width=Inches(1))
    doc.save(str(tmp_path / "d.docx"))
    with pytest.raises(pe.DocumentInvalid) as info:
        add_attachment(case, "drawings", tmp_path / "d.docx")
    assert "40000000 像素" in info.value.zh


def test_rules_read_the_structure_of_converted_documents(case: Path, tmp_path: Path) -> None:
    """What the claims and description checks read: ``Check.structures(role)``."""
    from patentdesk.packages.validation import Check

    add_attachment(case, "claims", d.claims_docx(tmp_path / "claims.docx"))
    add_attachment(case, "drawings", d.drawings_docx(tmp_path / "fig.docx", 2))
    with read_package(case) as package:
        check = Check(package, ValidationContext())
        claims = check.structures("claims")
        figures = check.structures("drawings")
        assert check.structures("description") == []
    assert [c["number"] for c in claims[0]["claims"]] == [1, 2, 3]
    assert claims[0]["path"] == "attachments/claims/claims.json"
    assert [f["label"] for f in figures[0]["figures"]] == ["图1", "图2"]
