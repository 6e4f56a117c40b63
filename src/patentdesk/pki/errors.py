"""The PKI's own error hierarchy: every refusal has a stable code and a zh + en message.

Callers catch :class:`PkiError` (or one of its families) and never see a raw
``cryptography``/``asn1crypto`` exception: the verifier turns every library failure into
one of these. Verification refusals are 422 (the request was understood, the evidence is
not acceptable); local key-store problems are 409/400 since they concern the device.
"""

from __future__ import annotations

from patentdesk.errors import PatentDeskError


class PkiError(PatentDeskError):
    """Base of every certificate, signature and key-store error."""

    code = "PKI_ERROR"
    status = 422
    message_zh = "证书或签名处理失败"
    message_en = "Certificate or signature processing failed"


# --- signatures ---------------------------------------------------------------------------


class SignatureVerificationError(PkiError):
    """A signature (or signed payload) was refused; the family callers usually catch."""

    code = "SIGNATURE_REFUSED"
    message_zh = "签名未通过验证"
    message_en = "The signature was refused"


class MalformedSignature(SignatureVerificationError):
    code = "SIGNATURE_MALFORMED"
    message_zh = "签名数据格式不正确，无法解析"
    message_en = "The signature is not a well-formed detached CMS/PKCS#7 signature"


class SignatureInvalid(SignatureVerificationError):
    code = "SIGNATURE_INVALID"
    message_zh = "签名验证失败：文件内容已被改动或签名不匹配"
    message_en = "The signature does not match: the signed content was altered"


# --- certificates -------------------------------------------------------------------------


class CertificateError(SignatureVerificationError):
    """The signer's certificate is not acceptable (also raised by verify_certificate)."""

    code = "CERTIFICATE_REFUSED"
    message_zh = "证书未通过验证"
    message_en = "The certificate was refused"


class UntrustedCertificate(CertificateError):
    code = "CERTIFICATE_UNTRUSTED"
    message_zh = "证书不是由本系统的证书机构签发的，不被信任"
    message_en = "The certificate was not issued by this system's certificate authority"


class ForeignEnvironment(CertificateError):
    """A certificate of another environment's CA, e.g. from the public trial (seed A5)."""

    code = "CERTIFICATE_FOREIGN_ENVIRONMENT"
    message_zh = "证书不属于本环境，请重新注册并下载新证书"
    message_en = (
        "The certificate belongs to another environment; re-register and download a new certificate"
    )


class CertificateRevoked(CertificateError):
    code = "CERTIFICATE_REVOKED"
    message_zh = "证书已被吊销（例如设备挂失），不能用于签名"
    message_en = "The certificate has been revoked (e.g. the device was reported lost)"


class CertificateExpired(CertificateError):
    code = "CERTIFICATE_EXPIRED"
    message_zh = "证书已过期，请在手机 App 上更新证书"
    message_en = "The certificate has expired; renew it in the mobile app"


class CertificateNotYetValid(CertificateExpired):
    """Outside the validity period on the early side; a CertificateExpired for callers."""

    code = "CERTIFICATE_NOT_YET_VALID"
    message_zh = "证书尚未生效"
    message_en = "The certificate is not valid yet"


class CertificateUsageInvalid(CertificateError):
    """Key usage, basic constraints or profile (purpose) do not allow this use."""

    code = "CERTIFICATE_USAGE_INVALID"
    message_zh = "该证书不能用于此用途"
    message_en = "The certificate may not be used for this purpose"


# --- inputs -------------------------------------------------------------------------------


class InvalidKey(PkiError):
    code = "KEY_INVALID"
    status = 400
    message_zh = "公钥格式不正确（需要 ECDSA P-256 公钥）"
    message_en = "The public key is not valid (an ECDSA P-256 public key is required)"


class InvalidCertificateData(PkiError):
    code = "CERTIFICATE_MALFORMED"
    status = 400
    message_zh = "证书数据格式不正确"
    message_en = "The certificate data is not a valid X.509 certificate"


class CertificateRequestInvalid(PkiError):
    code = "CERTIFICATE_REQUEST_INVALID"
    status = 422
    message_zh = "证书申请信息不正确：{reason}"
    message_en = "The certificate request is not valid: {en_reason}"


# --- signed payloads (QR codes, approvals) ------------------------------------------------


class MalformedPayload(SignatureVerificationError):
    code = "PAYLOAD_MALFORMED"
    message_zh = "二维码或签名数据格式不正确"
    message_en = "The signed payload is malformed"


class PayloadSignatureInvalid(SignatureVerificationError):
    code = "PAYLOAD_SIGNATURE_INVALID"
    message_zh = "数据签名无效，不是由可信方签发的，已拒绝"
    message_en = "The payload was not signed by the expected party and was refused"


# --- CA and key stores --------------------------------------------------------------------


class CaEnvironmentMismatch(PkiError):
    code = "CA_ENVIRONMENT_MISMATCH"
    status = 500
    message_zh = "数据目录中的证书机构属于环境 {found}，与配置的环境 {expected} 不一致"
    message_en = (
        "The certificate authority in the data folder belongs to environment {found}, "
        "not the configured environment {expected}"
    )


class CaStorageError(PkiError):
    code = "CA_STORAGE_ERROR"
    status = 500
    message_zh = "证书机构文件无法读取：{reason}"
    message_en = "The certificate authority files cannot be read: {reason}"


class KeystoreError(PkiError):
    code = "KEYSTORE_ERROR"
    status = 409
    message_zh = "本机密钥库出错"
    message_en = "The local key store failed"


class KeystoreEmpty(KeystoreError):
    code = "KEYSTORE_EMPTY"
    message_zh = "本设备尚未创建密钥，请先注册或登录"
    message_en = "This device has no keys yet; register or log in first"


class KeystoreExists(KeystoreError):
    code = "KEYSTORE_EXISTS"
    message_zh = "本设备已有密钥"
    message_en = "This device already has keys"


class KeystoreLocked(KeystoreError):
    code = "KEYSTORE_LOCKED"
    message_zh = "无法解锁本机密钥（PIN 不正确或密钥保护文件缺失）"
    message_en = "The local keys cannot be unlocked (wrong PIN or missing protection secret)"


class CertificateMissing(KeystoreError):
    code = "CERTIFICATE_MISSING"
    message_zh = "本机还没有证书，请先下载证书"
    message_en = "There is no certificate on this device yet; download it first"


class CertificateKeyMismatch(KeystoreError):
    code = "CERTIFICATE_KEY_MISMATCH"
    message_zh = "证书与本机密钥不匹配"
    message_en = "The certificate does not match the key held on this device"


# --- the environment's keys on a cluster (issue 14) ---------------------------------------


class EnvironmentKeysMissing(PkiError):
    """A server started on a database that already belongs to an environment, without that
    environment's keys: it must not make a CA of its own (the cluster would split in two)."""

    code = "ENVIRONMENT_KEYS_MISSING"
    status = 503
    message_zh = (
        "数据库已属于环境 {environment}，但本服务器没有该环境的密钥：{needed}。"
        "请把这些密钥文件复制到 {where}，或配置共享的 PKCS#11 密钥令牌"
        "（PATENTDESK_PKCS11_MODULE、PATENTDESK_PKCS11_TOKEN_LABEL、PATENTDESK_PKCS11_PIN）。"
        "本服务器不会新建证书机构。"
    )
    message_en = (
        "The database already belongs to environment {environment}, but this server does not "
        "have its keys: {needed}. Copy these key files into {where}, or configure the shared "
        "PKCS#11 key token (PATENTDESK_PKCS11_MODULE, PATENTDESK_PKCS11_TOKEN_LABEL, "
        "PATENTDESK_PKCS11_PIN). This server will not create a new certificate authority."
    )


class EnvironmentKeysMismatch(PkiError):
    code = "ENVIRONMENT_KEYS_MISMATCH"
    status = 503
    message_zh = (
        "本服务器的{which}密钥不属于数据库所记录的环境 {environment}（记录的指纹 {expected}，"
        "本机的指纹 {found}）：请使用该环境的密钥"
    )
    message_en = (
        "This server's {which_en} key does not belong to environment {environment} recorded "
        "in the database (recorded fingerprint {expected}, this server's {found}): use that "
        "environment's keys"
    )


class KeyTokenUnavailable(PkiError):
    code = "KEY_TOKEN_UNAVAILABLE"
    status = 503
    message_zh = "无法使用 PKCS#11 密钥令牌：{reason}"
    message_en = "The PKCS#11 key token cannot be used: {reason}"


class KeyNotExtractable(PkiError):
    code = "KEY_NOT_EXTRACTABLE"
    status = 500
    message_zh = "该私钥保存在密钥令牌中，不能导出"
    message_en = "This private key is held in the key token and cannot be exported"
