"""备份与恢复: an operator backs up a running server's data folder and restores it on
another machine; filings, receipts, sessions, keys and the audit chain come back intact.
Hostile or damaged archives are refused before anything is touched."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from patentdesk.backup import BackupInvalid, DataFolderNotEmpty, restore_backup
from tests.conftest import BLOB_KINDS
from tests.support.cli import cli_env, run_cli
from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention, submit


def _admin(settings, *args: str, data: Path | None = None, database_url: str | None = None):
    env = cli_env(
        data=data or settings.data,
        environment=settings.environment,
        **({"database_url": database_url} if database_url else {}),
        **({"blobs": settings.blobs} if settings.blobs else {}),
    )
    return run_cli("admin", *args, "--json", env=env)


def _filing(client, world, tmp_path) -> dict:
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    package = build_invention(tmp_path / "case.zip", title="一种折叠式电动自行车")
    phone.sign(token, package)
    r = submit(client, token, package)
    assert r.status_code == 201, r.text
    return {"token": token, **r.json()}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_restored_server_has_the_filings_receipts_and_keys(client, world, settings, tmp_path):
    filed = _filing(client, world, tmp_path)
    token = filed["token"]
    receipt = client.get(f"/api/v1/receipts/{filed['receipt_id']}?format=pdf", headers=auth(token))
    assert receipt.status_code == 200
    ca = client.get("/api/v1/pki/ca.pem").content

    archive = tmp_path / "backups" / "patentdesk.tar"
    made = _admin(settings, "backup", "--out", str(archive), database_url=settings.sqlalchemy_url)
    assert made.returncode == 0, made.stderr
    assert made.json["database"] == "sqlite" and made.json["files"] > 5
    assert archive.stat().st_mode & 0o077 == 0  # it holds private keys
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    # the database once, through SQLite's backup API; none of the files kept beside it
    assert [n for n in names if ".db" in n] == ["data/patentdesk.db"]

    # Another machine: an empty data folder, the archive, then the server.
    elsewhere = tmp_path / "elsewhere" / "data"
    restored = _admin(settings, "restore", str(archive), data=elsewhere)
    assert restored.returncode == 0, restored.stderr
    assert restored.json["files"] == made.json["files"]

    from patentdesk.app import create_app
    from patentdesk.bootstrap import prepare
    from patentdesk.config import Settings

    settings2 = Settings(data=elsewhere, environment=settings.environment)
    prepare(settings2)
    with TestClient(create_app(settings2)) as restored_client:
        # The same session, case, receipt (byte for byte) and CA: nothing re-issued.
        again = restored_client.get(
            f"/api/v1/receipts/{filed['receipt_id']}?format=pdf", headers=auth(token)
        )
        assert again.status_code == 200 and again.content == receipt.content
        case = restored_client.get(
            f"/api/v1/cases/by-number/{filed['application_number']}", headers=auth(token)
        )
        assert case.status_code == 200, case.text
        assert restored_client.get("/api/v1/pki/ca.pem").content == ca
    verified = _admin(settings, "audit", "verify", data=elsewhere)
    assert verified.returncode == 0 and verified.json["ok"], verified.stdout + verified.stderr


def test_backup_on_postgresql_holds_the_folder_and_says_so(client, world, settings, tmp_path):
    archive = tmp_path / "b.tar"
    made = _admin(settings, "backup", "--out", str(archive), database_url=settings.sqlalchemy_url)
    assert made.returncode == 0, made.stderr
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert "data/pki/ca.key.pem" in names and "data/pki/office.key.pem" in names
    expected = "sqlite" if settings.sqlalchemy_url.startswith("sqlite") else "postgresql"
    assert manifest["database"] == made.json["database"] == expected
    assert ("data/patentdesk.db" in names) == (expected == "sqlite")


def test_restore_refuses_a_non_empty_folder_unless_forced(app, settings, tmp_path):
    archive = tmp_path / "b.tar"
    made = _admin(settings, "backup", "--out", str(archive), database_url=settings.sqlalchemy_url)
    assert made.returncode == 0, made.stderr
    target = tmp_path / "target"
    target.mkdir()
    (target / "notes.txt").write_text("the operator's own file")
    refused = _admin(settings, "restore", str(archive), data=target)
    assert refused.returncode != 0
    assert refused.error["code"] == "DATA_FOLDER_NOT_EMPTY"
    assert (target / "notes.txt").exists() and not (target / "pki").exists()
    forced = _admin(settings, "restore", str(archive), "--force", data=target)
    assert forced.returncode == 0, forced.stderr
    kept = Path(forced.json["previous_data_kept_at"])
    assert (kept / "notes.txt").read_text() == "the operator's own file"
    assert (target / "pki" / "ca.key.pem").exists()


# ---------------------------------------------------------------- damaged and hostile archives


def _archive_of(tmp_path: Path, settings) -> Path:
    from patentdesk.backup import create_backup

    return Path(create_backup(settings, tmp_path / "good.tar")["path"])


def _rewrite(source: Path, out: Path, change) -> Path:
    """Copies the archive member by member, letting ``change`` alter, drop or add members."""
    with tarfile.open(source) as src, tarfile.open(out, "w") as dst:
        members = [(m, src.extractfile(m).read() if m.isfile() else None) for m in src]
        for member, data in change(members):
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return out


def _member(name: str, data: bytes = b"x", kind: bytes = tarfile.REGTYPE) -> tuple:
    info = tarfile.TarInfo(name)
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.type = kind
    if kind == tarfile.SYMTYPE:
        info.linkname = "/etc/passwd"
    return info, data if kind == tarfile.REGTYPE else None


def _tampered(members):
    out = []
    for m, data in members:
        if m.name == "data/pki/ca.cert.pem":
            data = data.replace(b"A", b"B", 1)
        out.append((m, data))
    return out


HOSTILE = {
    "tampered": _tampered,
    "traversal": lambda ms: [*ms, _member("data/../../evil.txt")],
    "absolute": lambda ms: [*ms, _member("/tmp/evil.txt")],
    "symlink": lambda ms: [*ms, _member("data/pki/link", kind=tarfile.SYMTYPE)],
    "unlisted": lambda ms: [*ms, _member("data/extra.txt")],
    "missing": lambda ms: [(m, d) for m, d in ms if m.name != "data/pki/ca.key.pem"],
    "no manifest": lambda ms: [(m, d) for m, d in ms if m.name != "manifest.json"],
    "outside data": lambda ms: [*ms, _member("etc/cron.d/evil")],
}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("how", sorted(HOSTILE))
def test_damaged_or_hostile_archives_are_refused_and_touch_nothing(app, settings, tmp_path, how):
    good = _archive_of(tmp_path, settings)
    bad = _rewrite(good, tmp_path / "bad.tar", HOSTILE[how])
    target = tmp_path / "restore" / "data"
    with pytest.raises(BackupInvalid) as exc:
        restore_backup(bad, target)
    assert exc.value.en.startswith("Invalid backup archive")
    assert not target.exists()
    assert [p.name for p in target.parent.iterdir()] == []  # no half-restored folder left
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_not_an_archive_is_refused(app, settings, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all" * 100)
    with pytest.raises(BackupInvalid):
        restore_backup(junk, tmp_path / "fresh")
    with pytest.raises(BackupInvalid):
        restore_backup(tmp_path / "nowhere.tar", tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()
    inside = _admin(settings, "backup", "--out", str(settings.data / "b.tar"))
    assert inside.returncode != 0 and inside.error["code"] == "VALIDATION_FAILED"
    assert not list(settings.data.glob("*.tar"))
    target = tmp_path / "full"
    target.mkdir()
    (target / "x").write_text("x")
    with pytest.raises(DataFolderNotEmpty):
        restore_backup(_archive_of(tmp_path, settings), target)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_restore_never_reissues_a_number_given_after_the_backup(
    client, world, settings, tmp_path
):
    from patentdesk.packages.numbers import parse_application_number

    for sub in ("a", "b", "c"):
        (tmp_path / sub).mkdir()
    first = _filing(client, world, tmp_path / "a")
    archive = tmp_path / "backups" / "patentdesk.tar"
    made = _admin(settings, "backup", "--out", str(archive), database_url=settings.sqlalchemy_url)
    assert made.returncode == 0, made.stderr
    after = _filing(client, world, tmp_path / "b")  # issued after the backup: on a receipt
    given = parse_application_number(after["application_number"])
    assert given.serial == parse_application_number(first["application_number"]).serial + 1

    elsewhere = tmp_path / "elsewhere" / "data"
    restored = _admin(
        settings, "restore", str(archive), "--number-floor", after["application_number"],
        data=elsewhere,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    series = f"{given.year}-{given.type_digit}"
    assert restored.json["numbers"]["raised"] == [
        {
            "series": series,
            "next_serial_before": given.serial,
            "next_serial": given.serial + 1,
            "source": "operator",
            "above": after["application_number"],
        }
    ]
    # And in words for the operator.
    from patentdesk.app import create_app
    from patentdesk.bootstrap import prepare
    from patentdesk.config import Settings

    settings2 = Settings(data=elsewhere, environment=settings.environment)
    prepare(settings2)
    with TestClient(create_app(settings2)) as restored_client:
        from tests.support.factories import World

        again = _filing(restored_client, World(restored_client, elsewhere), tmp_path / "c")
    assert parse_application_number(again["application_number"]).serial == given.serial + 1
    assert again["application_number"] != after["application_number"]


@pytest.mark.parametrize("blobs_kind", BLOB_KINDS, indirect=True)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_restore_continues_above_the_numbers_the_object_store_shows(
    client, world, settings, tmp_path
):
    """Nobody tells the restore about the number issued after the backup: the object
    store's record of it (written at its submission) lifts the counter, and says so."""
    from patentdesk.packages.numbers import parse_application_number

    for sub in ("a", "b", "c"):
        (tmp_path / sub).mkdir()
    first = _filing(client, world, tmp_path / "a")
    archive = tmp_path / "backups" / "patentdesk.tar"
    made = _admin(settings, "backup", "--out", str(archive), database_url=settings.sqlalchemy_url)
    assert made.returncode == 0, made.stderr
    after = _filing(client, world, tmp_path / "b")
    given = parse_application_number(after["application_number"])
    assert given.serial == parse_application_number(first["application_number"]).serial + 1

    # The same machine's data folder (the embedded object store lives in it) is replaced.
    restored = _admin(settings, "restore", str(archive), "--force")
    assert restored.returncode == 0, restored.stderr
    series = f"{given.year}-{given.type_digit}"
    numbers = restored.json["numbers"]
    assert numbers["raised"] == [
        {
            "series": series,
            "next_serial_before": given.serial,
            "next_serial": given.serial + 1,
            "source": "object_store",
            "above": after["application_number"],
        }
    ]
    assert numbers["object_store"] == {series: after["application_number"]}
    assert numbers["counters"][series] == given.serial + 1
    words = run_cli(
        "admin", "numbers", "floor",
        env=cli_env(data=settings.data, environment=settings.environment, blobs=settings.blobs),
    )  # fmt: skip
    assert words.returncode == 0, words.stderr
    assert after["application_number"] in words.stdout and "object store" in words.stdout

    from patentdesk.app import create_app
    from patentdesk.bootstrap import prepare
    from patentdesk.config import Settings

    settings2 = Settings(data=settings.data, blobs=settings.blobs, environment=settings.environment)
    prepare(settings2)
    with TestClient(create_app(settings2)) as restored_client:
        from tests.support.factories import World

        again = _filing(restored_client, World(restored_client, settings.data), tmp_path / "c")
    assert parse_application_number(again["application_number"]).serial == given.serial + 1
