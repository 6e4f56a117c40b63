"""A throwaway PKI with frozen time: two environments' CAs, users, a clock to move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from cryptography import x509

from patentdesk.pki.ca import CertificateAuthority
from patentdesk.pki.keys import PrivateKey, generate_key
from patentdesk.timeutil import now

START = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still at START until a test moves it (``clock.shift(...)``)."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ca(clock: time_machine.Traveller) -> CertificateAuthority:
    return CertificateAuthority.create("production")


@pytest.fixture
def trial_ca(clock: time_machine.Traveller) -> CertificateAuthority:
    """The public trial's CA: another environment (seed A5)."""
    return CertificateAuthority.create("trial")


@dataclass(frozen=True)
class Holder:
    key: PrivateKey
    certificate: x509.Certificate


@pytest.fixture
def alice(ca: CertificateAuthority) -> Holder:
    key = generate_key()
    cert = ca.issue_user_certificate(key.public_key(), "u-alice", "张三")
    return Holder(key, cert)


@pytest.fixture
def window(ca: CertificateAuthority, alice: Holder) -> Holder:
    """A desktop session key certified for a 30-minute no-scan window (C6)."""
    key = generate_key()
    cert = ca.issue_delegated_certificate(
        key.public_key(),
        "u-alice",
        "张三",
        delegated_from_serial=alice.certificate.serial_number,
        not_after=now() + dt.timedelta(minutes=30),
        session_id="sess-1",
    )
    return Holder(key, cert)
