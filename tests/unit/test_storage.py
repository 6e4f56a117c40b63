"""Storage faults mapped to the errors users see (issue 15, item 20)."""

from __future__ import annotations

import errno
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from patentdesk import storage


def test_os_errors_map_to_full_read_only_or_failed(tmp_path: Path) -> None:
    inside = str(tmp_path / "blobs" / "x")
    assert storage.from_os_error(OSError(errno.ENOSPC, "full")).status == 507
    assert storage.from_os_error(OSError(errno.EDQUOT, "quota")).code == "STORAGE_FULL"
    assert storage.from_os_error(OSError(errno.EROFS, "ro")).status == 503
    denied = OSError(errno.EACCES, "denied", inside)
    assert storage.from_os_error(denied, tmp_path).code == "STORAGE_READ_ONLY"
    # Denied outside the data folder is not the data folder being read-only.
    assert storage.from_os_error(OSError(errno.EACCES, "denied", "/etc/x"), tmp_path).status == 500


def test_a_read_only_sqlite_database_is_503(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER)")
    engine.dispose()
    ro = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with ro.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    except DBAPIError as exc:
        error = storage.from_database_error(exc)
        assert error is not None and error.code == "STORAGE_READ_ONLY"
    else:
        raise AssertionError("a read-only database accepted a write")
    finally:
        ro.dispose()
    # Other database errors are not storage faults.
    with engine.begin() as conn:
        try:
            conn.exec_driver_sql("SELECT * FROM missing")
        except DBAPIError as exc:
            assert storage.from_database_error(exc) is None
