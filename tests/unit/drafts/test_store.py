"""Draft storage: ownership by permission domain, import checks, bounded uploads."""

from __future__ import annotations

import io
import shutil
import threading
import uuid
import zipfile
from pathlib import Path

import pytest

from patentdesk.config import Settings
from patentdesk.db import Database
from patentdesk.drafts.shared import SharedDraftStore, drafts_for
from patentdesk.drafts.store import DraftNotFound, DraftStore, Owner, UploadMissing, UploadTooLarge
from patentdesk.packages import errors as pe
from patentdesk.packages.container import read_package
from patentdesk.packages.editing import Editor, new_package, set_fields

NATURAL = Editor(role="natural", user_id="u-1", name="张三")


# Every test on the data folder and on a cluster's object store (with either database).
pytestmark = pytest.mark.parametrize(
    ("blobs_kind", "db_url"),
    [("local", "sqlite"), ("s3", "sqlite"), ("s3", "postgresql")],
    indirect=True,
)


@pytest.fixture
def store(tmp_path: Path, settings: Settings, db: Database) -> DraftStore:
    if not settings.blobs:
        return DraftStore(tmp_path / "drafts", max_upload_bytes=1024)
    return shared_store(settings, db, tmp_path / "server-a")


def shared_store(settings: Settings, db: Database, data: Path) -> DraftStore:
    """One server's view of the cluster's drafts, with its own data folder."""
    here = settings.model_copy(update={"data": data, "max_upload_bytes": 1024})
    return drafts_for(here, database=db)


def owner(domain: uuid.UUID | None = None, user: uuid.UUID | None = None) -> Owner:
    return Owner(user or uuid.uuid4(), domain or uuid.uuid4())


def test_a_draft_belongs_to_its_domain_not_its_creator(store: DraftStore) -> None:
    me = owner()
    draft = store.create(me, "invention", NATURAL)
    assert store.get(me, draft.id).path == draft.path
    assert [d["id"] for d in store.entries(me)] == [draft.id]
    assert store.entries(me)[0]["business_type"] == "invention"
    # The handler and every sub-account of the domain see and open the same draft (A6).
    colleague = owner(domain=me.domain_id)
    assert store.get(colleague, draft.id).path == draft.path
    assert [d["id"] for d in store.entries(colleague)] == [draft.id]
    # Another domain — even the same person acting there — does not.
    me_in_another_domain = owner(user=me.user_id)
    with pytest.raises(DraftNotFound):
        store.get(me_in_another_domain, draft.id)
    assert store.entries(me_in_another_domain) == []
    for bad in ("", "../index", draft.id.upper(), draft.id + "0", "a" * 32):
        with pytest.raises(DraftNotFound):
            store.get(me, bad)


def test_a_natural_persons_drafts_are_their_own(store: DraftStore) -> None:
    me = Owner(uuid.uuid4(), None)
    draft = store.create(me, "invention", NATURAL)
    assert [d["id"] for d in store.entries(me)] == [draft.id]
    stranger = Owner(uuid.uuid4(), None)
    with pytest.raises(DraftNotFound):
        store.get(stranger, draft.id)
    assert store.entries(stranger) == []


def test_per_user_drafts_of_earlier_versions_move_into_their_domain(
    store: DraftStore, tmp_path: Path
) -> None:
    import json

    if isinstance(store, SharedDraftStore):
        pytest.skip("a cluster's drafts start shared: no per-user folders of old versions")

    me = owner()
    elsewhere = str(uuid.uuid4())
    legacy = store.root / me.user_id.hex
    legacy.mkdir(parents=True)
    ids = [uuid.uuid4().hex, uuid.uuid4().hex]
    for draft_id in ids:
        new_package("invention", legacy / f"{draft_id}.zip", NATURAL)
    index = {
        ids[0]: {"domain_id": me.domain, "created_at": "2026-01-01T00:00:00Z", "origin": "new"},
        ids[1]: {"domain_id": elsewhere, "created_at": "2026-01-01T00:00:00Z", "origin": "new"},
    }
    (legacy / "index.json").write_text(json.dumps(index))
    colleague = owner(domain=me.domain_id)
    assert store.entries(colleague) == []  # not theirs to adopt
    assert store.get(me, ids[0]).path.parent == store.root / me.folder
    assert [d["id"] for d in store.entries(colleague)] == [ids[0]]
    left = json.loads((legacy / "index.json").read_text())
    assert list(left) == [ids[1]]  # the other domain's draft waits for that domain


def test_filed_marks_stay_with_the_draft(store: DraftStore) -> None:
    me = owner()
    draft = store.create(me, "invention", NATURAL)
    with store.lock(me):
        store.update_meta(me, draft.id, filed={"receipt_id": "r1"})
    assert store.entries(me)[0]["filed"] == {"receipt_id": "r1"}
    assert store.meta(me, draft.id)["created_by"] == str(me.user_id)
    with store.lock(me):
        store.update_meta(me, draft.id, filed=None)
    assert store.entries(me)[0]["filed"] is None


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
        store.delete(owner(user=me.user_id), draft.id)  # the same person, another domain
    store.delete(owner(domain=me.domain_id), draft.id)  # a colleague of the domain may
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


def test_one_domains_edits_are_serialised(store: DraftStore) -> None:
    me = owner()
    draft = store.create(me, "invention", NATURAL)

    def add_inventor(n: int) -> None:
        with store.lock(owner(domain=me.domain_id)):  # colleagues of one domain
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


# ---------------------------------------------------------------- a cluster's drafts


def servers(store: DraftStore, settings: Settings, db: Database, tmp_path: Path) -> DraftStore:
    if not isinstance(store, SharedDraftStore):
        pytest.skip("only a cluster has a second server")
    return shared_store(settings, db, tmp_path / "server-b")


def title(draft_path: Path) -> object:
    with read_package(draft_path) as package:
        return package.form.get("title")


def test_a_draft_made_on_one_server_is_seen_and_changed_on_another(
    store: DraftStore, settings: Settings, db: Database, tmp_path: Path
) -> None:
    other = servers(store, settings, db, tmp_path)
    me = owner()
    draft = store.create(me, "invention", NATURAL)
    with store.lock(me):
        set_fields(draft.path, ["title=一种折叠椅"])
        store.update_meta(me, draft.id, filed={"receipt_id": "r1"})
    there = other.get(owner(domain=me.domain_id), draft.id)
    assert there.path != draft.path and title(there.path) == "一种折叠椅"
    assert [(d["id"], d["filed"]) for d in other.entries(me)] == [(draft.id, {"receipt_id": "r1"})]
    with other.lock(me):
        set_fields(there.path, ["title=一种折叠式座椅"])
    assert title(store.get(me, draft.id).path) == "一种折叠式座椅"
    with pytest.raises(DraftNotFound):
        other.get(owner(user=me.user_id), draft.id)  # another domain, on any server
    other.delete(me, draft.id)
    with pytest.raises(DraftNotFound):
        store.get(me, draft.id)
    assert store.entries(me) == []
    assert not draft.path.exists()  # A's working copy went with the list


def test_a_change_to_a_version_another_server_replaced_is_refused_not_lost(
    store: DraftStore, settings: Settings, db: Database, tmp_path: Path
) -> None:
    from patentdesk.drafts.service import DraftChanged

    other = servers(store, settings, db, tmp_path)
    me = owner()
    draft = store.create(me, "invention", NATURAL)
    mine = store.get(me, draft.id)
    theirs = other.get(me, draft.id)
    # Both servers passed their checks on the same version; B stores its change first.
    with other.lock(me):
        set_fields(theirs.path, ["title=乙的标题"])
    with pytest.raises(DraftChanged), store.lock(me):
        set_fields(mine.path, ["title=甲的标题"])
    # B's edit stays, and A's working copy is the latest version again.
    assert title(other.get(me, draft.id).path) == "乙的标题"
    assert title(store.get(me, draft.id).path) == "乙的标题"
    with store.lock(me):  # from the latest version, A's change goes through
        set_fields(store.get(me, draft.id).path, ["title=甲的标题"])
    assert title(other.get(me, draft.id).path) == "甲的标题"


def test_housekeeping_keeps_a_drafts_package_and_removes_replaced_versions(
    store: DraftStore, settings: Settings, db: Database, tmp_path: Path
) -> None:
    import datetime as dt

    from patentdesk.blobs import blobs_for
    from patentdesk.drafts.models import SharedDraft
    from patentdesk.housekeeping import purge_orphan_blobs
    from patentdesk.timeutil import now

    servers(store, settings, db, tmp_path)
    me = owner()
    draft = store.create(me, "invention", NATURAL)
    kept = store.create(me, "design", NATURAL)
    with db.unit_of_work() as s:
        first = s.get(SharedDraft, draft.id).package_sha256  # type: ignore[union-attr]
    with store.lock(me):
        set_fields(draft.path, ["title=一种折叠椅"])
    with db.unit_of_work() as s:
        current = s.get(SharedDraft, draft.id).package_sha256  # type: ignore[union-attr]
        kept_sha = s.get(SharedDraft, kept.id).package_sha256  # type: ignore[union-attr]
    blobs = blobs_for(settings)
    assert first != current and blobs.exists(first)
    purge_orphan_blobs(db, settings, now() + dt.timedelta(hours=1))
    assert not blobs.exists(first)
    assert blobs.exists(current) and blobs.exists(kept_sha)
    store.delete(me, kept.id)
    purge_orphan_blobs(db, settings, now() + dt.timedelta(hours=1))
    assert not blobs.exists(kept_sha) and blobs.exists(current)
    # The working copies are a cache: a server that lost them reads the draft again.
    shutil.rmtree(store.root)
    assert title(store.get(me, draft.id).path) == "一种折叠椅"
