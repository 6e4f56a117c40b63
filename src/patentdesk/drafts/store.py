"""Draft storage in the server's data folder (no database table): the embedded default. A
cluster with an object store keeps its drafts in :mod:`patentdesk.drafts.shared`.

Layout::

    <data>/drafts/domains/<domain id hex>/   the drafts of a permission domain
    <data>/drafts/people/<user id hex>/      a natural person's own drafts (no domain)
        index.json        {"<draft id>": {"domain_id", "created_at", "origin", "created_by",
                           "filed": {...}}}
        <draft id>.zip    the case package itself
        .lock             serialises the folder's edits
        .tmp/             uploads on their way in

A draft belongs to the permission domain it was made in, not to the person who made it: the
handler, the main account and every sub-account of the domain see and edit the same drafts
(A6: inside one domain every sub-account has the same rights; C8: the role decides which
parts of the form each may edit). A natural person's drafts are theirs alone. Anything else
— another domain's draft, a malformed id — is "not found" (404), so a draft's existence is
never revealed to someone who may not see it. Two people editing the same draft are kept
apart by the form's version check (:func:`patentdesk.drafts.service.save_form`).

Earlier versions kept drafts per user (``<data>/drafts/<user id hex>/``); those are adopted
into their domain's folder the first time their user opens the list.

Every package write is atomic (the packages library writes a copy and renames it), the index
is replaced atomically, and one folder's changes are serialised by a file lock, so concurrent
requests never interleave half-written state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from patentdesk.errors import NotFound, PatentDeskError
from patentdesk.packages.editing import Editor, export_package, new_package
from patentdesk.packages.registry import get_business_type
from patentdesk.timeutil import iso, now

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock below still serialises
    fcntl = None  # type: ignore[assignment]

DRAFT_ID = re.compile(r"^[0-9a-f]{32}$")
_DRAFT_ID = DRAFT_ID
CHUNK = 1024 * 1024


class DraftNotFound(NotFound):
    code = "DRAFT_NOT_FOUND"
    message_zh = "草稿不存在，或不属于当前登录身份"
    message_en = "The draft does not exist, or does not belong to the role you are logged in as"


class UploadTooLarge(PatentDeskError):
    code = "UPLOAD_TOO_LARGE"
    status = 413
    message_zh = "上传的文件过大：上限 {limit} 字节"
    message_en = "The uploaded file is too large: the limit is {limit} bytes"


class UploadMissing(PatentDeskError):
    code = "UPLOAD_MISSING"
    status = 422
    message_zh = "请选择要上传的文件"
    message_en = "Choose a file to upload"


@dataclass(frozen=True)
class Owner:
    """Whose drafts: the permission domain the user acts in (the user when there is none)."""

    user_id: uuid.UUID
    domain_id: uuid.UUID | None

    @property
    def domain(self) -> str:
        return str(self.domain_id) if self.domain_id else "-"

    @property
    def folder(self) -> str:
        if self.domain_id is not None:
            return f"domains/{self.domain_id.hex}"
        return f"people/{self.user_id.hex}"


@dataclass(frozen=True)
class Draft:
    id: str
    path: Path
    created_at: str
    origin: str  # new | import | import-legacy


_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()
_held = threading.local()


class DraftStore:
    def __init__(self, root: Path, max_upload_bytes: int = 512 * 1024 * 1024) -> None:
        self.root = root
        self.max_upload_bytes = max_upload_bytes

    # ------------------------------------------------------------------ layout and locking

    def _dir(self, owner: Owner) -> Path:
        folder = self.root / owner.folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder

    def _adopt_legacy(self, owner: Owner) -> None:
        """Moves this user's drafts of this domain out of the per-user folder of earlier
        versions into the domain's folder (the caller holds the domain's lock)."""
        legacy = self.root / owner.user_id.hex
        index = legacy / "index.json"
        if not index.is_file():
            return
        try:
            old = json.loads(index.read_text("utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(old, dict):
            return
        moving = {
            k: v
            for k, v in old.items()
            if isinstance(v, dict) and v.get("domain_id") == owner.domain and _DRAFT_ID.fullmatch(k)
        }
        if not moving:
            return
        data = self._load(owner)
        for draft_id, entry in moving.items():
            source = legacy / f"{draft_id}.zip"
            if source.is_file():
                os.replace(source, self._dir(owner) / f"{draft_id}.zip")
                data[draft_id] = {**entry, "created_by": str(owner.user_id)}
        self._save(owner, data)
        rest = {k: v for k, v in old.items() if k not in moving}
        fd, tmp = tempfile.mkstemp(prefix=".index.", dir=legacy)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(rest, fh, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, index)

    @contextlib.contextmanager
    def lock(self, owner: Owner) -> Iterator[None]:
        """Serialises one domain's changes, across threads and worker processes; a thread
        that already holds it (e.g. :meth:`get` inside :meth:`delete`) just goes on."""
        folder = self._dir(owner)
        held: set[str] = _held.__dict__.setdefault("folders", set())
        if str(folder) in held:
            yield
            return
        with _thread_locks_guard:
            thread_lock = _thread_locks.setdefault(str(folder), threading.Lock())
        with thread_lock, open(folder / ".lock", "a+b") as fh:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_EX)
            held.add(str(folder))
            try:
                try:
                    yield
                finally:
                    self._before_unlock(owner)
            finally:
                held.discard(str(folder))

    def _before_unlock(self, owner: Owner) -> None:
        """What must happen before the outermost :meth:`lock` of ``owner`` ends (a shared
        store stores the changes made under it); nothing here: files are written in place."""

    def _load(self, owner: Owner) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads((self._dir(owner) / "index.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, owner: Owner, data: dict[str, dict[str, Any]]) -> None:
        folder = self._dir(owner)
        fd, tmp = tempfile.mkstemp(prefix=".index.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, folder / "index.json")

    def _entry(self, owner: Owner, draft_id: str, data: dict[str, Any]) -> Draft:
        return Draft(
            draft_id,
            self._dir(owner) / f"{draft_id}.zip",
            str(data.get("created_at") or ""),
            str(data.get("origin") or "new"),
        )

    # ------------------------------------------------------------------ reading

    def get(self, owner: Owner, draft_id: str) -> Draft:
        """The domain's draft, or :class:`DraftNotFound` (also for other domains')."""
        if not _DRAFT_ID.fullmatch(draft_id or ""):
            raise DraftNotFound()
        entry = self._load(owner).get(draft_id)
        if entry is None and (self.root / owner.user_id.hex).is_dir():
            with self.lock(owner):
                self._adopt_legacy(owner)
            entry = self._load(owner).get(draft_id)
        if entry is None or entry.get("domain_id") != owner.domain:
            raise DraftNotFound()
        draft = self._entry(owner, draft_id, entry)
        if not draft.path.is_file():
            raise DraftNotFound()
        return draft

    def entries(self, owner: Owner) -> list[dict[str, Any]]:
        """The domain's drafts, newest change first, for the list page; a filed one carries
        ``filed`` (what its submission returned)."""
        if (self.root / owner.user_id.hex).is_dir():
            with self.lock(owner):
                self._adopt_legacy(owner)
        items = []
        for draft_id, entry in self._load(owner).items():
            if entry.get("domain_id") != owner.domain or not _DRAFT_ID.fullmatch(draft_id):
                continue
            items.append(describe(self._entry(owner, draft_id, entry), entry))
        epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(items, key=lambda i: i.get("updated_at") or epoch, reverse=True)

    # ------------------------------------------------------------------ changing

    def _add(self, owner: Owner, draft_id: str, origin: str) -> Draft:
        data = self._load(owner)
        data[draft_id] = {
            "domain_id": owner.domain,
            "created_at": iso(now().replace(microsecond=0)),
            "origin": origin,
            "created_by": str(owner.user_id),
        }
        self._save(owner, data)
        return self._entry(owner, draft_id, data[draft_id])

    def create(self, owner: Owner, business_type: str, editor: Editor) -> Draft:
        """A new empty package of ``business_type`` (ic-layout is refused, seed C5)."""
        get_business_type(business_type)
        draft_id = uuid.uuid4().hex
        with self.lock(owner):
            path = self._dir(owner) / f"{draft_id}.zip"
            try:
                new_package(business_type, path, editor)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return self._add(owner, draft_id, "new")

    def import_package(self, owner: Owner, source: Path) -> tuple[Draft, list[str]]:
        """Takes an exported case package (or a legacy CPC package with list.xml) as a new
        draft; a damaged or hostile archive is refused and nothing is kept. Returns the draft
        and the legacy converter's notes."""
        from patentdesk.packages.container import read_package
        from patentdesk.packages.legacy import import_legacy, is_legacy

        draft_id = uuid.uuid4().hex
        with self.lock(owner):
            target = self._dir(owner) / f"{draft_id}.zip"
            notes: list[str] = []
            try:
                if is_legacy(source):
                    notes = import_legacy(source, target).notes
                    origin = "import-legacy"
                else:
                    with read_package(source) as package:
                        get_business_type(package.business_type)
                    export_package(source, target)
                    origin = "import"
                # What the portal cannot open is not kept: the same checks as every edit.
                with read_package(target) as package:
                    get_business_type(package.business_type)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            return self._add(owner, draft_id, origin), notes

    def meta(self, owner: Owner, draft_id: str) -> dict[str, Any]:
        """The index entry of a draft (``filed``, ``signing``…), after :meth:`get`."""
        self.get(owner, draft_id)
        return dict(self._load(owner).get(draft_id) or {})

    def update_meta(self, owner: Owner, draft_id: str, **values: Any) -> None:
        """Sets (or, with ``None``, removes) keys of a draft's index entry; the caller holds
        the lock."""
        data = self._load(owner)
        entry = data.get(draft_id)
        if entry is None:
            raise DraftNotFound()
        for key, value in values.items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
        self._save(owner, data)

    def delete(self, owner: Owner, draft_id: str) -> None:
        with self.lock(owner):
            draft = self.get(owner, draft_id)
            data = self._load(owner)
            data.pop(draft_id, None)
            self._save(owner, data)
            draft.path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ uploads

    @contextlib.contextmanager
    def upload(self, owner: Owner, stream: BinaryIO, filename: str | None) -> Iterator[Path]:
        """Copies an uploaded file into the owner's folder (bounded), yields its path and
        removes it afterwards. The file keeps its (sanitised) name: the package uses it."""
        from patentdesk.packages.attachments import safe_filename

        tmp_root = self._dir(owner) / ".tmp"
        tmp_root.mkdir(exist_ok=True, mode=0o700)
        folder = Path(tempfile.mkdtemp(dir=tmp_root))
        try:
            path = folder / safe_filename(os.path.basename(filename or "") or "upload")
            size = 0
            with open(path, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_upload_bytes:
                        raise UploadTooLarge(limit=self.max_upload_bytes)
                    out.write(chunk)
            if size == 0:
                raise UploadMissing()
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextlib.contextmanager
    def adopt_upload(
        self, owner: Owner, take: Callable[[Path], int], filename: str | None
    ) -> Iterator[Path]:
        """A finished resumable upload (``take`` moves it to the path it is given) under its
        sanitised name, removed afterwards, like :meth:`upload`."""
        from patentdesk.packages.attachments import safe_filename

        tmp_root = self._dir(owner) / ".tmp"
        tmp_root.mkdir(exist_ok=True, mode=0o700)
        folder = Path(tempfile.mkdtemp(dir=tmp_root))
        try:
            path = folder / safe_filename(os.path.basename(filename or "") or "upload")
            size = take(path)
            if size > self.max_upload_bytes:
                raise UploadTooLarge(limit=self.max_upload_bytes)
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def export(self, owner: Owner, draft: Draft) -> Path:
        """A verified copy of the draft for download; the caller removes it when sent."""
        tmp_root = self._dir(owner) / ".tmp"
        tmp_root.mkdir(exist_ok=True, mode=0o700)
        out = tmp_root / f"{draft.id}-{uuid.uuid4().hex}.zip"
        export_package(draft.path, out)
        return out


def describe(
    draft: Draft, entry: dict[str, Any], updated_at: dt.datetime | None = None
) -> dict[str, Any]:
    """A draft as the list page shows it (``updated_at``: when it changed, if not the
    file's time)."""
    from patentdesk.packages.store import summary

    item: dict[str, Any] = {
        "id": draft.id,
        "created_at": draft.created_at,
        "origin": draft.origin,
        "damaged": False,
        "filed": entry.get("filed"),
    }
    try:
        stat = draft.path.stat()
        manifest, form, signatures = summary(draft.path)
    except (OSError, PatentDeskError):
        item.update(damaged=True, updated_at=None, business_type=None)
    else:
        item.update(
            updated_at=dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC),
            business_type=manifest.get("business_type"),
            title=form.get("title"),
            internal_number=form.get("internal_number"),
            application_number=form.get("application_number")
            or form.get("international_application_number")
            or form.get("patent_number"),
            signatures=signatures,
            size=stat.st_size,
            package_id=manifest.get("package_id"),
        )
    if updated_at is not None and not item["damaged"]:
        item["updated_at"] = updated_at
    return item
