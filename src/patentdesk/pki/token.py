"""The CA and office keys in a PKCS#11 token that every server of a cluster shares.

With ``PATENTDESK_PKCS11_MODULE`` set, the environment's two server keys (the CA's and the
office's, which signs receipts, notices and QR payloads) are generated *inside* the token
as sensitive, non-extractable P-256 keys and never leave it: servers ask the token to sign.
Their certificates are kept in the token beside them, so a server with an empty data folder
has everything it needs from the token and the database.

:class:`TokenPrivateKey` is a ``cryptography`` private key whose ``sign`` goes to the
token, so JOSE payloads and CMS signatures work unchanged; certificate and CRL builders
(which only sign with their own key types) go through :func:`patentdesk.pki.ca.sign_builder`.

A PKCS#11 user may be logged in once per process, and one session must not run two
operations at once: each process keeps one session per token and signs under a lock.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import TYPE_CHECKING, Any, NoReturn

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from patentdesk.pki.errors import KeyNotExtractable, KeyTokenUnavailable
from patentdesk.pki.keys import CURVE, PublicKey

if TYPE_CHECKING:
    from patentdesk.config import Settings


def unavailable(zh: str, en: str) -> KeyTokenUnavailable:
    return KeyTokenUnavailable(
        KeyTokenUnavailable.message_zh.format(reason=zh),
        KeyTokenUnavailable.message_en.format(reason=en),
    )


def key_label(environment: str, name: str) -> str:
    """The label of an environment's key (and of its certificate) in the token."""
    return f"patentdesk-{environment}-{name}"


class TokenPrivateKey(ec.EllipticCurvePrivateKey):
    """A P-256 private key that stays in the token: it signs, it is never exported."""

    def __init__(self, token: Token, label: str, handle: Any, public: PublicKey) -> None:
        self._token = token
        self.label = label
        self._handle = handle
        self._public = public

    # --- what a private key does ------------------------------------------------------------

    def sign(
        self,
        data: bytes | bytearray | memoryview,
        signature_algorithm: ec.EllipticCurveSignatureAlgorithm,
    ) -> bytes:
        """ECDSA with SHA-256 as a DER ``Ecdsa-Sig-Value``, like ``cryptography``'s keys."""
        algorithm = getattr(signature_algorithm, "algorithm", None)
        if isinstance(algorithm, Prehashed):
            digest = bytes(data)
        elif isinstance(algorithm, hashes.SHA256):
            digest = hashlib.sha256(data).digest()
        else:
            raise ValueError("the token's keys sign ECDSA with SHA-256 only")
        return self._token.sign_digest(self, digest)

    def public_key(self) -> PublicKey:
        return self._public

    @property
    def curve(self) -> ec.EllipticCurve:
        return CURVE()

    @property
    def key_size(self) -> int:
        return 256

    # --- what it refuses --------------------------------------------------------------------

    def exchange(self, algorithm: ec.ECDH, peer_public_key: PublicKey) -> bytes:
        raise ValueError("the token's keys only sign")

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        _refuse_export()

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        _refuse_export()

    def __copy__(self) -> TokenPrivateKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> TokenPrivateKey:
        return self

    def __repr__(self) -> str:
        return f"<TokenPrivateKey {self.label}>"


def _refuse_export() -> NoReturn:
    raise KeyNotExtractable()


class Token:
    """One logged-in session on a PKCS#11 token, opened on first use in each process."""

    def __init__(self, module: str, label: str, pin: str) -> None:
        self.module = module
        self.label = label
        self._pin = pin
        self._lock = threading.RLock()
        self._session: Any = None
        self._pid = 0

    def _open(self) -> Any:
        if self._session is not None and self._pid == os.getpid():
            return self._session
        import pkcs11
        from pkcs11 import exceptions as p11e

        try:
            lib = pkcs11.lib(self.module)
        except Exception as exc:  # the library's loader raises several kinds
            raise unavailable(
                f"无法加载 PKCS#11 模块 {self.module}",
                f"the PKCS#11 module {self.module} cannot be loaded ({exc})",
            ) from exc
        try:
            token = lib.get_token(token_label=self.label)
        except (p11e.NoSuchToken, p11e.MultipleTokensReturned) as exc:
            raise unavailable(
                f"找不到标签为 {self.label} 的令牌", f"no token labelled {self.label}"
            ) from exc
        try:
            session = token.open(rw=True, user_pin=self._pin)
        except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange) as exc:
            raise unavailable("令牌的 PIN 不正确", "the token's PIN is wrong") from exc
        except p11e.PinLocked as exc:
            raise unavailable("令牌的 PIN 已被锁定", "the token's PIN is locked") from exc
        except p11e.PKCS11Error as exc:
            raise unavailable(
                f"无法打开令牌 {self.label}", f"the token {self.label} cannot be opened ({exc!r})"
            ) from exc
        self._session, self._pid = session, os.getpid()
        return session

    def _call(self, work: Any) -> Any:
        from pkcs11 import exceptions as p11e

        with self._lock:
            session = self._open()
            try:
                return work(session)
            except (p11e.SessionClosed, p11e.SessionHandleInvalid, p11e.DeviceRemoved) as exc:
                self._session = None
                raise unavailable("与令牌的会话中断", f"the token session ended ({exc!r})") from exc
            except p11e.PKCS11Error as exc:
                raise unavailable(
                    "令牌拒绝了请求", f"the token refused the request ({exc!r})"
                ) from exc

    # --- keys -----------------------------------------------------------------------------

    def find_key(self, label: str) -> TokenPrivateKey | None:
        from pkcs11 import Attribute, KeyType, ObjectClass
        from pkcs11.util.ec import encode_ec_public_key

        def work(session: Any) -> TokenPrivateKey | None:
            found = list(
                session.get_objects(
                    {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}
                )
            )
            if not found:
                return None
            publics = list(
                session.get_objects(
                    {
                        Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                        Attribute.LABEL: label,
                        Attribute.KEY_TYPE: KeyType.EC,
                    }
                )
            )
            if len(found) != 1 or len(publics) != 1:
                raise unavailable(
                    f"令牌中标签为 {label} 的密钥不唯一", f"the token holds {label} more than once"
                )
            public = serialization.load_der_public_key(encode_ec_public_key(publics[0]))
            if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
                public.curve, CURVE
            ):
                raise unavailable(
                    f"令牌中的 {label} 不是 P-256 密钥", f"{label} in the token is not P-256"
                )
            return TokenPrivateKey(self, label, found[0], public)

        key: TokenPrivateKey | None = self._call(work)
        return key

    def generate_key(self, label: str) -> TokenPrivateKey:
        """A new P-256 key pair made inside the token: sensitive and not extractable."""
        from pkcs11 import Attribute, KeyType
        from pkcs11.util.ec import encode_named_curve_parameters

        def work(session: Any) -> None:
            params = session.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True,
            )
            params.generate_keypair(
                store=True,
                label=label,
                id=label.encode("utf-8"),
                private_template={
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.PRIVATE: True,
                },
            )

        self._call(work)
        key = self.find_key(label)
        assert key is not None
        return key

    def sign_digest(self, key: TokenPrivateKey, digest: bytes) -> bytes:
        from pkcs11 import Mechanism
        from pkcs11.util.ec import encode_ecdsa_signature

        # Raw ECDSA over our own SHA-256: every token has CKM_ECDSA, not all CKM_ECDSA_SHA256.
        raw = self._call(lambda _s: key._handle.sign(digest, mechanism=Mechanism.ECDSA))
        return bytes(encode_ecdsa_signature(raw))

    # --- certificates beside the keys -----------------------------------------------------

    def read_certificate(self, label: str) -> x509.Certificate | None:
        from pkcs11 import Attribute, ObjectClass

        def work(session: Any) -> bytes | None:
            found = list(
                session.get_objects(
                    {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}
                )
            )
            return bytes(found[0][Attribute.VALUE]) if found else None

        der = self._call(work)
        if der is None:
            return None
        try:
            return x509.load_der_x509_certificate(der)
        except ValueError:
            return None

    def write_certificate(self, label: str, cert: x509.Certificate) -> None:
        from pkcs11 import Attribute, CertificateType, ObjectClass

        der = cert.public_bytes(serialization.Encoding.DER)
        subject = cert.subject.public_bytes()

        def work(session: Any) -> None:
            for old in session.get_objects(
                {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}
            ):
                old.destroy()
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: False,
                    Attribute.LABEL: label,
                    Attribute.ID: label.encode("utf-8"),
                    Attribute.SUBJECT: subject,
                    Attribute.VALUE: der,
                }
            )

        self._call(work)

    def ping(self) -> None:
        """Raises KEY_TOKEN_UNAVAILABLE unless the token answers (readiness)."""
        from pkcs11 import Attribute, ObjectClass

        self._call(lambda s: list(s.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))[:1])


_tokens: dict[tuple[str, str, str], Token] = {}
_tokens_lock = threading.Lock()


def configured(settings: Settings) -> bool:
    return bool(settings.pkcs11_module)


def pin_of(settings: Settings) -> str:
    if settings.pkcs11_pin is not None and settings.pkcs11_pin.get_secret_value():
        return settings.pkcs11_pin.get_secret_value()
    if settings.pkcs11_pin_file is not None:
        try:
            lines = settings.pkcs11_pin_file.read_text("utf-8").splitlines()
        except OSError as exc:
            raise unavailable(
                f"无法读取 PIN 文件 {settings.pkcs11_pin_file}",
                f"the PIN file {settings.pkcs11_pin_file} cannot be read ({exc.strerror})",
            ) from exc
        if lines and lines[0].strip():
            return lines[0].strip()
    raise unavailable(
        "未提供令牌的 PIN（PATENTDESK_PKCS11_PIN 或 PATENTDESK_PKCS11_PIN_FILE）",
        "no PIN for the token (PATENTDESK_PKCS11_PIN or PATENTDESK_PKCS11_PIN_FILE)",
    )


def token_for(settings: Settings) -> Token:
    """This process's session on the configured token (one per module and label)."""
    pin = pin_of(settings)
    key = (
        settings.pkcs11_module,
        settings.pkcs11_token_label,
        hashlib.sha256(pin.encode()).hexdigest(),
    )
    with _tokens_lock:
        token = _tokens.get(key)
        if token is None:
            token = _tokens[key] = Token(settings.pkcs11_module, settings.pkcs11_token_label, pin)
    return token
