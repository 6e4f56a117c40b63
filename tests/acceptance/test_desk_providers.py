"""My Desk counts what the fees and drafts domains know: payments due and drafts."""

from __future__ import annotations

import uuid

from patentdesk.drafts.store import DraftStore, Owner
from patentdesk.packages.editing import Editor
from tests.support.factories import auth
from tests.support.inproc import ApiPhone, build_invention, office_token, submit


def test_desk_lists_payments_due_and_drafts(client, app, world, settings, tmp_path):
    person = world.person("张三")
    phone = ApiPhone(world, person)
    token = phone.desktop_login()
    desk = client.get("/api/v1/desk", headers=auth(token)).json()
    assert desk["payments_due"] == [] and desk["drafts"] == []
    package = build_invention(tmp_path / "case.zip")
    phone.sign(token, package)
    out = submit(client, token, package).json()
    client.post(
        f"/api/v1/office/submissions/{out['submission_id']}/accept",
        headers=auth(office_token(client, app)),
    )
    me = client.get("/api/v1/me", headers=auth(token)).json()
    store = DraftStore(settings.data / "drafts")
    store.create(
        Owner(uuid.UUID(me["user_id"]), uuid.UUID(me["domain"])),
        "utility",
        Editor(),
    )
    desk = client.get("/api/v1/desk", headers=auth(token)).json()
    due = desk["payments_due"]
    assert [p["application_number"] for p in due] == [out["application_number"]]
    assert float(due[0]["amount"]) > 0 and due[0]["due"]
    assert [d["business_type"] for d in desk["drafts"]] == ["utility"]
    # Another person's desk shows neither.
    other = world.token(world.person("李四"))
    desk = client.get("/api/v1/desk", headers=auth(other)).json()
    assert desk["payments_due"] == [] and desk["drafts"] == []
