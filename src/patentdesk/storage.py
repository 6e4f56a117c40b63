"""Storage faults as errors users can act on.

A full disk or a read-only data folder is the operator's to fix, not a bug: the API answers
the JSON error contract (507 Insufficient Storage when there is no space, 503 Service
Unavailable while the folder is read-only) instead of a plain-text 500, and — because the
error is handled inside the application rather than escaping to the server — the connection
stays open for the client's next request. The same for the database's own storage: SQLite's
"database or disk is full" and "readonly database", PostgreSQL's disk full (SQLSTATE 53100).
"""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from patentdesk.errors import PatentDeskError

log = logging.getLogger(__name__)

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM}


class StorageFull(PatentDeskError):
    code = "STORAGE_FULL"
    status = 507
    message_zh = "服务器存储空间不足，暂时无法保存：请稍后重试或联系系统管理员"
    message_en = (
        "The server has run out of storage space and cannot save this now: try again later "
        "or contact the administrator"
    )


class StorageReadOnly(PatentDeskError):
    code = "STORAGE_READ_ONLY"
    status = 503
    message_zh = "服务器存储暂时只读，无法保存：请稍后重试或联系系统管理员"
    message_en = (
        "The server's storage is read-only for now and cannot save this: try again later or "
        "contact the administrator"
    )


class StorageFailed(PatentDeskError):
    code = "STORAGE_ERROR"
    status = 500
    message_zh = "服务器读写存储出错：请稍后重试或联系系统管理员"
    message_en = "The server failed to read or write its storage: try again later or contact the administrator"


def _under(path: object, folder: Path | None) -> bool:
    if folder is None or not isinstance(path, str | bytes):
        return False
    text = path.decode(errors="replace") if isinstance(path, bytes) else path
    try:
        return Path(text).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def from_os_error(exc: OSError, data_dir: Path | None = None) -> PatentDeskError:
    """The user-facing error for an OS error. A permission error counts as a read-only
    folder only inside the data folder (its mode changed under a running server)."""
    if exc.errno in _FULL:
        return StorageFull()
    if exc.errno == errno.EROFS:
        return StorageReadOnly()
    if exc.errno in _DENIED and (_under(exc.filename, data_dir) or _under(exc.filename2, data_dir)):
        return StorageReadOnly()
    return StorageFailed()


def from_database_error(exc: DBAPIError) -> PatentDeskError | None:
    """The database's storage faults; ``None`` for every other database error."""
    text = str(exc.orig).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate == "53100" or "database or disk is full" in text:
        return StorageFull()
    if "readonly database" in text or "read-only file system" in text:
        return StorageReadOnly()
    return None
