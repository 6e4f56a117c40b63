"""The simulated bank's signed callbacks and the gateway setting."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest

from patentdesk.config import Settings
from patentdesk.fees.errors import (
    CallbackInvalid,
    GatewayInvalid,
    GatewayNotConfigured,
    SimulatorRefused,
)
from patentdesk.fees.gateway import SIGNATURE_HEADER, SimulatedBank, bootstrap, gateway_for


def bank(folder: Path) -> SimulatedBank:
    return SimulatedBank(Settings(data=folder, environment="test", payment_gateway="simulated"))


def test_a_signed_callback_verifies(tmp_path: Path) -> None:
    b = bank(tmp_path)
    body, headers = b.callback("ref-1", 962000)
    confirmation = b.verify_callback(body, headers)
    assert (confirmation.reference, confirmation.status, confirmation.amount_fen) == (
        "ref-1",
        "paid",
        962000,
    )
    assert confirmation.bank_serial.startswith("SIM")
    key = tmp_path / "payments" / "simulated-bank.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert bank(tmp_path).verify_callback(body, headers)  # the same key on the next start


@pytest.mark.parametrize("tamper", ["body", "signature", "no-header", "other-key"])
def test_a_tampered_callback_is_refused(tmp_path: Path, tamper: str) -> None:
    b = bank(tmp_path / "a")
    body, headers = b.callback("ref-1", 100)
    if tamper == "body":
        body = body.replace(b'"amount_fen":100', b'"amount_fen":100000')
    elif tamper == "signature":
        value = headers[SIGNATURE_HEADER]
        # A different last hex digit (replacing it with a fixed one was a no-op 1 time in 16).
        headers = {SIGNATURE_HEADER: value[:-1] + ("1" if value[-1] == "0" else "0")}
    elif tamper == "no-header":
        headers = {}
    else:
        b = bank(tmp_path / "b")
    with pytest.raises(CallbackInvalid) as err:
        b.verify_callback(body, headers)
    assert err.value.status == 400 and "callback" in err.value.en


def test_an_old_or_malformed_callback_is_refused(tmp_path: Path) -> None:
    import time_machine

    b = bank(tmp_path)
    body, headers = b.callback("ref-1", 100)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    with time_machine.travel(later), pytest.raises(CallbackInvalid, match="too old"):
        b.verify_callback(body, headers)
    timestamp = headers[SIGNATURE_HEADER].split(",")[0][2:]
    bad = json.dumps({"reference": "r", "status": "maybe", "amount_fen": 1}).encode()
    signed = {SIGNATURE_HEADER: f"t={timestamp},v1={b._mac(timestamp, bad)}"}
    with pytest.raises(CallbackInvalid, match="well formed"):
        b.verify_callback(bad, signed)


class OtherBank(SimulatedBank):
    name = "other"


def test_the_gateway_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATENTDESK_PAYMENT_GATEWAY", raising=False)
    # Nothing is simulated unless chosen (issue 15 item 2): no bank, no payments.
    with pytest.raises(GatewayNotConfigured):
        gateway_for(Settings(data=tmp_path, environment="trial"))
    settings = Settings(data=tmp_path, environment="test", payment_gateway="simulated")
    assert isinstance(gateway_for(settings), SimulatedBank)
    monkeypatch.setenv("PATENTDESK_PAYMENT_GATEWAY", f"{__name__}:OtherBank")
    assert gateway_for(settings).name == "other"
    monkeypatch.setenv("PATENTDESK_PAYMENT_GATEWAY", "no.such.module:Bank")
    with pytest.raises(GatewayInvalid):
        gateway_for(settings)
    # Production names its bank: the simulated one would confirm payments nobody made.
    monkeypatch.delenv("PATENTDESK_PAYMENT_GATEWAY")
    production = Settings(data=tmp_path, environment="production")
    with pytest.raises(GatewayNotConfigured):
        gateway_for(production)
    bootstrap(production)  # the server still starts
    assert not (tmp_path / "payments").exists()


@pytest.mark.parametrize("environment", ["prod", "production", "prod-eu", "production-2"])
def test_production_never_gets_the_simulated_bank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    """Issue 15 item 2: the simulator would confirm payments and accounts nobody made."""
    monkeypatch.setenv("PATENTDESK_PAYMENT_GATEWAY", "simulated")
    settings = Settings(data=tmp_path, environment=environment)
    with pytest.raises(SimulatorRefused) as err:
        gateway_for(settings)
    assert environment in err.value.zh and "simulated" in err.value.en
    with pytest.raises(SimulatorRefused):
        bootstrap(settings)  # the server refuses to start
    assert not (tmp_path / "payments").exists()


def test_servers_sharing_an_object_store_share_the_bank_key(tmp_path: Path, s3_server) -> None:
    """Two servers with their own (empty) data folders and one object store: a callback the
    bank signed for one verifies on the other, and neither keeps the key on its disk."""
    url = s3_server.url()

    def server(name: str) -> SimulatedBank:
        return SimulatedBank(
            Settings(
                data=tmp_path / name, blobs=url, environment="test", payment_gateway="simulated"
            )
        )

    body, headers = server("a").callback("ref-9", 1000)
    assert server("b").verify_callback(body, headers).reference == "ref-9"
    assert not (tmp_path / "a" / "payments").exists()
    assert not (tmp_path / "b" / "payments").exists()
