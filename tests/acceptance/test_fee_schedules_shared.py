"""Operator fee schedules are shared by every server of a cluster (issue 14): one added
with ``patentdesk admin fees add`` on server A is in effect on server B, whose data folder
holds nothing but the environment's key files, even after B has read the schedules."""

from __future__ import annotations

import datetime as dt
import importlib
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from patentdesk.fees.schedules import BUNDLED_DIR
from patentdesk.timeutil import beijing_date
from tests.support.cli import cli_env, run_cli
from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention, submit

BUNDLED = "cnipa-domestic-2019-07-01"


def _second_server(settings, tmp_path: Path):
    from patentdesk import bootstrap
    from patentdesk.app import create_app
    from patentdesk.config import Settings
    from patentdesk.db import Database

    other = Settings(**{**settings.model_dump(), "data": tmp_path / "b-data"})
    other.data.mkdir(parents=True)
    shutil.copytree(settings.data / "pki", other.data / "pki")
    for module_name, func in bootstrap.STEPS:
        getattr(importlib.import_module(module_name), func)(other)
    db = Database(other.sqlalchemy_url)
    return other, db, TestClient(create_app(other, db))


def _schedule_file(tmp_path: Path, schedule_id: str, effective: dt.date) -> Path:
    """The bundled domestic schedule under a new id and date, its invention fee changed."""
    text = (BUNDLED_DIR / f"{BUNDLED}.yaml").read_text(encoding="utf-8")
    text = text.replace(f"id: {BUNDLED}", f"id: {schedule_id}")
    text = text.replace("effective_from: 2019-07-01", f"effective_from: {effective}")
    text = text.replace(
        "amount: 900\n    business: [invention, pct-national]",
        "amount: 1234\n    business: [invention, pct-national]",
    )
    path = tmp_path / f"{schedule_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _file_and_fees(server, phone: ApiPhone, token: str, folder: Path) -> dict:
    folder.mkdir()
    package = build_invention(folder / "case.zip", title="一种折叠式电动自行车")
    phone.sign(token, package)
    r = submit(server, token, package)
    assert r.status_code == 201, r.text
    number = r.json()["application_number"]
    case = server.get(f"/api/v1/cases/by-number/{number}", headers=auth(token))
    assert case.status_code == 200, case.text
    fees = server.get(f"/api/v1/cases/{case.json()['id']}/fees", headers=auth(token))
    assert fees.status_code == 200, fees.text
    return fees.json()


def _application_fee(fees: dict) -> float:
    items = {item["code"]: item for item in fees["sheet"]["items"]}
    return float(items["application_invention"]["amount"])


def test_a_schedule_added_on_one_server_is_in_effect_on_another(client, world, settings, tmp_path):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    other, db, b = _second_server(settings, tmp_path)
    try:
        before = _file_and_fees(b, phone, token, tmp_path / "one")  # B has read the schedules
        assert before["schedule"]["id"] == BUNDLED
        assert _application_fee(before) == 900

        # The operator adds a schedule on A; B's data folder never sees a file.
        new_id = "cnipa-domestic-ops-test"
        source = _schedule_file(tmp_path, new_id, beijing_date() - dt.timedelta(days=1))
        env_a = cli_env(
            data=settings.data,
            database_url=settings.sqlalchemy_url,
            environment=settings.environment,
        )
        added = run_cli("admin", "fees", "add", str(source), "--json", env=env_a)
        assert added.returncode == 0, added.stderr
        assert added.json["id"] == new_id
        assert not (other.data / "fees").exists()

        after = _file_and_fees(b, phone, token, tmp_path / "two")
        assert after["schedule"]["id"] == new_id
        assert _application_fee(after) == 1234
        # The operator sees where it lives, from B's side too.
        env_b = cli_env(
            data=other.data,
            database_url=other.sqlalchemy_url,
            environment=settings.environment,
        )
        listed = run_cli("admin", "fees", "list", "--kind", "domestic", "--json", env=env_b)
        assert listed.returncode == 0, listed.stderr
        origins = {row["id"]: row["origin"] for row in listed.json}
        assert origins == {BUNDLED: "bundled", new_id: "database"}
    finally:
        b.close()
        db.dispose()
