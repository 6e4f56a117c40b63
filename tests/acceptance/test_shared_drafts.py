"""Drafts on a cluster: with an object store (``PATENTDESK_BLOBS=s3://…``) a draft made on one
server is read and edited on another that started with an empty data folder, and two servers
editing one draft never lose an edit (the stale one gets the clear conflict error)."""

from __future__ import annotations

import importlib
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from patentdesk.packages.container import read_package
from tests.acceptance.test_drafts_http import CLAIMS, Browser, error_in
from tests.support.factories import Person
from tests.unit.packages.helpers import has_cjk_font

pytestmark = [
    pytest.mark.parametrize("blobs_kind", ["s3"], indirect=True),
    pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed"),
]


def second_server(settings: Any, folder: Path) -> tuple[Any, Any]:
    """Another app on the same database and object store, with its own empty data folder."""
    from fastapi.testclient import TestClient

    from patentdesk import bootstrap
    from patentdesk.app import create_app
    from patentdesk.config import Settings
    from patentdesk.db import Database

    other = Settings(**{**settings.model_dump(), "data": folder})
    other.data.mkdir(parents=True)
    # The environment's keys, as an operator copies them (or shares a PKCS#11 token):
    # nothing else of A's data folder.
    shutil.copytree(settings.data / "pki", other.data / "pki")
    for module_name, func in bootstrap.STEPS:
        getattr(importlib.import_module(module_name), func)(other)
    db = Database(other.sqlalchemy_url)
    return db, TestClient(create_app(other, db))


def title_of(browser: Browser, url: str) -> str:
    html = browser.get(url).text
    start = html.index('name="title"')
    tag = html[html.rfind("<", 0, start) : html.index(">", start)]
    value = tag.split('value="', 1)[1] if 'value="' in tag else '"'
    return value.split('"', 1)[0]


def test_a_draft_made_on_one_server_is_edited_on_another(
    client: Any, world: Any, settings: Any, tmp_path: Path
) -> None:
    person: Person = world.person("张三")
    token = world.token(person)
    a = Browser(client, token, settings.data)
    url = a.create("invention")
    assert a.save(url, {"title": "一种折叠椅"}).status_code == 303

    db_b, client_b = second_server(settings, tmp_path / "empty-data")
    try:
        with client_b:
            b = Browser(client_b, token, tmp_path / "empty-data")
            # B lists and opens A's draft, and edits it.
            assert url.rsplit("/", 1)[-1] in b.get("/drafts").text
            assert title_of(b, url) == "一种折叠椅"
            assert b.save(url, {"title": "一种折叠式座椅"}).status_code == 303
            claims = {"file": ("claims.txt", CLAIMS.encode())}
            r = b.post(f"{url}/attachments", data={"role": "claims"}, files=claims)
            assert r.status_code == 303, r.text
            # A sees B's edits at once.
            assert title_of(a, url) == "一种折叠式座椅"
            r = a.get(f"{url}/download")
            assert r.status_code == 200
            package_file = tmp_path / "downloaded.zip"
            package_file.write_bytes(r.content)
            with read_package(package_file) as package:
                assert package.form["title"] == "一种折叠式座椅"
                assert {f.role for f in package.attachments()} == {"claims"}

            # Two pages opened on the same version, one per server: the second save is
            # refused with the conflict message, and the first one's edit stays.
            rev = a.rev(url)
            assert b.rev(url) == rev
            r = a.post(f"{url}/form", data={"rev": rev, "action": "save", "title": "甲的标题"})
            assert r.status_code == 303
            r = b.post(f"{url}/form", data={"rev": rev, "action": "save", "title": "乙的标题"})
            assert r.status_code == 409
            assert "其他页面" in error_in(r.text, "form-error")
            assert title_of(b, url) == "甲的标题"

            # Deleted on B: gone on A too.
            r = b.post(f"{url}/delete")
            assert r.status_code == 303, r.text
            assert a.get(url).status_code == 404
    finally:
        db_b.dispose()
    # The draft never lived in A's data folder (which a load balancer may never reach again).
    assert not list((settings.data / "drafts").glob("*/*/index.json"))


def test_a_web_login_signs_in_its_window_on_another_server(
    client: Any, world: Any, settings: Any, db: Any, tmp_path: Path
) -> None:
    """The login's no-scan key is made on A and signs on B; it is kept split between the
    object store (encrypted) and the database (the secret that unlocks it)."""
    from patentdesk import housekeeping
    from patentdesk.blobs import blobs_for
    from patentdesk.drafts.models import WebSessionSecret
    from tests.acceptance.test_drafts_http import signed_invention
    from tests.support.apiphone import ApiPhone

    person: Person = world.person("沈八")
    phone = ApiPhone.bind(client, person)
    token = world.token(person)
    a = Browser(client, token, settings.data)
    source = signed_invention(tmp_path)
    r = a.post("/drafts/import", files={"package": ("case.zip", source.read_bytes())})
    assert r.status_code == 303, r.text
    url = str(r.headers["location"]).split("?")[0]
    r = a.post(f"{url}/sign")
    assert r.status_code == 303 and r.headers["location"] == f"{url}/sign", r.text

    sessions = client.get("/api/v1/me/sessions", headers=phone.headers).json()
    [web] = [s for s in sessions if s["client_kind"] == "web" and s.get("has_session_key")]
    session_hex = web["id"].replace("-", "")
    store = blobs_for(settings)
    names = store.list_objects(f"web-sessions/{session_hex}/")
    assert names and not any(n.endswith("wrap.secret") for n in names)
    [key] = [n for n in names if n.endswith(".key.pem")]
    assert b"ENCRYPTED PRIVATE KEY" in (store.get_object(key) or b"")
    with db.unit_of_work() as s:
        assert s.get(WebSessionSecret, uuid.UUID(web["id"])) is not None
    assert not (settings.data / "web-sessions").exists()

    r = phone.open_window(5, web["id"])
    assert r.status_code in (200, 201), r.text
    db_b, client_b = second_server(settings, tmp_path / "empty-data")
    try:
        with client_b:
            b = Browser(client_b, token, tmp_path / "empty-data")
            r = b.post(f"{url}/sign")
            assert r.status_code == 303, r.text
            assert r.headers["location"] == f"{url}/submit?signed=window"
            assert b.post("/logout").status_code == 303
    finally:
        db_b.dispose()
    # The logout removed the key at once; housekeeping removes the secret.
    assert store.list_objects(f"web-sessions/{session_hex}/") == []
    assert housekeeping.purge(db, settings)["web_session_keys"] == 1
    with db.unit_of_work() as s:
        assert s.get(WebSessionSecret, uuid.UUID(web["id"])) is None
