from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from patentdesk.packages import editing
from patentdesk.packages import errors as e
from patentdesk.packages.container import (
    MANIFEST_PATH,
    MIMETYPE,
    NewFile,
    add_signature,
    list_signatures,
    manifest_bytes,
    read_package,
    write_package,
)
from tests.unit.packages.helpers import ThrowawaySigner, pdf_bytes, png_bytes

CREATED = "2026-01-02T03:04:05Z"
PID = "0b9a2058-350b-4f6e-8045-366c45348c19"


def build(path: Path, files: list[NewFile] | None = None) -> Path:
    write_package(
        path,
        package_id=PID,
        business_type="invention",
        created_at=CREATED,
        files=files
        or [
            NewFile("forms/request.json", "form", "application/json", data=b'{"title": "x"}\n'),
            NewFile("attachments/drawings/fig1.png", "drawings", "image/png", data=png_bytes()),
            NewFile("attachments/claims/claims.pdf", "claims", "application/pdf", data=pdf_bytes()),
        ],
    )
    return path


def test_layout_mimetype_first_and_stored(tmp_path: Path) -> None:
    path = build(tmp_path / "p.zip")
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert infos[0].filename == "mimetype"
        assert infos[0].compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == MIMETYPE.encode()
        assert infos[-1].filename == MANIFEST_PATH
    # The mimetype can be read at a fixed offset, as ASiC-E intends.
    assert path.read_bytes()[30:38] == b"mimetype"
    assert path.read_bytes()[38 : 38 + len(MIMETYPE)] == MIMETYPE.encode()


def test_manifest_lists_every_file_with_hash_size_role(tmp_path: Path) -> None:
    path = build(tmp_path / "p.zip")
    with read_package(path) as package:
        manifest = json.loads(package.manifest_bytes)
    assert manifest["format"] == "patentdesk-case/1"
    assert manifest["package_id"] == PID
    assert manifest["business_type"] == "invention"
    assert [f["path"] for f in manifest["files"]] == sorted(f["path"] for f in manifest["files"])
    by_path = {f["path"]: f for f in manifest["files"]}
    assert set(by_path) == {
        "forms/request.json",
        "attachments/drawings/fig1.png",
        "attachments/claims/claims.pdf",
    }
    png = by_path["attachments/drawings/fig1.png"]
    assert png["size"] == len(png_bytes())
    assert png["role"] == "drawings" and png["media_type"] == "image/png"
    import hashlib

    assert png["sha256"] == hashlib.sha256(png_bytes()).hexdigest()


def test_same_content_gives_same_bytes(tmp_path: Path) -> None:
    a = build(tmp_path / "a.zip")
    b = build(tmp_path / "b.zip")
    assert a.read_bytes() == b.read_bytes()


def test_manifest_serialisation_is_deterministic(tmp_path: Path) -> None:
    path = build(tmp_path / "p.zip")
    with read_package(path) as package:
        assert package.manifest.to_bytes() == package.manifest_bytes
        text = package.manifest_bytes.decode()
    assert text.endswith("\n")
    assert json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True, indent=2) + "\n" == text


def test_attachments_are_read_lazily_and_rechecked(tmp_path: Path) -> None:
    path = build(tmp_path / "p.zip")
    with read_package(path) as package:
        assert package.read_bytes("attachments/drawings/fig1.png") == png_bytes()
        with package.open_seekable("attachments/claims/claims.pdf") as stream:
            stream.seek(-5, 2)
            assert stream.read() == pdf_bytes()[-5:]
            stream.seek(0)
            assert stream.read(5) == b"%PDF-"
        with pytest.raises(e.EntryNotFound):
            package.open("attachments/other/none.pdf")


def test_signatures_cover_the_manifest_bytes(tmp_path: Path) -> None:
    signer = ThrowawaySigner()
    path = build(tmp_path / "p.zip")
    data = manifest_bytes(path)
    first = add_signature(path, signer.sign(data))
    second = add_signature(path, signer.sign(data))
    assert first == "META-INF/signatures/signature-001.p7s"
    assert second == "META-INF/signatures/signature-002.p7s"
    assert len(list_signatures(path)) == 2
    # Appending keeps the canonical layout, and both verify.
    with read_package(path, verify_signature=signer.verify) as package:
        assert [s.signer for s in package.signatures] == ["test-signer", "test-signer"]
    other = ThrowawaySigner()
    with pytest.raises(e.SignatureInvalid):
        read_package(path, verify_signature=other.verify)


def test_verifier_errors_keep_their_code(tmp_path: Path) -> None:
    path = build(tmp_path / "p.zip")
    add_signature(path, b"\x30\x03\x02\x01\x01")

    class Revoked(e.PatentDeskError):
        code = "CERTIFICATE_REVOKED"

    def verifier(manifest: bytes, der: bytes) -> None:
        raise Revoked("证书已吊销", "revoked")

    with pytest.raises(Revoked):
        read_package(path, verify_signature=verifier)
    with pytest.raises(e.SignatureInvalid):
        read_package(path, verify_signature=lambda m, d: False)


def test_editing_a_signed_package_drops_its_signatures(tmp_path: Path) -> None:
    signer = ThrowawaySigner()
    path = tmp_path / "case.zip"
    editing.new_package("invention", path)
    add_signature(path, signer.sign(manifest_bytes(path)))
    result = editing.set_fields(path, ["title=新名称"])
    assert result.signatures_dropped == 1
    assert result.to_dict()["signatures_dropped"] == 1
    assert list_signatures(path) == []
    add_signature(path, signer.sign(manifest_bytes(path)))
    assert (
        editing.add_attachment(path, "drawings", png_bytes(), filename="f.png").signatures_dropped
        == 1
    )
    add_signature(path, signer.sign(manifest_bytes(path)))
    assert editing.remove_entry(path, "f.png").signatures_dropped == 1


def test_export_keeps_every_byte_and_the_signatures(tmp_path: Path) -> None:
    signer = ThrowawaySigner()
    path = build(tmp_path / "p.zip")
    add_signature(path, signer.sign(manifest_bytes(path)))
    out = tmp_path / "out.zip"
    editing.export_package(path, out)
    assert out.read_bytes() == path.read_bytes()
    with read_package(out, verify_signature=signer.verify) as package:
        assert len(package.signatures) == 1
    with pytest.raises(e.OutputExists):
        editing.export_package(path, out)


def test_reads_from_a_file_object(tmp_path: Path) -> None:
    import io

    data = build(tmp_path / "p.zip").read_bytes()
    with read_package(io.BytesIO(data)) as package:
        assert package.business_type == "invention"
        assert package.source is None
        assert package.form == {"title": "x"}
