"""Payment gateways (网银, 授权扣款): pluggable; the bank's signed callback is the only truth.

A gateway takes a payment to the bank (``pay_url`` is the page where the payer pays), asks
it to deduct from an authorised account (``deduct``) or to verify such an account
(``authorize_url``), and verifies the bank's confirmation (``verify_callback``): the bank
calls the server back at ``POST /api/v1/payments/callbacks/{gateway}`` with a signed
message; nothing is paid and no account is usable unless the signature verifies.

The gateway is chosen by ``PATENTDESK_PAYMENT_GATEWAY``: ``package.module:Class``
(constructed with the settings), as the SMS gateway is, or ``simulated``. Nothing is chosen
by default: without a gateway, online payments and deductions answer
``PAYMENT_GATEWAY_NOT_CONFIGURED``. The simulated bank is for trial environments and must be
named explicitly; an environment named ``prod``/``production`` (or ``prod-…``) refuses it and
the server does not start (``PAYMENT_SIMULATOR_REFUSED``).

The simulated bank (模拟网银) serves its own pages at ``/sim-bank/pay/{reference}`` (an
order, or a deduction it processes) and ``/sim-bank/authorize/{reference}`` (an account to
verify); when someone confirms there, it signs the callback with HMAC-SHA256 under a key
kept in the data folder (``payments/simulated-bank.key``, created on first use) — the way
real banks sign merchant notifications — and delivers it through the same verification as a
bank on the network.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from patentdesk.config import Settings
from patentdesk.fees.amounts import MAX_FEN
from patentdesk.fees.errors import (
    CallbackInvalid,
    DeductionUnsupported,
    GatewayInvalid,
    GatewayNotConfigured,
    SimulatorRefused,
)
from patentdesk.timeutil import now

SIGNATURE_HEADER = "X-Bank-Signature"
# A callback older (or newer) than this is refused: a captured message cannot be replayed later.
CALLBACK_TOLERANCE_SECONDS = 300


PaymentOutcome = Literal["paid", "failed"]
AccountOutcome = Literal["verified", "rejected"]
# Production environments: the simulator is refused there, whatever the setting says.
PRODUCTION = re.compile(r"^prod(uction)?($|[-_.])")


@dataclass(frozen=True)
class BankConfirmation:
    """What a bank's verified callback says about one order (a payment or a deduction) or,
    with ``kind="authorization"``, about an account to deduct from."""

    reference: str
    status: Literal["paid", "failed", "verified", "rejected"]
    amount_fen: int
    bank_serial: str
    kind: Literal["payment", "authorization"] = "payment"


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

    def authorize_url(self, reference: str, account_number: str) -> str:
        """Where the account holder confirms an authorised-deduction account (授权扣款) with
        the bank; the bank then calls back ``kind="authorization"``."""
        raise DeductionUnsupported()

    def deduct(self, reference: str, account_number: str, amount_fen: int) -> None:
        """Asks the bank to deduct ``amount_fen`` from a verified account; the bank calls
        back with the outcome (the payment stays pending until then)."""
        raise DeductionUnsupported()

    def cancel(self, reference: str) -> None:  # noqa: B027 (optional for a gateway)
        """Withdraws an order the payer cancelled, where the bank allows it. A bank that
        reports it paid anyway is believed (the surplus shows with the refund route)."""


class SimulatedBank(PaymentGateway):
    """模拟网银: for trial environments and tests, when chosen explicitly."""

    name = "simulated"

    @property
    def key_path(self) -> Path:
        return self.settings.data / "payments" / "simulated-bank.key"

    def key(self) -> bytes:
        """The HMAC key, created once (0600) on first use; concurrent workers agree on it.
        With an object store (``PATENTDESK_BLOBS``) it is kept there, so that every server of
        a cluster checks the bank's callbacks with the same key."""
        if self.settings.blobs:
            from patentdesk.blobs import blobs_for

            return blobs_for(self.settings).create_object(
                "payments/simulated-bank.key", secrets.token_bytes(32)
            )
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

    def authorize_url(self, reference: str, account_number: str) -> str:
        return f"{self.settings.base_url.rstrip('/')}/sim-bank/authorize/{reference}"

    def deduct(self, reference: str, account_number: str, amount_fen: int) -> None:
        """The simulated bank deducts when someone confirms on its page for the order."""

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
        return body, self._signed(body)

    def authorization_callback(
        self, reference: str, status: AccountOutcome = "verified"
    ) -> tuple[bytes, dict[str, str]]:
        """The bank's side: the signed message saying whether it verified an account."""
        body = json.dumps(
            {"kind": "authorization", "reference": reference, "status": status},
            separators=(",", ":"),
        ).encode()
        return body, self._signed(body)

    def _signed(self, body: bytes) -> dict[str, str]:
        timestamp = str(int(now().timestamp()))
        return {SIGNATURE_HEADER: f"t={timestamp},v1={self._mac(timestamp, body)}"}

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
        kind = data.get("kind", "payment")
        status = data["status"]
        if kind == "authorization":
            if status not in ("verified", "rejected"):
                raise ValueError(status)
            amount = 0
        else:
            amount = data["amount_fen"]
            if kind != "payment" or status not in ("paid", "failed"):
                raise ValueError(status)
            if not isinstance(amount, int) or not 0 <= amount <= MAX_FEN:
                raise ValueError(amount)
        return BankConfirmation(
            reference=str(data["reference"])[:64],
            status=status,
            amount_fen=amount,
            bank_serial=str(data.get("bank_serial") or "")[:64],
            kind=kind,
        )
    except (ValueError, KeyError, TypeError):
        raise CallbackInvalid(
            reason_zh="消息格式不正确", reason_en="the message is not well formed"
        ) from None


def is_production(environment: str) -> bool:
    return bool(PRODUCTION.match(environment))


def gateway_for(settings: Settings) -> PaymentGateway:
    """``package.module:Class`` or ``simulated`` from ``PATENTDESK_PAYMENT_GATEWAY``.

    Nothing is simulated by default (the simulator confirms whatever its page is told), and
    never in production: there it would let anyone mark fees paid without paying.
    """
    spec = (os.environ.get("PATENTDESK_PAYMENT_GATEWAY") or settings.payment_gateway).strip()
    if not spec:
        raise GatewayNotConfigured()
    if spec == SimulatedBank.name:
        if is_production(settings.environment):
            raise SimulatorRefused(environment=settings.environment)
        return SimulatedBank(settings)
    module_name, _, class_name = spec.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError):
        raise GatewayInvalid(spec=spec) from None
    gateway: PaymentGateway = cls(settings)
    return gateway


def bootstrap(settings: Settings) -> None:
    """Server start: the simulated bank's key exists before the first payment; a production
    environment set to the simulator does not start (:class:`SimulatorRefused`)."""
    try:
        gateway = gateway_for(settings)
    except GatewayNotConfigured:
        return  # no bank: online payments and deductions report it when tried
    if isinstance(gateway, SimulatedBank):
        gateway.key()
