"""Property tests: round trips keep every byte; any single changed byte is detected."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patentdesk.packages import editing
from patentdesk.packages.container import (
    NewFile,
    add_signature,
    manifest_bytes,
    read_package,
    write_package,
)
from patentdesk.packages.errors import PatentDeskError
from patentdesk.packages.registry import ROLES
from patentdesk.packages.store import CaseIndex
from tests.unit.packages.helpers import ThrowawaySigner, entries_of

SIGNER = ThrowawaySigner()

names = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd", "Lo"), max_codepoint=0x9FFF),
    min_size=1,
    max_size=12,
)
attachment = st.tuples(st.sampled_from(sorted(ROLES)), names, st.binary(max_size=2048))
forms = st.dictionaries(
    st.sampled_from(["title", "internal_number"]), st.text(max_size=40), max_size=2
)


def build(folder: Path, form: dict, files: list[tuple[str, str, bytes]], signatures: int) -> Path:
    import json

    path = folder / "case.zip"
    seen = set()
    items = [
        NewFile("forms/request.json", "form", "application/json", data=json.dumps(form).encode())
    ]
    for role, name, data in files:
        entry = f"attachments/{role}/{name}.pdf"
        if entry.casefold() in seen:
            continue
        seen.add(entry.casefold())
        items.append(NewFile(entry, role, "application/pdf", data=data))
    write_package(
        path,
        package_id="0b9a2058-350b-4f6e-8045-366c45348c19",
        business_type="invention",
        created_at="2026-01-02T03:04:05Z",
        files=items,
    )
    for _ in range(signatures):
        add_signature(path, SIGNER.sign(manifest_bytes(path)))
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form=forms, files=st.lists(attachment, max_size=5), signatures=st.integers(0, 2))
def test_build_export_import_keeps_every_byte(form: dict, files: list, signatures: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        original = build(folder, form, files, signatures)
        exported = folder / "exported.zip"
        editing.export_package(original, exported)
        index = CaseIndex(folder / "home")
        with read_package(exported) as package:
            imported = index.stored_path(package.package_id)
        editing.export_package(exported, imported)
        index.record(imported, "import")
        assert imported.read_bytes() == exported.read_bytes() == original.read_bytes()
        assert entries_of(imported) == entries_of(original)
        with read_package(imported, verify_signature=SIGNER.verify) as package:
            assert len(package.signatures) == signatures
        assert [e["path"] for e in index.entries()] == [str(imported.resolve())]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("signed")
    return build(
        folder, {"title": "折叠车"}, [("claims", "权利要求", b"%PDF-1.4 claims")], 1
    ).read_bytes()


def _detected(data: bytes) -> bool:
    import io

    try:
        with read_package(io.BytesIO(data), verify_signature=SIGNER.verify):
            return False
    except PatentDeskError:
        return True


@settings(max_examples=300, deadline=None)
@given(position=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255))
def test_any_single_byte_change_to_a_signed_package_is_detected(
    signed: bytes, position: int, value: int
) -> None:
    position %= len(signed)
    if signed[position] == value:
        value = (value + 1) % 256
    changed = bytearray(signed)
    changed[position] = value
    assert _detected(bytes(changed)), f"byte {position} set to {value} went unnoticed"


def test_every_byte_position_is_significant(signed: bytes) -> None:
    # Exhaustive over positions for one change per byte (low bit flipped).
    missed = []
    for position in range(len(signed)):
        changed = bytearray(signed)
        changed[position] ^= 0x01
        if not _detected(bytes(changed)):
            missed.append(position)
    assert missed == []


def test_truncation_and_appending_are_detected(signed: bytes) -> None:
    assert _detected(signed[:-1])
    assert _detected(signed + b"\0")
    assert not _detected(signed)
