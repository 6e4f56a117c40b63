"""Alerts (issue 17): a new notice, a deadline 30/7/1 days ahead and a payment result reach
the people of the domain who asked for them, by e-mail through a real SMTP server (aiosmtpd,
started here on a free port) and by SMS to the outbox; nothing goes twice, nothing is lost
while the SMTP server is down, and nobody outside the domain is told."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from patentdesk.identity.sms import read_outbox
from patentdesk.timeutil import beijing_date
from tests.support.cases import add_case, add_notice, agency_desk
from tests.support.cli import cli_env, run_cli
from tests.support.factories import auth
from tests.support.fees import paid_online
from tests.support.inproc import office_token
from tests.support.smtp import MailServer, body_of


@pytest.fixture
def mail() -> Any:
    server = MailServer().start()
    yield server
    server.stop()


def send(settings: Any, smtp_url: str, *extra: str) -> dict[str, Any]:
    """``patentdesk admin alerts send`` as the operator (or cron) runs it."""
    env = cli_env(
        data=settings.data,
        database_url=settings.sqlalchemy_url,
        environment=settings.environment,
        base_url=settings.base_url,
        smtp_url=smtp_url,
    )
    result = run_cli("admin", "alerts", "send", "--json", *extra, env=env, check=True)
    return dict(result.json)


def save_alerts(client: Any, token: str, **body: Any) -> dict[str, Any]:
    r = client.put("/api/v1/me/alerts", json=body, headers=auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def verify_from_inbox(client: Any, mail: MailServer, address: str) -> None:
    """Opens the link of the newest verification e-mail to ``address``, as its owner would."""
    message = mail.inbox.wait_for(address)[-1]
    link = re.search(r"https?://\S+/account/alerts/verify\?token=\S+", body_of(message))
    assert link, body_of(message)
    parts = urlsplit(link.group(0))
    r = client.get(f"{parts.path}?{parts.query}")
    assert r.status_code == 200, r.text
    assert address in r.text


def opt_in(
    client: Any, settings: Any, mail: MailServer, people: dict[str, tuple[str, dict[str, Any]]]
) -> None:
    """Each token's person sets an address (and options); the verification e-mails go out
    and every link is opened."""
    for token, (address, options) in people.items():
        out = save_alerts(client, token, email=address, **options)
        assert out["email"] == address and out["email_verified"] is False
    send(settings, mail.url)
    for address, _options in people.values():
        verify_from_inbox(client, mail, address)
    mail.inbox.messages.clear()


def issue(client: Any, office: str, number: str, code: str = "210401") -> dict[str, Any]:
    r = client.post(
        "/api/v1/office/notices",
        json={"application_number": number, "code": code, "text": "请答复。"},
        headers=auth(office),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.mark.seed("A6")
@pytest.mark.seed("A9")
def test_new_notice_emails_each_member_who_opted_in_in_their_language(
    client, app, world, settings, mail
):
    desk = agency_desk(world, "提醒")
    opted_out = world.person("不要提醒")
    opted_out_sub = world.sub_account(desk.org, opted_out)
    outsider = world.person("外人")
    outsider_token = world.token(outsider)
    opt_in(
        client,
        settings,
        mail,
        {
            desk.tokens["handler"]: ("handler@agency.example", {"language": "en"}),
            desk.tokens["sub"]: ("sub@agency.example", {"language": "zh"}),
            desk.tokens["branch_sub"]: ("branch@agency.example", {}),
            world.sub_token(opted_out, opted_out_sub["account_id"]): (
                "quiet@agency.example",
                {"on_notices": False},
            ),
            outsider_token: ("outsider@example.com", {}),
        },
    )
    case = add_case(app.state.db, desk.main_domain, desk.handler.user_id, org_id=desk.org["org_id"])
    office = office_token(client, app)
    r = client.post(
        "/api/v1/office/notices",
        json={"application_number": case.application_number, "code": "210401"},
        headers=auth(office),
    )
    assert r.status_code == 201, r.text
    notice = r.json()
    # Nothing was sent while the office's request ran: it is queued for the sweep.
    assert mail.inbox.messages == []

    report = send(settings, mail.url)
    assert report["sent"] == 2, report
    [english] = mail.inbox.to("handler@agency.example")
    assert english["Subject"].startswith("[PatentDesk] New notice")
    assert "First office action" in english["Subject"]
    assert case.application_number in body_of(english)
    assert notice["serial"] in body_of(english)
    assert english["Content-Language"] == "en"
    [chinese] = mail.inbox.to("sub@agency.example")
    assert chinese["Subject"].startswith("【PatentDesk】新通知书：第一次审查意见通知书")
    assert case.application_number in body_of(chinese)
    assert "答复期限" in body_of(chinese)
    assert chinese["Content-Language"] == "zh-CN"
    # The branch cannot see the main institution's notices, the opted-out person asked for
    # none, and the outsider is no member.
    for address in ("branch@agency.example", "quiet@agency.example", "outsider@example.com"):
        assert mail.inbox.to(address) == [], address
    # A second sweep (or a second server) sends nothing again.
    assert send(settings, mail.url)["sent"] == 0
    assert len(mail.inbox.messages) == 2


def test_deadline_alerts_30_7_1_days_ahead_go_once(client, app, world, settings, mail):
    person = world.person("期限")
    token = world.token(person)
    opt_in(client, settings, mail, {token: ("deadlines@example.com", {"by_sms": True})})
    domain = client.get("/api/v1/me", headers=auth(token)).json()["domain"]
    case = add_case(app.state.db, domain, person.user_id)
    today = beijing_date()
    notices = {
        days: add_notice(app.state.db, case, deadline=today + dt.timedelta(days=days))
        for days in (45, 30, 20, 7, 1, 0)
    }
    add_notice(app.state.db, case, deadline=today - dt.timedelta(days=1))  # already passed

    first = send(settings, mail.url)
    second = send(settings, mail.url)
    assert second["queued_deadline_alerts"] >= 0 and second["sent"] == 0
    received = mail.inbox.to("deadlines@example.com")
    assert first["sent"] == len(received) + 5  # and one SMS each
    subjects = sorted(m["Subject"] for m in received)
    assert len(subjects) == 5, subjects  # 30, 20 (30-day mark), 7, 1, 0 — not 45, not past
    joined = "\n".join(subjects)
    for days in (30, 20, 7, 1):
        assert f"还有 {days} 天到期" in joined
    assert "今天到期" in joined
    assert "45 天" not in joined
    serials = {notices[d].serial for d in (30, 20, 7, 1, 0)}
    assert {s for m in received for s in serials if s in body_of(m)} == serials
    sms = [m for m in read_outbox(settings.data, person.phone) if "期限" in m["text"]]
    assert len(sms) == 5


def test_payment_results_are_emailed(client, app, world, settings, mail):
    person = world.person("缴费")
    token = world.token(person)
    opt_in(client, settings, mail, {token: ("payer@example.com", {"language": "en"})})
    domain = client.get("/api/v1/me", headers=auth(token)).json()["domain"]
    case = add_case(
        app.state.db,
        domain,
        person.user_id,
        fee_sheet={
            "total": "950",
            "items": [
                {"code": "100001", "name": "申请费", "amount": "900"},
                {"code": "100002", "name": "印刷费", "amount": "50"},
            ],
        },
    )
    paid_online(client, token, str(case.id), "100", decision="fail")
    paid_online(client, token, str(case.id), "100")
    send(settings, mail.url)
    messages = mail.inbox.to("payer@example.com")
    subjects = sorted(m["Subject"] for m in messages)
    assert len(subjects) == 2, subjects
    assert subjects[0].startswith("[PatentDesk] Payment failed")
    assert subjects[1].startswith("[PatentDesk] Payment succeeded")
    assert all(case.application_number in s and "100 yuan" in s for s in subjects)


def test_smtp_down_then_up_delivers_once(client, app, world, settings):
    mail = MailServer()  # its port is known, nothing listens yet
    person = world.person("重试")
    token = world.token(person)
    save_alerts(client, token, email="retry@example.com")
    down = send(settings, mail.url)
    assert down["sent"] == 0 and down["retry_later"] == 1 and down["errors"], down
    r = client.get("/api/v1/me/alerts", headers=auth(token))
    assert r.json()["email_verified"] is False
    mail.start()
    try:
        # The server was unreachable: the whole batch waited, untried, for the next sweep.
        up = send(settings, mail.url)
        assert up["sent"] == 1, up
        assert send(settings, mail.url)["sent"] == 0
        assert send(settings, mail.url, "--now")["sent"] == 0
        assert len(mail.inbox.to("retry@example.com")) == 1
        verify_from_inbox(client, mail, "retry@example.com")
    finally:
        mail.stop()
    listed = run_cli(
        "admin",
        "alerts",
        "list",
        "--json",
        env=cli_env(data=settings.data, database_url=settings.sqlalchemy_url),
        check=True,
    ).json
    [verification] = [a for a in listed if a["recipient"] == "retry@example.com"]
    assert verification["status"] == "sent" and verification["attempts"] == 1


def test_bad_settings_are_refused_with_a_clear_error(client, world):
    person = world.person("校验")
    token = world.token(person)
    r = client.put("/api/v1/me/alerts", json={"email": "not-an-address"}, headers=auth(token))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "ALERT_EMAIL_INVALID"
    assert "not-an-address" in error["message"] and "not-an-address" in error["message_en"]
    r = client.get("/account/alerts/verify?token=" + "x" * 43)
    assert r.status_code == 404


def test_two_sweeps_at_once_send_each_deadline_alert_once(client, app, world, settings, mail):
    """Two servers (here two operator runs) sweeping at the same moment: one e-mail each."""
    import subprocess
    import sys

    person = world.person("并发")
    token = world.token(person)
    opt_in(client, settings, mail, {token: ("race@example.com", {})})
    domain = client.get("/api/v1/me", headers=auth(token)).json()["domain"]
    case = add_case(app.state.db, domain, person.user_id)
    today = beijing_date()
    for days in (1, 3, 7, 12, 30):
        add_notice(app.state.db, case, deadline=today + dt.timedelta(days=days))
    env = cli_env(
        data=settings.data,
        database_url=settings.sqlalchemy_url,
        environment=settings.environment,
        base_url=settings.base_url,
        smtp_url=mail.url,
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "patentdesk", "admin", "alerts", "send", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert len(mail.inbox.to("race@example.com")) == 5
    assert send(settings, mail.url)["sent"] == 0


def test_the_server_sends_alerts_on_its_own(settings, mail, request):
    """No operator: the server's alerts loop sends what a request queued."""
    settings.smtp_url = mail.url
    settings.alerts_interval_seconds = 1
    client = request.getfixturevalue("client")
    world = request.getfixturevalue("world")
    person = world.person("自动")
    token = world.token(person)
    save_alerts(client, token, email="auto@example.com", language="en")
    verify_from_inbox(client, mail, "auto@example.com")
    app = request.getfixturevalue("app")
    domain = client.get("/api/v1/me", headers=auth(token)).json()["domain"]
    case = add_case(app.state.db, domain, person.user_id)
    issue(client, office_token(client, app), case.application_number, "200101")
    [_verify, notice] = mail.inbox.wait_for("auto@example.com", 2)
    assert notice["Subject"].startswith("[PatentDesk] New notice")
    assert case.application_number in notice["Subject"]


def test_settings_are_each_persons_own(client, world, settings, mail):
    """Anonymous callers get 401; a person sees and changes only their own settings; the
    verification link is sent again only to an address that is set."""
    assert client.get("/api/v1/me/alerts").status_code == 401
    assert client.put("/api/v1/me/alerts", json={}).status_code == 401
    assert client.post("/api/v1/me/alerts/verification").status_code == 401
    first, second = world.person("甲"), world.person("乙")
    first_token, second_token = world.token(first), world.token(second)
    r = client.post("/api/v1/me/alerts/verification", headers=auth(first_token))
    assert r.status_code == 422 and r.json()["error"]["code"] == "ALERT_EMAIL_NOT_SET"
    save_alerts(client, first_token, email="first@example.com", by_sms=True)
    other = client.get("/api/v1/me/alerts", headers=auth(second_token)).json()
    assert other["email"] is None and other["by_sms"] is False
    assert other["sms_phone"] == second.phone
    r = client.post("/api/v1/me/alerts/verification", headers=auth(first_token))
    assert r.status_code == 202, r.text
    send(settings, mail.url)
    # Two links went out; only the newest works.
    old, _new = mail.inbox.wait_for("first@example.com", 2)
    old_link = re.search(r"/account/alerts/verify\?token=\S+", body_of(old))
    assert old_link
    assert client.get(old_link.group(0)).status_code == 404
    verify_from_inbox(client, mail, "first@example.com")
    assert client.get("/api/v1/me/alerts", headers=auth(first_token)).json()["email_verified"]


def test_a_refused_message_is_retried_or_given_up_with_the_reason(client, world, settings, mail):
    """A mailbox that is busy (451) gets the message on a later try; one that does not exist
    (550) is marked failed with the server's answer, for the operator to see."""
    busy, gone = world.person("忙"), world.person("无")
    mail.inbox.refuse = {
        "busy@example.com": "451 4.2.1 Mailbox busy, try later",
        "gone@example.com": "550 5.1.1 No such mailbox",
    }
    save_alerts(client, world.token(busy), email="busy@example.com")
    save_alerts(client, world.token(gone), email="gone@example.com")
    first = send(settings, mail.url)
    assert (first["sent"], first["retry_later"], first["failed"]) == (0, 1, 1), str(first)
    mail.inbox.refuse = {}
    assert send(settings, mail.url)["sent"] == 0  # its next try is a minute away
    assert send(settings, mail.url, "--now")["sent"] == 1
    assert len(mail.inbox.to("busy@example.com")) == 1
    assert mail.inbox.to("gone@example.com") == []
    failed = run_cli(
        "admin",
        "alerts",
        "list",
        "--status",
        "failed",
        "--json",
        env=cli_env(data=settings.data, database_url=settings.sqlalchemy_url),
        check=True,
    ).json
    assert [a["recipient"] for a in failed] == ["gone@example.com"]
    assert "No such mailbox" in failed[0]["last_error"]


def test_a_wrong_smtp_url_is_named_and_nothing_is_lost(client, world, settings):
    person = world.person("配置")
    save_alerts(client, world.token(person), email="config@example.com")
    env = cli_env(
        data=settings.data,
        database_url=settings.sqlalchemy_url,
        environment=settings.environment,
        smtp_url="smtp://mail.example.com:587?starttls=maybe",
    )
    result = run_cli("admin", "alerts", "send", "--json", env=env)
    assert result.returncode != 0
    assert result.error["code"] == "SMTP_URL_INVALID"
    assert (
        "starttls" in result.error["message_en"]
        and "PATENTDESK_SMTP_URL" in result.error["message"]
    )
    pending = run_cli(
        "admin", "alerts", "list", "--status", "pending", "--json", env=env, check=True
    ).json
    assert [a["recipient"] for a in pending] == ["config@example.com"]
