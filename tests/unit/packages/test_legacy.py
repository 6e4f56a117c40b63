from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from patentdesk.packages import editing, read_package, validate
from patentdesk.packages import errors as e
from patentdesk.packages.legacy import import_legacy, is_legacy
from patentdesk.packages.validation import ValidationContext
from tests.unit.packages.conftest import needs_font
from tests.unit.packages.helpers import legacy_package


@needs_font
def test_legacy_package_converts_to_a_case_package(tmp_path: Path) -> None:
    src = legacy_package(tmp_path / "legacy.zip")
    assert is_legacy(src)
    out = tmp_path / "case.zip"
    result = import_legacy(src, out)
    assert result.package_id == "5a1c9f0e-1111-4c1e-9d0b-2d3c6b1f6a10"
    with read_package(out) as package:
        assert package.business_type == "invention"
        assert package.form["title"] == "一种折叠式电动自行车"
        assert package.form["internal_number"] == "AG-2026-0002"
        assert package.related == ["substantive_examination"]
        paths = {f.path for f in package.files}
        assert {
            "attachments/claims/100001.pdf",
            "attachments/claims/100001.txt",
            "attachments/description/100002.pdf",
            "attachments/drawings/100003_1.jpg",
            "attachments/abstract/100004.pdf",
            "attachments/power_of_attorney/100007.pdf",
            "attachments/other/110101.pdf",
        } <= paths
        claims = package.read_bytes("attachments/claims/100001.txt").decode()
        assert claims.splitlines()[0].startswith("1. 一种折叠式电动自行车")
        report = validate(package, ValidationContext())
    # The truncated power of attorney is the only defect (plus the missing applicant data).
    readable = [f for f in report.errors if f.rule == "attachment.readable"]
    assert [f.field for f in readable] == ["attachments/power_of_attorney/100007.pdf"]


@pytest.mark.seed("C9")
@needs_font
def test_defective_file_of_an_imported_case_can_be_deleted(tmp_path: Path) -> None:
    out = tmp_path / "case.zip"
    import_legacy(legacy_package(tmp_path / "legacy.zip"), out)
    editing.remove_entry(out, "100007.pdf")
    editing.remove_entry(out, "substantive_examination")
    with read_package(out) as package:
        assert package.related == []
        assert not package.attachments("power_of_attorney")
        assert not any(f.rule == "attachment.readable" for f in validate(package).errors)


def test_not_legacy_without_list_xml(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "x")
    assert not is_legacy(path)


def test_legacy_import_refuses_hostile_archives(tmp_path: Path) -> None:
    src = legacy_package(tmp_path / "legacy.zip")
    with zipfile.ZipFile(src, "a") as zf:
        zf.writestr("../../evil.sh", "x")
    with pytest.raises(e.PathTraversal):
        import_legacy(src, tmp_path / "case.zip")


def test_legacy_import_refuses_xml_entities(tmp_path: Path) -> None:
    path = tmp_path / "legacy.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "list.xml",
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><data-bus>&a;</data-bus>',
        )
    with pytest.raises(e.LegacyPackageInvalid):
        import_legacy(path, tmp_path / "case.zip")


def test_legacy_import_names_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "legacy.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "list.xml",
            "<data-bus><BAOTOUXX><FAMINGMC>x</FAMINGMC></BAOTOUXX><BAONEIWJXX><WENJIANXX>"
            "<BIAOGEDM>110101</BIAOGEDM><XIANGDUILJ>110101\\110101.xml</XIANGDUILJ>"
            "</WENJIANXX></BAONEIWJXX></data-bus>",
        )
    with pytest.raises(e.LegacyPackageInvalid) as info:
        import_legacy(path, tmp_path / "case.zip")
    assert "110101/110101.xml" in info.value.zh


def _utf7_bomb() -> bytes:
    """A list.xml whose DTD hides behind a UTF-7 declaration: the byte-level entity check
    sees no ``<!ENTITY`` (``<`` is ``+ADw-``), but a parser decoding UTF-7 does."""
    levels = "".join(f'<!ENTITY e{i} "&e{i - 1};&e{i - 1};&e{i - 1};">' for i in range(1, 4))
    body = f'<!DOCTYPE d [<!ENTITY e0 "x">{levels}]><data-bus>&e3;</data-bus>'
    return b'<?xml version="1.0" encoding="UTF-7"?>' + body.encode("utf-7")


def test_legacy_import_refuses_entities_hidden_behind_utf7(tmp_path: Path) -> None:
    path = tmp_path / "legacy.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("list.xml", _utf7_bomb())
    with pytest.raises(e.LegacyPackageInvalid) as info:
        import_legacy(path, tmp_path / "case.zip")
    assert "UTF-7" in info.value.en


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "cp037"])
def test_legacy_import_refuses_encodings_that_are_not_ascii_compatible(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "legacy.zip"
    text = f'<?xml version="1.0" encoding="{encoding}"?><data-bus/>'
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("list.xml", text.encode("ascii"))
    with pytest.raises(e.LegacyPackageInvalid) as info:
        import_legacy(path, tmp_path / "case.zip")
    assert encoding.upper() in info.value.en


def test_legacy_xml_is_parsed_without_entity_expansion_whatever_the_declaration() -> None:
    from patentdesk.packages.legacy import _parse_xml

    gbk = '<?xml version="1.0" encoding="GBK"?><!DOCTYPE d [<!ENTITY a "甲">]><d>&a;</d>'
    with pytest.raises(e.LegacyPackageInvalid):
        _parse_xml(gbk.encode("gbk"), "x.xml")
    # An internal DTD with no entity is still a DTD: refused too.
    with pytest.raises(e.LegacyPackageInvalid):
        _parse_xml(b'<?xml version="1.0"?><!DOCTYPE d [<!ELEMENT d ANY>]><d/>', "x.xml")


def test_legacy_xml_and_text_entries_are_capped_at_the_form_size(tmp_path: Path) -> None:
    from patentdesk.packages.zipsafe import Limits

    limits = Limits(max_form_size=64 * 1024)
    for rel, body in (
        ("100001\\100001.xml", b"<claims>" + b"a" * 200_000 + b"</claims>"),
        ("100001\\100001.txt", b"a" * 200_000),
    ):
        src = tmp_path / "legacy.zip"
        with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(
                "list.xml",
                "<data-bus><BAOTOUXX><SHENQINGH>2026100000013</SHENQINGH></BAOTOUXX><BAONEIWJXX>"
                f"<WENJIANXX><BIAOGEDM>100001</BIAOGEDM><XIANGDUILJ>{rel}</XIANGDUILJ>"
                "</WENJIANXX></BAONEIWJXX></data-bus>",
            )
            zf.writestr(rel.replace("\\", "/"), body)
        with pytest.raises(e.EntryTooLarge) as info:
            import_legacy(src, tmp_path / "case.zip", limits)
        assert "65536" in info.value.en


def test_legacy_pdf_entries_may_be_larger_than_the_form_size(tmp_path: Path) -> None:
    from patentdesk.packages.zipsafe import Limits

    src = tmp_path / "legacy.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "list.xml",
            "<data-bus><BAOTOUXX><SHENQINGH>2026100000013</SHENQINGH></BAOTOUXX><BAONEIWJXX>"
            "<WENJIANXX><BIAOGEDM>100001</BIAOGEDM><XIANGDUILJ>100001\\1.pdf</XIANGDUILJ>"
            "</WENJIANXX></BAONEIWJXX></data-bus>",
        )
        zf.writestr("100001/1.pdf", b"%PDF-1.4\n" + b"%" * 200_000)
    result = import_legacy(src, tmp_path / "case.zip", Limits(max_form_size=64 * 1024))
    assert [f.path.rsplit("/", 1)[-1] for f in result.files] == ["1.pdf"]
