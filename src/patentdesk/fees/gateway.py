"""Payment gateways for online banking (网银): pluggable, with a simulated bank by default.

A gateway takes a payment to the bank (``start`` gives the page where the payer pays) and
verifies the bank's confirmation (``verify_callback``): the bank calls the server back at
``POST /api/v1/payments/callbacks/{gateway}`` with a signed message; nothing changes unless
the signature verifies.

The gateway is chosen by ``PATENTDESK_PAYMENT_GATEWAY``: ``simulated`` (default) or
``package.module:Class`` (constructed with the settings), as the SMS gateway is.

The simulated bank (模拟网银) serves its own page at ``/sim-bank/pay/{reference}``; when the
payer confirms, it signs the callback with HMAC-SHA256 under a key kept in the data folder
(``payments/simulated-bank.key``, created on first use) — the way real banks sign merchant
notifications — and delivers it through the same verification as a bank on the network.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import secrets
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from patentdesk.config import Settings
from patentdesk.fees.errors import CallbackInvalid, GatewayInvalid, GatewayNotConfigured
from patentdesk.timeutil import now

SIGNATURE_HEADER = "X-Bank-Signature"
# A callback older (or newer) than this is refused: a captured message cannot be replayed later.
CALLBACK_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class BankConfirmation:
    """What a bank's verified callback says about one payment."""

    reference: str
    status: Literal["paid", "failed"]
    amount_fen: int
    bank_serial: str


class PaymentGateway(ABC):
    """A bank connection. Implementations keep their own keys; they never see a user."""

    name: ClassVar[str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def new_reference(self) -> str:
        """The order reference the bank knows the payment by (unguessable: it opens a page)."""
        return secrets.token_urlsafe(24)

    @abstractmethod
    def pay_url(self, reference: str) -> str:
        """Where the payer goes to pay this order."""

    @abstractmethod
    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> BankConfirmation:
        """The confirmation in a bank callback; raises :class:`CallbackInvalid` when the
        signature or the message is not right."""


class SimulatedBank(PaymentGateway):
    """模拟网银: the default gateway, for trial environments and tests."""

    name = "simulated"

    @property
    def key_path(self) -> Path:
        return self.settings.data / "payments" / "simulated-bank.key"

    def key(self) -> bytes:
        """The HMAC key, created once (0600) on first use; concurrent workers agree on it."""
        path = self.key_path
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # fails if another worker won the race: use theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return path.read_bytes()

    def pay_url(self, reference: str) -> str:
        return f"{self.settings.base_url.rstrip('/')}/sim-bank/pay/{reference}"

    def _mac(self, timestamp: str, body: bytes) -> str:
        return hmac.new(self.key(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()

    def callback(
        self, reference: str, amount_fen: int, status: Literal["paid", "failed"] = "paid"
    ) -> tuple[bytes, dict[str, str]]:
        """The bank's side: the signed message it sends when the payer has paid."""
        body = json.dumps(
            {
                "reference": reference,
                "status": status,
                "amount_fen": amount_fen,
                "bank_serial": f"SIM{now():%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}",
            },
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(now().timestamp()))
        return body, {SIGNATURE_HEADER: f"t={timestamp},v1={self._mac(timestamp, body)}"}

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> BankConfirmation:
        header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        timestamp, mac = parts.get("t", ""), parts.get("v1", "")
        if not timestamp.isdigit() or not mac:
            raise CallbackInvalid(reason_zh="缺少签名", reason_en="no signature")
        if not hmac.compare_digest(self._mac(timestamp, body), mac):
            raise CallbackInvalid(reason_zh="签名不正确", reason_en="the signature does not verify")
        if abs(now().timestamp() - int(timestamp)) > CALLBACK_TOLERANCE_SECONDS:
            raise CallbackInvalid(reason_zh="签名已过期", reason_en="the signature is too old")
        return _confirmation(body)


def _confirmation(body: bytes) -> BankConfirmation:
    try:
        data: Any = json.loads(body)
        status = data["status"]
        amount = data["amount_fen"]
        if status not in ("paid", "failed") or not isinstance(amount, int) or amount < 0:
            raise ValueError(status)
        return BankConfirmation(
            reference=str(data["reference"]),
            status=status,
            amount_fen=amount,
            bank_serial=str(data.get("bank_serial") or "")[:64],
        )
    except (ValueError, KeyError, TypeError):
        raise CallbackInvalid(
            reason_zh="消息格式不正确", reason_en="the message is not well formed"
        ) from None


def gateway_for(settings: Settings) -> PaymentGateway:
    """``simulated`` or ``package.module:Class`` from ``PATENTDESK_PAYMENT_GATEWAY``.

    The simulated bank is the default everywhere but in the ``production`` environment,
    where it would let anyone confirm a payment without paying: there a bank must be named.
    """
    spec = os.environ.get("PATENTDESK_PAYMENT_GATEWAY") or getattr(
        settings, "payment_gateway", None
    )
    if not spec and settings.environment == "production":
        raise GatewayNotConfigured()
    if not spec or spec == SimulatedBank.name:
        return SimulatedBank(settings)
    module_name, _, class_name = spec.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError):
        raise GatewayInvalid(spec=spec) from None
    gateway: PaymentGateway = cls(settings)
    return gateway


def bootstrap(settings: Settings) -> None:
    """Server start: the simulated bank's key exists before the first payment."""
    try:
        gateway = gateway_for(settings)
    except GatewayNotConfigured:
        return  # production without a bank: online payments report it when tried
    if isinstance(gateway, SimulatedBank):
        gateway.key()
