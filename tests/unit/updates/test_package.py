"""Versions and the package format shared by the server and the client."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from patentdesk.updates.errors import PackageInvalid, VersionInvalid
from patentdesk.updates.package import package_files, parse_version, safe_member_name


def test_versions_compare_as_numbers():
    assert parse_version("1.10.0") > parse_version("1.9.3")
    assert parse_version("1.2") == parse_version("1.2.0.0")
    assert parse_version("2") > parse_version("1.99.99.99")


@pytest.mark.parametrize("text", ["", "v1", "1..2", "1.2.3.4.5", "1.2-rc1", " 1.2", "１.2"])
def test_bad_versions_name_the_problem(text):
    with pytest.raises(VersionInvalid) as caught:
        parse_version(text)
    assert repr(text) in caught.value.en


@pytest.mark.parametrize(
    "name",
    ["../evil", "/abs", "a/../../b", "C:/win", "a\\b", "a//b", "./a", "con\x00", ""],
)
def test_unsafe_member_names(name):
    assert safe_member_name(name) is None


def test_safe_member_names():
    assert safe_member_name("lib/core.bin") == "lib/core.bin"
    assert safe_member_name("文档/说明.txt") == "文档/说明.txt"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_package_files_lists_hashes(tmp_path):
    files = package_files(_zip(tmp_path / "p.zip", {"a": b"x", "d/b": b"yy"}))
    assert files["d/b"]["length"] == 2
    assert (
        files["a"]["sha256"] == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    )


def test_zip_slip_is_refused(tmp_path):
    with pytest.raises(PackageInvalid) as caught:
        package_files(_zip(tmp_path / "p.zip", {"../../etc/cron.d/x": b"x"}))
    assert "unsafe file name" in caught.value.en


def test_symlink_member_is_refused(tmp_path):
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16
        z.writestr(info, "/etc/passwd")
    with pytest.raises(PackageInvalid) as caught:
        package_files(path)
    assert "symbolic link" in caught.value.en


@pytest.mark.parametrize("content", [b"not a zip", None])
def test_not_a_package(tmp_path, content):
    path = tmp_path / "p.zip"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PackageInvalid):
        package_files(path)


def test_empty_package_is_refused(tmp_path):
    with pytest.raises(PackageInvalid) as caught:
        package_files(_zip(tmp_path / "p.zip", {}))
    assert "no files" in caught.value.en
