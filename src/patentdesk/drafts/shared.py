"""Drafts on a cluster: every server sees every draft (``PATENTDESK_BLOBS=s3://…``).

Behind a load balancer each request of one user may reach another server, and a server may
join with an empty data folder, so a draft cannot live on one server's disk. Here:

* the draft's index entry (domain, creator, origin, ``filed``…) is a database row
  (:class:`~patentdesk.drafts.models.SharedDraft`), so listing and access checks are
  queries every server answers alike, and
* its package is a content-addressed blob in the object store: the row names the blob of
  the current version (``package_sha256``), a new version is a new blob, and housekeeping
  removes the blobs of versions no row names any more (after its grace period).

Why not the package itself as a row: packages reach hundreds of megabytes, which the object
store streams and a database row does not. Why not the index as objects: the object store
cannot compare-and-set (``If-Match`` writes are not offered by every S3-compatible store),
the database can (see :func:`drafts_for` for which transaction).

The packages library edits files, so each server keeps a *working copy* of the drafts it
touches (``<data>/drafts-cache/<owner>/<id>.zip`` with ``<id>.json`` recording which
version it is and the file's size and time). A copy is brought up to date under the owner's
lock whenever a draft is opened; when the outermost lock ends, every copy that changed under
it is stored as a new blob and the row moved to it **only if it still names the version the
copy was made from**. Otherwise another server changed the draft meanwhile: the copy goes
back to the latest version and the change is refused with :class:`DraftChanged` (the same
clear conflict a stale form gets), so no edit is ever silently overwritten. The working
copies are a cache: deleting the folder loses nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from patentdesk.blobs import CHUNK, BlobStore
from patentdesk.db import rowcount
from patentdesk.drafts.models import SharedDraft
from patentdesk.drafts.store import (
    DRAFT_ID,
    Draft,
    DraftNotFound,
    DraftStore,
    Owner,
    describe,
)
from patentdesk.timeutil import iso, now

if TYPE_CHECKING:
    from patentdesk.config import Settings
    from patentdesk.db import Database

Transaction = Callable[[], contextlib.AbstractContextManager[Session]]


class SharedDraftStore(DraftStore):
    """Drafts as database rows and object-store blobs, with a working copy per server."""

    def __init__(
        self, cache: Path, blobs: BlobStore, transaction: Transaction, max_upload_bytes: int
    ) -> None:
        super().__init__(cache, max_upload_bytes)
        self.blobs = blobs
        self._transaction = transaction

    # ------------------------------------------------------------------ rows

    def _row(self, s: Session, owner: Owner, draft_id: str) -> SharedDraft:
        if not DRAFT_ID.fullmatch(draft_id or ""):
            raise DraftNotFound()
        row = s.get(SharedDraft, draft_id)
        if row is None or row.folder != owner.folder or row.domain_id != owner.domain:
            raise DraftNotFound()
        return row

    @staticmethod
    def _entry_of(row: SharedDraft) -> dict[str, Any]:
        return {
            **(row.meta or {}),
            "domain_id": row.domain_id,
            "created_at": row.created_at,
            "origin": row.origin,
            "created_by": row.created_by,
        }

    # ------------------------------------------------------------------ working copies

    def _copy(self, owner: Owner, draft_id: str) -> tuple[Path, Path]:
        folder = self._dir(owner)
        return folder / f"{draft_id}.zip", folder / f"{draft_id}.json"

    @staticmethod
    def _base(side: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(side.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def _unchanged(path: Path, base: dict[str, Any]) -> bool:
        try:
            st = path.stat()
        except FileNotFoundError:
            return False
        return st.st_size == base.get("size") and st.st_mtime_ns == base.get("mtime_ns")

    @staticmethod
    def _record(path: Path, side: Path, sha256: str) -> None:
        st = path.stat()
        record = {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        fd, tmp = tempfile.mkstemp(prefix=".side.", dir=side.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh)
        os.replace(tmp, side)

    def _sync(self, owner: Owner, draft_id: str, sha256: str, *, force: bool = False) -> Path:
        """The working copy at version ``sha256`` (the caller holds the lock). A copy
        changed under the lock and not stored yet is left alone: storing it decides."""
        path, side = self._copy(owner, draft_id)
        base = self._base(side)
        if base is not None and not force:
            if not self._unchanged(path, base) and path.is_file():
                return path  # changed here; :meth:`_store_changes` compares and sets
            if base.get("sha256") == sha256:
                return path
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out, self.blobs.open(sha256) as src:
                shutil.copyfileobj(src, out, CHUNK)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._record(path, side, sha256)
        return path

    def _forget_copy(self, owner: Owner, draft_id: str) -> None:
        for path in self._copy(owner, draft_id):
            path.unlink(missing_ok=True)

    def _put(self, path: Path) -> tuple[str, int]:
        with path.open("rb") as fh:
            return self.blobs.put_file(fh)

    def _before_unlock(self, owner: Owner) -> None:
        """Stores what changed under the lock; refuses (and drops) a change made to a
        version that is no longer the draft's."""
        from patentdesk.drafts.service import DraftChanged

        folder = self._dir(owner)
        stale = False
        for side in folder.glob("*.json"):
            draft_id = side.stem
            if not DRAFT_ID.fullmatch(draft_id):
                continue
            path = folder / f"{draft_id}.zip"
            base = self._base(side)
            if base is None or not path.is_file() or self._unchanged(path, base):
                continue
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(CHUNK), b""):
                    digest.update(chunk)
            if digest.hexdigest() == base.get("sha256"):
                self._record(path, side, digest.hexdigest())  # touched, not changed
                continue
            try:
                sha, size = self._put(path)
                moved, current = self._move(draft_id, str(base.get("sha256")), sha, size)
            except BaseException:
                # Not stored (the object store or the database failed): the next request
                # starts again from the draft's stored version.
                self._forget_copy(owner, draft_id)
                raise
            if moved:
                self._record(path, side, sha)
            elif current is None:  # deleted on another server
                self._forget_copy(owner, draft_id)
                stale = True
            else:
                self._sync(owner, draft_id, current, force=True)
                stale = True
        if stale:
            raise DraftChanged()

    def _move(self, draft_id: str, base: str, sha: str, size: int) -> tuple[bool, str | None]:
        """Moves the row from version ``base`` to ``sha``; returns whether it moved and, if
        not, the version the row names now (None: the draft is gone)."""
        with self._transaction() as s:
            moved = rowcount(
                s.execute(
                    update(SharedDraft)
                    .where(SharedDraft.id == draft_id, SharedDraft.package_sha256 == base)
                    .values(package_sha256=sha, size=size, updated_at=now())
                    .execution_options(synchronize_session=False)
                )
            )
            if moved:
                return True, sha
            current = s.get(SharedDraft, draft_id, populate_existing=True)
            return False, None if current is None else current.package_sha256

    # ------------------------------------------------------------------ reading

    def get(self, owner: Owner, draft_id: str) -> Draft:
        with self._transaction() as s:
            row = self._row(s, owner, draft_id)
            sha, entry = row.package_sha256, self._entry_of(row)
        with self.lock(owner):
            path = self._sync(owner, draft_id, sha)
        return Draft(draft_id, path, str(entry["created_at"] or ""), str(entry["origin"] or "new"))

    def entries(self, owner: Owner) -> list[dict[str, Any]]:
        with self._transaction() as s:
            rows = [
                (r.id, r.package_sha256, r.updated_at, self._entry_of(r))
                for r in s.scalars(
                    select(SharedDraft).where(
                        SharedDraft.folder == owner.folder, SharedDraft.domain_id == owner.domain
                    )
                )
            ]
        items = []
        with self.lock(owner):
            # Working copies of drafts deleted (on any server) go when the list is shown.
            known = {r[0] for r in rows}
            for side in self._dir(owner).glob("*.json"):
                if side.stem not in known and DRAFT_ID.fullmatch(side.stem):
                    self._forget_copy(owner, side.stem)
            for draft_id, sha, updated_at, entry in rows:
                try:
                    path = self._sync(owner, draft_id, sha)
                except FileNotFoundError:
                    path = self._copy(owner, draft_id)[0]
                draft = Draft(draft_id, path, str(entry["created_at"]), str(entry["origin"]))
                items.append(describe(draft, entry, updated_at))
        epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(items, key=lambda i: i.get("updated_at") or epoch, reverse=True)

    def meta(self, owner: Owner, draft_id: str) -> dict[str, Any]:
        with self._transaction() as s:
            return self._entry_of(self._row(s, owner, draft_id))

    # ------------------------------------------------------------------ changing

    def _adopt_legacy(self, owner: Owner) -> None:
        return None  # a cluster starts with shared drafts: no per-user folders to adopt

    def _add(self, owner: Owner, draft_id: str, origin: str) -> Draft:
        path, side = self._copy(owner, draft_id)
        try:
            sha, size = self._put(path)
            created_at = str(iso(now().replace(microsecond=0)))
            with self._transaction() as s:
                s.add(
                    SharedDraft(
                        id=draft_id,
                        folder=owner.folder,
                        domain_id=owner.domain,
                        created_by=str(owner.user_id),
                        created_at=created_at,
                        origin=origin,
                        meta={},
                        package_sha256=sha,
                        size=size,
                        updated_at=now(),
                    )
                )
                s.flush()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self._record(path, side, sha)
        return Draft(draft_id, path, created_at, origin)

    def update_meta(self, owner: Owner, draft_id: str, **values: Any) -> None:
        with self._transaction() as s:
            row = s.scalars(
                select(SharedDraft).where(SharedDraft.id == draft_id).with_for_update()
            ).one_or_none()
            if row is None or row.folder != owner.folder:
                raise DraftNotFound()
            meta = dict(row.meta or {})
            for key, value in values.items():
                if value is None:
                    meta.pop(key, None)
                else:
                    meta[key] = value
            row.meta = meta
            s.flush()

    def delete(self, owner: Owner, draft_id: str) -> None:
        with self.lock(owner):
            with self._transaction() as s:
                self._row(s, owner, draft_id)
                s.execute(
                    delete(SharedDraft)
                    .where(SharedDraft.id == draft_id)
                    .execution_options(synchronize_session=False)
                )
            # The package's blob is now named by no row: housekeeping removes it.
            self._forget_copy(owner, draft_id)


def drafts_for(
    settings: Settings, *, session: Session | None = None, database: Database | None = None
) -> DraftStore:
    """The data folder's drafts, or, with an object store, the cluster's.

    On PostgreSQL each change commits in a short transaction of its own when the owner's
    lock ends, as a file written in place would be, so that no row lock outlives the owner's
    lock (two requests would otherwise wait for each other, each holding what the other
    needs). On SQLite a request that writes already holds the database's one write lock:
    its changes go in the request's transaction (``session``)."""
    if not settings.blobs:
        return DraftStore(settings.data / "drafts", settings.max_upload_bytes)
    from patentdesk.blobs import blobs_for

    def transaction() -> contextlib.AbstractContextManager[Session]:
        if database is not None and (session is None or not database.is_sqlite):
            return database.unit_of_work()
        if session is not None:
            return _joined(session)
        raise RuntimeError("a shared draft store needs the request's session or a database")

    return SharedDraftStore(
        settings.data / "drafts-cache",
        blobs_for(settings),
        transaction,
        settings.max_upload_bytes,
    )


@contextlib.contextmanager
def _joined(session: Session) -> Iterator[Session]:
    yield session
    session.flush()
