"""The CA and office keys in a PKCS#11 token shared by every server (issue 14), and a
server that joins an existing environment without its keys (it must not make a new CA)."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from patentdesk.bootstrap import prepare
from patentdesk.config import Settings
from patentdesk.errors import PatentDeskError
from patentdesk.pki.payload import verify_payload
from tests.support.cli import cli_env, run_cli
from tests.support.filing import new_invention, sign, submit
from tests.support.hsm import Hsm, new_environment


def _token_settings(hsm: Hsm, db_url: str, data: Path, environment: str) -> Settings:
    return Settings(
        data=data,
        database_url=db_url,
        environment=environment,
        base_url="http://testserver",
        secure_cookies=False,
        payment_gateway="simulated",
        pkcs11_module=hsm.module,
        pkcs11_token_label=hsm.label,
        pkcs11_pin=hsm.pin,  # type: ignore[arg-type]
    )


@pytest.fixture
def settings(db_url: str, tmp_path: Path, hsm: Hsm) -> Settings:
    """Every server fixture of this module (app, live server) keeps its keys in the token."""
    return _token_settings(hsm, db_url, tmp_path / "data", new_environment())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_receipts_and_qr_payloads_are_signed_by_keys_in_the_token(
    phone, desktop, tmp_path, live_server, settings
):
    base = live_server.url
    ca = x509.load_pem_x509_certificate(httpx.get(f"{base}/api/v1/pki/ca.pem").content)
    office = x509.load_pem_x509_certificate(httpx.get(f"{base}/api/v1/pki/office.pem").content)
    office.verify_directly_issued_by(ca)  # the CA in the token issued the office certificate
    # QR payloads: signed by the office key in the token, verified with its certificate.
    r = httpx.post(f"{base}/api/v1/auth/qr", json={"client_kind": "desktop"})
    assert r.status_code == 201, r.text
    assert verify_payload(r.json()["payload"], office)["srv"]
    # A whole filing: the phone's certificate (issued by the token's CA), the receipt
    # (signed by the token's office key), verified offline against the CA certificate.
    phone.register("张三")
    desktop.login_with(phone)
    case = new_invention(desktop, tmp_path / "case.zip")
    sign(desktop, phone, case)
    out = submit(desktop, case)
    assert out.returncode == 0, out.stderr
    bundle = tmp_path / "receipt.zip"
    receipt_id = out.json["receipt_id"]
    d = desktop.run("receipt", "download", receipt_id, "--out", str(bundle), "--json")
    assert d.returncode == 0, d.stderr
    ver = desktop.run("receipt", "verify", str(bundle), "--json")
    assert ver.returncode == 0, ver.stderr
    assert ver.json["valid"] is True
    assert ver.json["application_number"] == out.json["application_number"]
    # The CRL is signed by the token's CA key too.
    crl = x509.load_der_x509_crl(httpx.get(f"{base}/api/v1/pki/crl").content)
    assert crl.is_signature_valid(ca.public_key())
    # And nothing secret was written to the data folder.
    assert not list(settings.data.rglob("*.key.pem"))


def test_a_key_in_the_token_cannot_be_extracted(app, settings, hsm):
    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.exceptions import AttributeSensitive

    from patentdesk.pki.service import ca_for, office_signer
    from patentdesk.pki.token import key_label

    for key in (ca_for(settings)._key, office_signer(settings).private_key):
        with pytest.raises(PatentDeskError) as refused:
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        assert refused.value.code == "KEY_NOT_EXTRACTABLE"
    # Asked directly, the token itself refuses to hand over the key's value.
    token = pkcs11.lib(hsm.module).get_token(token_label=hsm.label)
    with token.open() as session:  # this process is logged in already
        label = key_label(settings.environment, "office")
        (key,) = session.get_objects(
            {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}
        )
        assert key[Attribute.SENSITIVE] is True and key[Attribute.EXTRACTABLE] is False
        with pytest.raises(AttributeSensitive):
            key[Attribute.VALUE]


def test_a_second_server_with_an_empty_data_folder_uses_the_tokens_ca(app, settings, hsm, tmp_path):
    from patentdesk.pki.service import ca_for, office_signer

    second = _token_settings(
        hsm, settings.sqlalchemy_url, tmp_path / "second", settings.environment
    )
    prepare(second)  # what `patentdesk serve` does first: no refusal, no new CA
    assert ca_for(second).certificate == ca_for(settings).certificate
    assert office_signer(second).certificate == office_signer(settings).certificate


@pytest.mark.slow
def test_serve_with_a_wrong_pin_says_so(db_url, tmp_path, hsm):
    pin_file = tmp_path / "pin"
    pin_file.write_text("000000\n")
    env = cli_env(data=tmp_path / "data", database_url=db_url, environment=new_environment())
    env.update(hsm.env())
    del env["PATENTDESK_PKCS11_PIN"]
    env["PATENTDESK_PKCS11_PIN_FILE"] = str(pin_file)
    r = run_cli("serve", "--port", str(_free_port()), env=env, timeout=120)
    assert r.returncode != 0
    assert "KEY_TOKEN_UNAVAILABLE" in r.stderr
    assert "令牌的 PIN 不正确" in r.stderr and "the token's PIN is wrong" in r.stderr


# --------------------------------------------------------------- joining an environment


@pytest.mark.slow
def test_serve_with_an_empty_data_folder_on_an_existing_database_refuses(db_url, tmp_path):
    first = Settings(data=tmp_path / "first", database_url=db_url, environment="test")
    prepare(first)  # the environment's first server made the CA
    env = cli_env(data=tmp_path / "empty", database_url=db_url, environment="test")
    r = run_cli("serve", "--port", str(_free_port()), env=env, timeout=120)
    assert r.returncode != 0
    assert "ENVIRONMENT_KEYS_MISSING" in r.stderr
    # It names the keys it needs, in Chinese and English, and made none of its own.
    assert "ca.key.pem" in r.stderr and "office.key.pem" in r.stderr
    assert "本服务器不会新建证书机构" in r.stderr
    assert "will not create a new certificate authority" in r.stderr
    assert not list((tmp_path / "empty").rglob("*.key.pem"))


def test_a_server_with_other_keys_is_refused(db_url, tmp_path):
    first = Settings(data=tmp_path / "first", database_url=db_url, environment="test")
    prepare(first)
    # Another data folder that made its own CA (e.g. on another database) cannot join.
    stray = Settings(data=tmp_path / "stray", environment="test")
    prepare(stray)
    stray_on_shared = Settings(data=tmp_path / "stray", database_url=db_url, environment="test")
    with pytest.raises(PatentDeskError) as refused:
        prepare(stray_on_shared)
    assert refused.value.code == "ENVIRONMENT_KEYS_MISMATCH"


def test_a_token_without_the_environments_keys_is_refused(db_url, tmp_path, hsm):
    environment = new_environment()
    prepare(Settings(data=tmp_path / "first", database_url=db_url, environment=environment))
    joining = _token_settings(hsm, db_url, tmp_path / "second", environment)
    with pytest.raises(PatentDeskError) as refused:
        prepare(joining)
    assert refused.value.code == "ENVIRONMENT_KEYS_MISSING"
    assert f"patentdesk-{environment}-ca" in refused.value.en
