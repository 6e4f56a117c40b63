"""The environment's certificate authority (one per environment, ECDSA P-256).

The server creates it on first start in ``<data>/pki`` (folder 0700, key 0600) and issues
certificates for public keys generated elsewhere (the phone, a desktop client session,
the office). The CA keeps no database: the caller stores what was issued and revoked and
hands revocations back for the CRL and for verification.

Files in the PKI folder::

    ca.key.pem       CA private key (PKCS#8; encrypted when a passphrase is configured)
    ca.cert.pem      CA certificate (public: served as the trust anchor)
    office.key.pem   office signing key (receipts, notices)
    office.cert.pem  its certificate

With a PKCS#11 token configured (:mod:`patentdesk.pki.token`) the same two keys and
certificates live in the token instead, under the labels ``patentdesk-<env>-ca`` and
``patentdesk-<env>-office``: :class:`KeyStore` is where either kind is read and written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from patentdesk.pki import keyfile
from patentdesk.pki.cms import KeySigner
from patentdesk.pki.errors import (
    CaEnvironmentMismatch,
    CaStorageError,
    CertificateRequestInvalid,
)
from patentdesk.pki.keys import PrivateKey, PublicKey, check_public_key, generate_key, new_serial
from patentdesk.pki.keys import load_public_key as _load_public_key
from patentdesk.pki.profiles import (
    DELEGATION_OID,
    POLICY_OIDS,
    Purpose,
    ca_name,
    encode_delegation,
    environment_of,
    subject_name,
)
from patentdesk.pki.token import Token, TokenPrivateKey, key_label
from patentdesk.timeutil import as_utc, now

#: Certificates start a little in the past so a phone whose clock runs slow can use a
#: certificate the moment it receives it.
CLOCK_SKEW = dt.timedelta(minutes=5)
CA_VALIDITY = dt.timedelta(days=20 * 365)
USER_VALIDITY = dt.timedelta(days=2 * 365)
SERVICE_VALIDITY = dt.timedelta(days=10 * 365)
#: The office certificate is re-issued (same key) when it has less than this left.
SERVICE_RENEW_BEFORE = dt.timedelta(days=90)

ENVIRONMENT_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

CA_KEY_FILE = "ca.key.pem"
CA_CERT_FILE = "ca.cert.pem"
OFFICE_KEY_FILE = "office.key.pem"
OFFICE_CERT_FILE = "office.cert.pem"
LOCK_FILE = ".lock"

PublicKeyInput = PublicKey | bytes | str
KeyName = Literal["ca", "office"]


class KeysAbsent(Exception):
    """The store has no such key and may not make one (a server joining an environment)."""

    def __init__(self, name: KeyName) -> None:
        super().__init__(name)
        self.name = name


class KeyStore(Protocol):
    """Where an environment's CA and office keys and their certificates are kept."""

    kind: str

    def lock(self) -> contextlib.AbstractContextManager[None]: ...

    def load_key(self, name: KeyName) -> PrivateKey | None: ...

    def create_key(self, name: KeyName) -> PrivateKey: ...

    def read_certificate(self, name: KeyName) -> x509.Certificate | None:
        """None when absent; ``ValueError`` when present but unreadable."""

    def write_certificate(self, name: KeyName, cert: x509.Certificate) -> None: ...

    def describe(self, name: KeyName) -> str:
        """How an operator finds the key: a file path or a token label."""


_FILES = {"ca": (CA_KEY_FILE, CA_CERT_FILE), "office": (OFFICE_KEY_FILE, OFFICE_CERT_FILE)}


class FileKeyStore:
    """Key files in the data folder (the embedded default): 0700 folder, 0600 keys."""

    kind = "files"

    def __init__(self, pki_dir: Path, passphrase: bytes | None = None) -> None:
        self.pki_dir = pki_dir
        self.passphrase = passphrase

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        keyfile.ensure_private_dir(self.pki_dir)
        with keyfile.exclusive_lock(self.pki_dir / LOCK_FILE):
            yield

    def load_key(self, name: KeyName) -> PrivateKey | None:
        path = self.pki_dir / _FILES[name][0]
        return _read_key(path, self.passphrase) if path.exists() else None

    def create_key(self, name: KeyName) -> PrivateKey:
        key = generate_key()
        keyfile.ensure_private_dir(self.pki_dir)
        keyfile.write_private_file(
            self.pki_dir / _FILES[name][0], keyfile.private_key_pem(key, self.passphrase)
        )
        (self.pki_dir / _FILES[name][1]).unlink(missing_ok=True)
        return key

    def read_certificate(self, name: KeyName) -> x509.Certificate | None:
        path = self.pki_dir / _FILES[name][1]
        if not path.exists():
            return None
        return x509.load_pem_x509_certificate(path.read_bytes())

    def write_certificate(self, name: KeyName, cert: x509.Certificate) -> None:
        keyfile.write_public_file(
            self.pki_dir / _FILES[name][1], cert.public_bytes(serialization.Encoding.PEM)
        )

    def describe(self, name: KeyName) -> str:
        return str(self.pki_dir / _FILES[name][0])


class TokenKeyStore:
    """The keys in a PKCS#11 token shared by the cluster, labelled by environment."""

    kind = "pkcs11"
    _lock = threading.Lock()

    def __init__(self, token: Token, environment: str) -> None:
        self.token = token
        self.environment = environment

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        # Between servers, bootstrap holds the cluster lock; this orders this process.
        with self._lock:
            yield

    def label(self, name: KeyName) -> str:
        return key_label(self.environment, name)

    def load_key(self, name: KeyName) -> PrivateKey | None:
        return self.token.find_key(self.label(name))

    def create_key(self, name: KeyName) -> PrivateKey:
        return self.token.generate_key(self.label(name))

    def read_certificate(self, name: KeyName) -> x509.Certificate | None:
        return self.token.read_certificate(self.label(name))

    def write_certificate(self, name: KeyName, cert: x509.Certificate) -> None:
        self.token.write_certificate(self.label(name), cert)

    def describe(self, name: KeyName) -> str:
        return f"PKCS#11 token {self.token.label}, label {self.label(name)}"


def _as_store(where: Path | KeyStore, passphrase: bytes | None) -> KeyStore:
    return FileKeyStore(where, passphrase) if isinstance(where, Path) else where


def sign_certificate(builder: x509.CertificateBuilder, key: PrivateKey) -> x509.Certificate:
    """``builder.sign`` for any of our keys, a token's included.

    ``cryptography`` signs only with its own key objects, so for a token key the
    certificate is first built with a throw-away key (same curve, so the same algorithm
    identifiers), and its to-be-signed part then signed by the token and re-assembled.
    """
    if not isinstance(key, TokenPrivateKey):
        return builder.sign(key, hashes.SHA256())
    draft = asn1_x509.Certificate.load(
        builder.sign(generate_key(), hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    )
    tbs = draft["tbs_certificate"]
    signed = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": draft["signature_algorithm"],
            "signature_value": key.sign(tbs.dump(), ec.ECDSA(hashes.SHA256())),
        }
    )
    return x509.load_der_x509_certificate(signed.dump())


def sign_crl(
    builder: x509.CertificateRevocationListBuilder, key: PrivateKey
) -> x509.CertificateRevocationList:
    """As :func:`sign_certificate`, for a CRL."""
    if not isinstance(key, TokenPrivateKey):
        return builder.sign(key, hashes.SHA256())
    draft = asn1_crl.CertificateList.load(
        builder.sign(generate_key(), hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    )
    tbs = draft["tbs_cert_list"]
    signed = asn1_crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": draft["signature_algorithm"],
            "signature": key.sign(tbs.dump(), ec.ECDSA(hashes.SHA256())),
        }
    )
    return x509.load_der_x509_crl(signed.dump())


def _public_key(value: PublicKeyInput) -> PublicKey:
    if isinstance(value, bytes | str):
        return _load_public_key(value)
    return check_public_key(value)


def _text(value: str, field: str, limit: int) -> str:
    cleaned = value.strip() if isinstance(value, str) else ""
    # Limited in UTF-8 bytes as well: that is how the CN's 64 are counted (21 Chinese
    # characters), and a longer value must be this clear error, not a ValueError.
    too_long = len(cleaned) > limit or len(cleaned.encode("utf-8")) > limit
    if not cleaned or too_long or _CONTROL.search(cleaned):
        raise CertificateRequestInvalid(
            reason=f"{field} 须为 1–{limit} 个字符",
            en_reason=f"{field} must be 1-{limit} printable characters",
        )
    return cleaned


def _check_environment(environment: str) -> str:
    if not ENVIRONMENT_PATTERN.match(environment or ""):
        raise CertificateRequestInvalid(
            reason="环境标识须为小写字母开头的 2–32 个字符",
            en_reason="the environment id must be 2-32 lowercase characters",
        )
    return environment


@dataclass(frozen=True)
class CertificateAuthority:
    """An environment's CA: issues certificates and CRLs. Create with :meth:`load_or_create`."""

    environment: str
    certificate: x509.Certificate
    _key: PrivateKey = field(repr=False)

    # --- creation -------------------------------------------------------------------------

    @classmethod
    def create(cls, environment: str, *, key: PrivateKey | None = None) -> CertificateAuthority:
        """A new CA held in memory only (tests, or the first step of load_or_create)."""
        _check_environment(environment)
        key = key or generate_key()
        issued = now()
        name = ca_name(environment)
        public = key.public_key()
        ski = x509.SubjectKeyIdentifier.from_public_key(public)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(new_serial())
            .not_valid_before(issued - CLOCK_SKEW)
            .not_valid_after(issued + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                critical=False,
            )
        )
        cert = sign_certificate(builder, key)
        return cls(environment=environment, certificate=cert, _key=key)

    @classmethod
    def load_or_create(
        cls,
        where: Path | KeyStore,
        environment: str,
        *,
        passphrase: bytes | None = None,
        create: bool = True,
    ) -> CertificateAuthority:
        """Load the CA from its key store (a folder or a token), creating it on first use.

        Refuses (CA_ENVIRONMENT_MISMATCH) a store whose CA belongs to another environment:
        pointing a production server at the trial's data must not quietly mix them (A5).
        With ``create=False`` a missing key raises :class:`KeysAbsent` instead.
        """
        _check_environment(environment)
        store = _as_store(where, passphrase)
        with store.lock():
            key = store.load_key("ca")
            if key is None:
                if not create:
                    raise KeysAbsent("ca")
                ca = cls.create(environment, key=store.create_key("ca"))
                store.write_certificate("ca", ca.certificate)
                return ca
            try:
                cert = store.read_certificate("ca")
            except ValueError as exc:
                raise CaStorageError(reason=f"{CA_CERT_FILE}: {exc}") from exc
            if cert is None:  # a crash between the two writes: finish the job
                ca = cls.create(environment, key=key)
                store.write_certificate("ca", ca.certificate)
                return ca
        found = environment_of(cert.subject)
        if found != environment:
            raise CaEnvironmentMismatch(found=found or "?", expected=environment)
        if cert.public_key() != key.public_key():
            raise CaStorageError(reason=f"{CA_KEY_FILE} does not match {CA_CERT_FILE}")
        return cls(environment=environment, certificate=cert, _key=key)

    # --- what the CA publishes ------------------------------------------------------------

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    # --- issuing --------------------------------------------------------------------------

    def issue_user_certificate(
        self,
        public_key: PublicKeyInput,
        user_id: str,
        name: str,
        purpose: Literal["signing", "device"] = "signing",
        not_after: dt.datetime | None = None,
    ) -> x509.Certificate:
        """A user's certificate for a key generated on the phone (UID = user id, CN = name)."""
        if purpose not in ("signing", "device"):
            raise CertificateRequestInvalid(
                reason=f"用户证书用途不能是 {purpose}", en_reason=f"bad user purpose {purpose}"
            )
        subject = subject_name(
            self.environment, _text(name, "name", 64), _text(user_id, "user_id", 64)
        )
        return self._issue(public_key, subject, purpose, not_after or now() + USER_VALIDITY)

    def issue_delegated_certificate(
        self,
        public_key: PublicKeyInput,
        user_id: str,
        name: str,
        delegated_from_serial: int,
        not_after: dt.datetime,
        *,
        session_id: str | None = None,
    ) -> x509.Certificate:
        """A short-lived certificate for one client session's key: the no-scan window (C6).

        It carries the delegation extension (the approving signing certificate's serial and
        the session id), so verification reports the signature as delegated and refuses it
        once the window ends (``not_after``) or the certificate is revoked (window closed
        early). Revoking ``delegated_from_serial`` (a lost phone) also refuses it.
        """
        if not isinstance(delegated_from_serial, int) or delegated_from_serial <= 0:
            raise CertificateRequestInvalid(
                reason="缺少委托来源证书序列号", en_reason="delegated_from_serial is required"
            )
        if session_id is not None:
            session_id = _text(session_id, "session_id", 128)
        subject = subject_name(
            self.environment, _text(name, "name", 64), _text(user_id, "user_id", 64)
        )
        extension = x509.UnrecognizedExtension(
            DELEGATION_OID, encode_delegation(delegated_from_serial, session_id)
        )
        return self._issue(public_key, subject, "delegated", not_after, extension)

    def issue_service_certificate(
        self,
        public_key: PublicKeyInput,
        name: str,
        purpose: Literal["office"] = "office",
        not_after: dt.datetime | None = None,
    ) -> x509.Certificate:
        """A certificate for a server-held key, e.g. the office key that signs receipts."""
        if purpose != "office":
            raise CertificateRequestInvalid(
                reason=f"服务证书用途不能是 {purpose}", en_reason=f"bad service purpose {purpose}"
            )
        subject = subject_name(self.environment, _text(name, "name", 64))
        return self._issue(public_key, subject, purpose, not_after or now() + SERVICE_VALIDITY)

    def _issue(
        self,
        public_key: PublicKeyInput,
        subject: x509.Name,
        purpose: Purpose,
        not_after: dt.datetime,
        extra: x509.UnrecognizedExtension | None = None,
    ) -> x509.Certificate:
        key = _public_key(public_key)
        issued = now()
        # A leaf never outlives its CA: verification would refuse it anyway.
        end = min(as_utc(not_after), self.certificate.not_valid_after_utc)
        if end <= issued:
            raise CertificateRequestInvalid(
                reason="证书截止时间必须晚于当前时间",
                en_reason="not_after must be in the future",
            )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(key)
            .serial_number(new_serial())
            .not_valid_before(issued - CLOCK_SKEW)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
            .add_extension(self._authority_key_identifier(), critical=False)
            .add_extension(
                x509.CertificatePolicies([x509.PolicyInformation(POLICY_OIDS[purpose], None)]),
                critical=False,
            )
        )
        if extra is not None:
            # Non-critical: a generic verifier (openssl cms -verify) still accepts the
            # signature; PatentDesk's verifier reads it and reports the delegation.
            builder = builder.add_extension(extra, critical=False)
        return sign_certificate(builder, self._key)

    def _authority_key_identifier(self) -> x509.AuthorityKeyIdentifier:
        ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value)

    # --- revocation -----------------------------------------------------------------------

    def crl(
        self,
        revoked: Iterable[tuple[int, dt.datetime]],
        next_update: dt.datetime,
        *,
        this_update: dt.datetime | None = None,
        crl_number: int | None = None,
        encoding: Literal["der", "pem"] = "der",
    ) -> bytes:
        """A CRL listing ``(serial, revoked_at)`` pairs, signed by this CA.

        ``crl_number`` must grow with every CRL (RFC 5280); by default it is the issue time
        in seconds, which grows as long as CRLs are not issued twice in one second.
        """
        issued = as_utc(this_update) if this_update else now()
        number = crl_number if crl_number is not None else int(issued.timestamp())
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(issued)
            .next_update(as_utc(next_update))
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(self._authority_key_identifier(), critical=False)
        )
        for serial, revoked_at in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(as_utc(revoked_at))
                .build()
            )
        crl = sign_crl(builder, self._key)
        if encoding == "pem":
            return crl.public_bytes(serialization.Encoding.PEM)
        return crl.public_bytes(serialization.Encoding.DER)


def _read_key(path: Path, passphrase: bytes | None) -> PrivateKey:
    try:
        return keyfile.read_private_key(path, passphrase)
    except ValueError as exc:
        raise CaStorageError(reason=f"{path.name}: {exc}") from exc


def load_or_create_office_signer(
    where: Path | KeyStore,
    ca: CertificateAuthority,
    *,
    name: str | None = None,
    passphrase: bytes | None = None,
    create: bool = True,
) -> KeySigner:
    """The office signing key (receipts, notices) and a current certificate for it.

    The key is created once (0600 file, or inside the token). Its certificate is re-issued
    for the same key when it is missing, not issued by ``ca``, or close to expiry, so old
    receipts keep verifying against the key users have seen while the certificate stays
    current. With ``create=False`` a missing key raises :class:`KeysAbsent`.
    """
    store = _as_store(where, passphrase)
    label = name or f"PatentDesk {ca.environment} Office"
    with store.lock():
        key = store.load_key("office")
        if key is None:
            if not create:
                raise KeysAbsent("office")
            key = store.create_key("office")
        cert = _current_office_certificate(store, ca, key)
        if cert is None:
            cert = ca.issue_service_certificate(key.public_key(), label)
            store.write_certificate("office", cert)
    return KeySigner(key, cert)


def _current_office_certificate(
    store: KeyStore, ca: CertificateAuthority, key: PrivateKey
) -> x509.Certificate | None:
    try:
        cert = store.read_certificate("office")
        if cert is None:
            return None
        cert.verify_directly_issued_by(ca.certificate)
    except (ValueError, TypeError, InvalidSignature):  # any doubt: re-issue
        return None
    if cert.public_key() != key.public_key():
        return None
    if cert.not_valid_after_utc - now() < SERVICE_RENEW_BEFORE:
        return None
    return cert
