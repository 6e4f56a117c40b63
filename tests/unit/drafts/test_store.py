"""Per-user draft storage: ownership by user and domain, import checks, bounded uploads."""

from __future__ import annotations

import io
import threading
import uuid
import zipfile
from pathlib import Path

import pytest

from patentdesk.drafts.store import DraftNotFound, DraftStore, Owner, UploadMissing, UploadTooLarge
from patentdesk.packages import errors as pe
from patentdesk.packages.container import read_package
from patentdesk.packages.editing import Editor, new_package, set_fields

NATURAL = Editor(role="natural", user_id="u-1", name="张三")


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    return DraftStore(tmp_path / "drafts", max_upload_bytes=1024)


def owner(domain: uuid.UUID | None = None, user: uuid.UUID | None = None) -> Owner:
    return Owner(user or uuid.uuid4(), domain or uuid.uuid4())


def test_a_draft_is_seen_only_by_its_user_in_its_domain(store: DraftStore) -> None:
    me = owner()
    draft = store.create(me, "invention", NATURAL)
    assert store.get(me, draft.id).path == draft.path
    assert [d["id"] for d in store.entries(me)] == [draft.id]
    assert store.entries(me)[0]["business_type"] == "invention"
    someone_else = owner(domain=me.domain_id)
    me_in_another_domain = owner(user=me.user_id)
    for other in (someone_else, me_in_another_domain):
        with pytest.raises(DraftNotFound):
            store.get(other, draft.id)
        assert store.entries(other) == []
    for bad in ("", "../index", draft.id.upper(), draft.id + "0", "a" * 32):
        with pytest.raises(DraftNotFound):
            store.get(me, bad)


def test_ic_layout_and_unknown_types_leave_nothing_behind(store: DraftStore) -> None:
    me = owner()
    with pytest.raises(pe.IcLayoutNotSupported):
        store.create(me, "ic-layout", NATURAL)
    with pytest.raises(pe.UnknownBusinessType):
        store.create(me, "trademark", NATURAL)
    assert store.entries(me) == []
    assert not list(store._dir(me).glob("*.zip"))


def test_delete(store: DraftStore) -> None:
    me = owner()
    draft = store.create(me, "design", NATURAL)
    with pytest.raises(DraftNotFound):
        store.delete(owner(domain=me.domain_id), draft.id)
    store.delete(me, draft.id)
    assert not draft.path.exists()
    with pytest.raises(DraftNotFound):
        store.get(me, draft.id)


def test_import_keeps_the_package_and_refuses_hostile_archives(
    store: DraftStore, tmp_path: Path
) -> None:
    me = owner()
    source = tmp_path / "case.zip"
    new_package("utility", source)
    set_fields(source, ["title=一种折叠椅"])
    draft, notes = store.import_package(me, source)
    assert notes == []
    with read_package(draft.path) as package, read_package(source) as original:
        assert package.package_id == original.package_id
        assert package.form["title"] == "一种折叠椅"
    assert store.entries(me)[0]["origin"] == "import"

    hostile = tmp_path / "evil.zip"
    with zipfile.ZipFile(hostile, "w") as zf:
        zf.writestr("mimetype", "application/vnd.patentdesk.case+zip")
        zf.writestr("../../etc/passwd", "x")
    with pytest.raises(pe.PackageRefused):
        store.import_package(me, hostile)
    assert len(store.entries(me)) == 1
    assert len(list(store._dir(me).glob("*.zip"))) == 1


def test_uploads_are_bounded_and_cleaned_up(store: DraftStore) -> None:
    me = owner()
    with store.upload(me, io.BytesIO(b"%PDF-1.4 small"), "../../a/b/claims.pdf") as path:
        assert path.name == "claims.pdf"
        assert path.read_bytes() == b"%PDF-1.4 small"
        assert store._dir(me) in path.parents
    assert not path.exists()
    with pytest.raises(UploadTooLarge), store.upload(me, io.BytesIO(b"x" * 2048), "big.pdf"):
        pass
    with pytest.raises(UploadMissing), store.upload(me, io.BytesIO(b""), "empty.pdf"):
        pass
    assert list((store._dir(me) / ".tmp").iterdir()) == []


def test_one_users_edits_are_serialised(store: DraftStore) -> None:
    me = owner()
    draft = store.create(me, "invention", NATURAL)

    def add_inventor(n: int) -> None:
        with store.lock(me):
            with read_package(draft.path) as package:
                count = len(package.form.get("inventors", []))
            set_fields(draft.path, [f"inventors.{count}.name=发明人{n}"])

    threads = [threading.Thread(target=add_inventor, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with read_package(draft.path) as package:
        assert len(package.form["inventors"]) == 6
