"""The mobile app's own commands: password recovery in the app (A4), certificates."""

from __future__ import annotations

import pytest

from tests.support.factories import PASSWORD, last_sms_code


@pytest.mark.seed("A4")
def test_password_recovery_in_the_app(phone, settings):
    phone.register("张三")
    r = phone.run("recover-password", "--phone", phone.phone)
    assert r.returncode == 0, r.stderr
    assert r.json == {"sent": True}
    code = last_sms_code(settings.data, phone.phone)
    r = phone.run(
        "recover-password",
        "--phone",
        phone.phone,
        "--code",
        code,
        "--password-stdin",
        input="NewSecret2026\n",
    )
    assert r.returncode == 0, r.stderr
    # The old password no longer logs in; the new one does, and re-binds the phone.
    bad = phone.run("login", "--phone", phone.phone, "--password-stdin", input=PASSWORD + "\n")
    assert bad.returncode != 0 and bad.error["code"] == "INVALID_CREDENTIALS"
    good = phone.run("login", "--phone", phone.phone, "--password-stdin", input="NewSecret2026\n")
    assert good.returncode == 0, good.stderr


def test_certificate_show_and_renew(phone, tmp_path):
    reg = phone.register()
    shown = phone.run("certificate")
    assert shown.returncode == 0, shown.stderr
    assert shown.json["certificate_serial"] == reg["certificate_serial"]
    assert shown.json["environment"] == "test"
    renewed = phone.run("certificate", "--renew", "--out", str(tmp_path / "c.pem"))
    assert renewed.returncode == 0, renewed.stderr
    assert renewed.json["certificate_serial"] != reg["certificate_serial"]
    assert (tmp_path / "c.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_duplicate_registration_from_the_app(phone, live_server, tmp_path):
    from tests.support.actors import Phone

    phone.register()
    other = Phone(tmp_path / "phone2", live_server.url)
    r = other.run(
        "register",
        "--phone",
        phone.phone,
        "--name",
        "李四",
        "--id-number",
        "11010519491231002X",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert r.returncode != 0
    assert r.error["code"] == "PHONE_TAKEN" and r.error["message"] == "该手机号已注册"
