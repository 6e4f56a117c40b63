import hashlib
import zipfile
from datetime import date

import pytest

from patentdesk.notices import legacy
from patentdesk.notices.legacy import (
    LegacyArchiveInvalid,
    open_legacy_archive,
    parse_legacy_archive,
)
from tests.unit.notices.legacy_samples import (
    manifest_csv,
    manifest_xml,
    sample_notices,
    tiny_pdf,
    with_changes,
    write_archive,
)


def problems(info):
    return info.value.details["problems"]


@pytest.mark.parametrize(
    ("manifest", "container", "xml_style"),
    [
        ("csv", "zip", None),
        ("csv", "dir", None),
        ("xml", "zip", "pinyin"),
        ("xml", "zip", "chinese"),
        ("xml", "zip", "attributes"),
        ("xml", "dir", "pinyin"),
    ],
)
def test_round_trip(tmp_path, manifest, container, xml_style):
    notices = sample_notices(5)
    dest = tmp_path / ("a.zip" if container == "zip" else "a")
    path = write_archive(
        dest, notices, manifest=manifest, container=container, xml_style=xml_style or "pinyin"
    )
    parsed = parse_legacy_archive(path)
    assert [p.serial for p in parsed] == [n.serial for n in notices]
    for got, want in zip(parsed, notices, strict=True):
        assert got.code == want.code and got.name == want.name
        assert got.application_number == want.application_number
        assert got.title == want.title
        assert got.dispatched_on == date.fromisoformat(want.dispatched_on)
        assert got.known_type and got.warnings == ()
        assert got.pdf_sha256 == hashlib.sha256(want.pdf).hexdigest()
        assert got.pdf_size == len(want.pdf)
        assert got.read_pdf() == want.pdf
    with open_legacy_archive(path) as archive:
        assert archive.manifest == f"notices.{manifest}"
        assert [archive.read_pdf(n) for n in archive] == [n.pdf for n in notices]


def test_gbk_csv_with_windows_paths_and_nested_folder(tmp_path):
    notices = [with_changes(n, file=f"通知书\\{n.serial}.pdf") for n in sample_notices(2)]
    path = write_archive(
        tmp_path / "a.zip",
        [with_changes(n, file=n.file) for n in notices],
        encoding="gb18030",
        folder="导出",
    )
    # write_archive stores members with '/', the manifest keeps the Windows '\'.
    parsed = parse_legacy_archive(path)
    assert [p.file_name for p in parsed] == [f"导出/通知书/{n.serial}.pdf" for n in notices]
    assert parsed[0].title == notices[0].title


def test_gbk_declared_xml(tmp_path):
    notices = sample_notices(2)
    path = write_archive(tmp_path / "a.zip", notices, manifest="xml", encoding="GBK")
    assert [p.title for p in parse_legacy_archive(path)] == [n.title for n in notices]


def test_zip_names_in_gbk_without_utf8_flag(tmp_path):
    # Windows archivers store 通知书.pdf as GBK bytes without the UTF-8 flag; zipfile then
    # reads the name as cp437 mojibake. Build such a ZIP by patching an ASCII name's bytes.
    gbk_name = "通知书.pdf".encode("gbk")
    placeholder = b"x" * (len(gbk_name) - 4) + b".pdf"
    notice = with_changes(sample_notices(1)[0], file="通知书.pdf")
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notices.csv", manifest_csv([notice]))
        archive.writestr(placeholder.decode(), notice.pdf)
    path.write_bytes(path.read_bytes().replace(placeholder, gbk_name))
    with zipfile.ZipFile(path) as archive:
        assert "通知书.pdf" not in archive.namelist()  # what a naive reader sees
    [parsed] = parse_legacy_archive(path)
    assert parsed.file_name == "通知书.pdf"
    assert parsed.read_pdf() == notice.pdf


def test_unknown_code_kept_and_flagged(tmp_path):
    notices = sample_notices(2)
    notices[1] = with_changes(notices[1], code="209999", name="旧系统特有通知书")
    parsed = parse_legacy_archive(write_archive(tmp_path / "a.zip", notices))
    assert parsed[1].code == "209999" and not parsed[1].known_type
    assert parsed[1].name == "旧系统特有通知书"
    assert "未知的通知书代码 209999" in parsed[1].warnings[0]


def test_soft_differences_are_warnings(tmp_path):
    notice = sample_notices(1)[0]
    notices = [
        with_changes(
            notice,
            name="第一次审查意见通知",  # differs from the type's name
            application_number=notice.application_number.split(".")[0],  # no check char
            dispatched_on="2022/01/15",
        ),
        with_changes(sample_notices(2)[1], name="", dispatched_on="20220215"),
    ]
    parsed = parse_legacy_archive(
        write_archive(tmp_path / "a.zip", notices, extra_files={"stray.pdf": tiny_pdf("x")})
    )
    assert parsed[0].application_number == notice.application_number
    assert any("缺少校验位" in w for w in parsed[0].warnings)
    assert any("名称" in w for w in parsed[0].warnings)
    assert parsed[0].dispatched_on == date(2022, 1, 15)
    assert parsed[1].name == "驳回决定" and parsed[1].dispatched_on == date(2022, 2, 15)
    with open_legacy_archive(tmp_path / "a.zip") as archive:
        assert archive.warnings == ["归档中的 stray.pdf 未在清单中列出，已忽略"]


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"dispatched_on": "2022-02-30"}, "dispatched_on", "不是日期"),
        ({"dispatched_on": "15/01/2022"}, "dispatched_on", "不是日期"),
        ({"dispatched_on": "1984-12-31"}, "dispatched_on", "1985"),
        ({"dispatched_on": "2999-01-01"}, "dispatched_on", "晚于今天"),
        ({"application_number": "202110000100.0"}, "application_number", "校验位"),
        ({"application_number": "12345"}, "application_number", "格式"),
        ({"code": "21040"}, "code", "6 位数字"),
        ({"code": ""}, "code", "缺失"),
        ({"serial": "2022/01"}, "serial", "字符"),
        ({"file": "../../etc/passwd"}, "file", "不安全"),
        ({"file": "/etc/passwd"}, "file", "不安全"),
        ({"file": "C:\\Windows\\a.pdf"}, "file", "不安全"),
        ({"file": "pdf\\..\\..\\x.pdf"}, "file", "不安全"),
        ({"file": "missing.pdf"}, "file", "没有文件"),
    ],
)
def test_bad_records_refused(tmp_path, change, field, fragment):
    notices = sample_notices(2)
    notices[1] = with_changes(notices[1], **change)
    path = write_archive(tmp_path / "a.zip", notices, omit_pdfs=("missing.pdf",))
    with pytest.raises(LegacyArchiveInvalid) as info:
        parse_legacy_archive(path)
    [problem] = problems(info)
    assert problem["row"] == 3  # CSV line 3: the header is line 1
    assert problem["field"] == field
    assert fragment in problem["message"]
    assert "第 3 行" in info.value.zh


def test_duplicate_serials_and_several_problems_at_once(tmp_path):
    notices = sample_notices(4)
    notices[2] = with_changes(notices[2], serial=notices[0].serial)
    notices[3] = with_changes(notices[3], dispatched_on="yesterday")
    path = write_archive(tmp_path / "a.zip", notices, manifest="xml")
    with pytest.raises(LegacyArchiveInvalid) as info:
        parse_legacy_archive(path)
    found = [(p["row"], p["field"]) for p in problems(info)]
    assert found == [(3, "serial"), (4, "dispatched_on")]
    assert "与第 1 条重复" in problems(info)[0]["message"]
    assert "2 处错误" in info.value.zh and "第 3 条" in info.value.zh


def test_missing_pdf(tmp_path):
    notices = sample_notices(2)
    path = write_archive(tmp_path / "a.zip", notices, omit_pdfs=(notices[0].file,))
    with pytest.raises(LegacyArchiveInvalid, match="没有文件"):
        parse_legacy_archive(path)


def test_not_a_pdf(tmp_path):
    notices = sample_notices(1)
    path = write_archive(tmp_path / "a.zip", notices, extra_files={notices[0].file: b"MZ\x90\x00"})
    with pytest.raises(LegacyArchiveInvalid, match="不是 PDF"):
        parse_legacy_archive(path)


def test_pdf_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(legacy, "MAX_PDF_BYTES", 100)
    with pytest.raises(LegacyArchiveInvalid, match="超过"):
        parse_legacy_archive(write_archive(tmp_path / "a.zip", sample_notices(1)))


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"readme.txt": b"x"}, "没有 notices.csv 或 notices.xml"),
        ({"notices.csv": b"a,b\r\n", "notices.xml": b"<n/>"}, "只能有一个"),
        ({"notices.csv": b""}, "为空"),
        ({"notices.csv": "通知书代码,申请号\r\n".encode()}, "表头缺少列：发文日、发文序列号"),
        (
            {
                "notices.csv": "\ufeff"
                + ",".join(["通知书代码", "申请号", "发文日", "发文序列号"]).encode().decode()
                + "\r\n"
            },
            "没有通知书记录",
        ),
        ({"notices.xml": b"<notices><notice>"}, "不是有效的 XML"),
        ({"notices.xml": b"<notices/>"}, "没有通知书记录"),
        ({"notices.csv": b"\xff\xfe\x00\xd8"}, "UTF-8 或 GB18030"),
    ],
)
def test_bad_archives_refused(tmp_path, files, fragment):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    with pytest.raises(LegacyArchiveInvalid) as info:
        parse_legacy_archive(path)
    assert fragment in info.value.zh


def test_xml_entities_refused(tmp_path):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE n [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><notices><notice>'
        b"<TONGZHISBM>&b;</TONGZHISBM></notice></notices>"
    )
    external = (
        b'<?xml version="1.0"?><!DOCTYPE n [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<notices><notice><TONGZHISBM>&x;</TONGZHISBM></notice></notices>"
    )
    for data in (bomb, external):
        path = tmp_path / "a.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notices.xml", data)
        with pytest.raises(LegacyArchiveInvalid, match="XML"):
            parse_legacy_archive(path)


def test_not_a_zip_and_missing_path(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"not a zip")
    with pytest.raises(LegacyArchiveInvalid, match="ZIP"):
        parse_legacy_archive(tmp_path / "a.zip")
    with pytest.raises(LegacyArchiveInvalid, match="找不到"):
        parse_legacy_archive(tmp_path / "nowhere.zip")


def test_symlink_out_of_folder_is_not_followed(tmp_path):
    notices = sample_notices(1)
    folder = write_archive(tmp_path / "a", notices, container="dir", omit_pdfs=(notices[0].file,))
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(tiny_pdf("secret"))
    (folder / notices[0].file).parent.mkdir(parents=True)
    (folder / notices[0].file).symlink_to(outside)
    with pytest.raises(LegacyArchiveInvalid, match="没有文件"):
        parse_legacy_archive(folder)


def test_pdf_changed_after_check_is_refused(tmp_path):
    notices = sample_notices(1)
    folder = write_archive(tmp_path / "a", notices, container="dir")
    [notice] = parse_legacy_archive(folder)
    (folder / notices[0].file).write_bytes(tiny_pdf("tampered"))
    with pytest.raises(LegacyArchiveInvalid, match="改动"):
        notice.read_pdf()


def test_manifest_xml_escapes():
    notice = with_changes(sample_notices(1)[0], title="A & B <c>")
    assert b"A &amp; B &lt;c&gt;" in manifest_xml([notice])
