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
