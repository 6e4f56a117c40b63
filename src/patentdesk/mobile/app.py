"""The mobile app (移动端 App): the phone side of PatentDesk, using only the public HTTP API.

Its state folder (``PATENTDESK_HOME`` of the phone) holds the key store (device key and
signing key, made here, encrypted at rest, never sent anywhere) and ``app.json``: the
server, the user, the app's own session token, the device id and the environment's CA
certificate, against which it checks every QR payload before acting on it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patentdesk.cli.client import Api, ServerError, server_url
from patentdesk.errors import NotAuthenticated, PatentDeskError, ValidationFailed
from patentdesk.mobile.keystore import Keystore
from patentdesk.pki.keys import load_certificate, public_key_pem
from patentdesk.pki.payload import peek_payload, sign_payload, verify_payload

APP_FILE = "app.json"
SHORT_CODE = re.compile(r"^[2-9A-HJ-NP-Z]{10}$")


class PayloadRefused(PatentDeskError):
    code = "QR_PAYLOAD_REFUSED"
    status = 400
    message_zh = "二维码不是本系统服务器签发的，已拒绝：{why}"
    message_en = "This QR code was not issued by our server and is refused: {why}"


class PayloadFromOtherEnvironment(PayloadRefused):
    """A code made by another environment's server, e.g. the public trial (seed A5)."""

    code = "QR_FOREIGN_ENVIRONMENT"
    message_zh = (
        "二维码来自环境 {other}，本 App 注册在环境 {mine}：数据和证书不互通，"
        "请在该环境重新注册并下载新证书"
    )
    message_en = (
        "This QR code comes from environment {other}, but this app is registered in {mine}: "
        "data and certificates do not cross; re-register there and download a new certificate"
    )


class SmsCodeRequired(PatentDeskError):
    """The server sent a code to the phone: run again with it (SPEC §10, exit status 2)."""

    code = "SMS_CODE_REQUIRED"
    status = 401
    message_zh = "验证码已发送至 {phone}：请输入验证码（--sms-code）后重新运行"
    message_en = "A code was sent to {phone}: run again with it (--sms-code)"


class NotBound(PatentDeskError):
    code = "APP_NOT_LOGGED_IN"
    status = 401
    message_zh = "手机 App 尚未登录：请先运行 patentdesk mobile register 或 mobile login"
    message_en = "The app is not logged in: run patentdesk mobile register or mobile login"


@dataclass
class ScanView:
    request: str
    kind: str
    details: dict[str, Any]
    payload: dict[str, Any]


class MobileApp:
    def __init__(self, home: Path, server: str | None = None) -> None:
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.keystore = Keystore(home)
        state = self._load()
        self.server = server_url(server or state.get("server"))
        self.state = state

    # ------------------------------------------------------------ state

    def _path(self) -> Path:
        return self.home / APP_FILE

    def _load(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self._path().read_text("utf-8"))
            return data
        except (OSError, ValueError):
            return {}

    def _save(self) -> None:
        path = self._path()
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.state, fh, ensure_ascii=False, indent=2)
        os.replace(tmp, path)

    def api(self, *, authenticated: bool = True) -> Api:
        token = self.state.get("token") if authenticated else None
        if authenticated and not token:
            raise NotBound()
        return Api(self.server, token=token, use_session=False)

    # ------------------------------------------------------------ account

    def register(
        self,
        *,
        phone: str,
        name: str,
        id_number: str,
        password: str,
        sms_code: str | None = None,
        device_name: str | None = None,
    ) -> dict[str, Any]:
        """自然人注册 from the phone, then binds this phone and gets the signing certificate.

        Without ``sms_code`` the server checks the fields and sends a code to ``phone``
        (:class:`SmsCodeRequired`); with it, the account is made and its app session comes
        back at once (the code proved the phone)."""
        body = {
            "phone": phone,
            "name": name,
            "id_number": id_number,
            "password": password,
            "client_kind": "app",
            "device_name": device_name or "PatentDesk App",
        }
        with self.api(authenticated=False) as api:
            if sms_code is None:
                sent = api.post("/api/v1/identity/register", json=body)
                raise SmsCodeRequired(details={"phone": sent["phone"]}, phone=sent["phone"])
            user = api.post("/api/v1/identity/register", json={**body, "sms_code": sms_code})
        result = self._bind_session(user["session"], phone, device_name)
        return {
            "user_id": user["user_id"],
            "certificate_serial": result["certificate_serial"],
            "device_id": result["device_id"],
        }

    def login(
        self,
        *,
        phone: str,
        password: str,
        device_name: str | None = None,
        sms_code: str | None = None,
    ) -> dict[str, Any]:
        """The app's own password login; binds this phone (new keys when it has none).

        A password alone binds nothing: the first call has a code sent to the account's
        phone (:class:`SmsCodeRequired`), the second brings it."""
        body: dict[str, Any] = {
            "account": phone,
            "password": password,
            "client_kind": "app",
            "device_name": device_name or "PatentDesk App",
        }
        if sms_code is not None:
            body["sms_code"] = sms_code
        with self.api(authenticated=False) as api:
            session = api.post("/api/v1/auth/password-login", json=body)
        if "token" not in session:
            masked = str(session.get("phone") or "")
            raise SmsCodeRequired(details={"phone": masked}, phone=masked)
        return self._bind_session(session, phone, device_name)

    def _bind_session(
        self, session: dict[str, Any], phone: str, device_name: str | None
    ) -> dict[str, Any]:
        previous_user = self.state.get("user_id")
        self.state = {
            "server": self.server,
            "token": session["token"],
            "user_id": session["user_id"],
            "name": session["name"],
            "phone": phone,
            "environment": session["environment"],
        }
        if not self.keystore.exists() or previous_user not in (None, session["user_id"]):
            # Another person on this phone gets keys of their own.
            self.keystore.create_keys(replace=True)
        try:
            bound = self._bind_device(device_name or "PatentDesk App")
        except ServerError as exc:
            if exc.code != "DEVICE_REVOKED":
                raise
            # The phone was reported lost and has been found: its old keys stay dead.
            self.keystore.create_keys(replace=True)
            bound = self._bind_device(device_name or "PatentDesk App")
        self._save()
        return {"user_id": session["user_id"], **bound}

    def _proof(self, kind: str, key: Any) -> str:
        return sign_payload({"t": kind, "uid": self.state["user_id"], "iat": int(time.time())}, key)

    def _bind_device(self, name: str) -> dict[str, Any]:
        ks = self.keystore
        with self.api() as api:
            result = api.post(
                "/api/v1/devices",
                json={
                    "name": name,
                    "device_public_key": public_key_pem(ks.device_public_key()),
                    "signing_public_key": public_key_pem(ks.signing_public_key()),
                    "device_proof": self._proof("device", ks.device_key()),
                    "signing_proof": self._proof("signing", ks.signing_key()),
                },
            )
        ks.save_certificate(result["certificate_pem"])
        self.state["device_id"] = result["device_id"]
        self.state["ca_pem"] = result["ca_pem"]
        self.state["certificate_serial"] = result["certificate_serial"]
        return {
            "device_id": result["device_id"],
            "certificate_serial": result["certificate_serial"],
        }

    def recover_password(
        self, *, phone: str, code: str | None, new_password: str | None
    ) -> dict[str, Any]:
        """找回密码 in the app: without a code, sends one; with a code, resets (A4)."""
        with self.api(authenticated=False) as api:
            if not code:
                api.post("/api/v1/identity/sms-codes", json={"phone": phone, "purpose": "recover"})
                return {"sent": True}
            if not new_password:
                raise ValidationFailed(
                    "请提供新密码", "A new password is needed", details={"field": "new_password"}
                )
            return dict(
                api.post(
                    "/api/v1/identity/password-reset",
                    json={"phone": phone, "code": code, "new_password": new_password},
                )
            )

    def change_password(
        self, *, current_password: str, new_password: str, end_other_sessions: bool = True
    ) -> dict[str, Any]:
        """修改密码 from the app: this phone stays logged in, other logins end by default."""
        with self.api() as api:
            return dict(
                api.post(
                    "/api/v1/me/password",
                    json={
                        "current_password": current_password,
                        "new_password": new_password,
                        "end_other_sessions": end_other_sessions,
                    },
                )
            )

    def certificate(self) -> dict[str, Any]:
        from patentdesk.pki.profiles import describe_certificate
        from patentdesk.timeutil import iso

        cert = self.keystore.certificate()
        if cert is None:
            raise NotBound()
        info = describe_certificate(cert)
        return {
            "certificate_serial": str(info.serial),
            "environment": info.environment,
            "user_id": info.user_id,
            "name": info.name,
            "not_before": iso(info.not_before),
            "not_after": iso(info.not_after),
        }

    def renew_certificate(self) -> dict[str, Any]:
        """A new signing key made on the phone; the old certificate is superseded. The new
        key replaces the old one only once the CA has certified it."""
        from patentdesk.pki.keys import generate_key

        key = generate_key()
        with self.api() as api:
            result = api.post(
                f"/api/v1/me/devices/{self.state['device_id']}/renew",
                json={
                    "signing_public_key": public_key_pem(key.public_key()),
                    "signing_proof": self._proof("signing", key),
                },
            )
        self.keystore.install_signing_key(key, result["certificate_pem"])
        self.state["certificate_serial"] = result["serial"]
        self._save()
        return {"certificate_serial": result["serial"], "not_after": result["not_after"]}

    def devices(self) -> list[dict[str, Any]]:
        """The user's phones (this one marked), e.g. to find the one to report lost."""
        with self.api() as api:
            rows = api.get("/api/v1/me/devices")
        return [
            {**row, "this_phone": row["device_id"] == self.state.get("device_id")} for row in rows
        ]

    def report_lost(self, device_id: str) -> dict[str, Any]:
        with self.api() as api:
            return dict(api.post(f"/api/v1/me/devices/{device_id}/lost"))

    # ------------------------------------------------------------ scanning

    def _office_certificate(self) -> Any:
        from patentdesk.pki.validation import verify_certificate

        ca_pem = self.state.get("ca_pem")
        if not ca_pem:
            raise NotBound()
        with self.api(authenticated=False) as api:
            office = load_certificate(api.get("/api/v1/pki/office.pem"))
        verify_certificate(office, ca_certificate=load_certificate(ca_pem), purposes={"office"})
        return office

    def resolve(self, text: str) -> str:
        """A payload from the raw text, a PNG file of the QR code, or a short text code."""
        text = text.strip()
        path = Path(text)
        if len(text) < 4096 and path.suffix.lower() in (".png", ".jpg", ".jpeg") and path.is_file():
            return read_qr_image(path)
        if SHORT_CODE.fullmatch(text.upper()):
            with self.api() as api:
                return str(api.get(f"/api/v1/qr/code/{text.upper()}")["payload"])
        return text

    def inspect(self, text: str) -> ScanView:
        """Checks that the server signed the payload, for this server and environment, and
        that it has not expired; then asks the server who is asking."""
        payload_text = self.resolve(text)
        try:
            _header, unverified = peek_payload(payload_text)
        except PatentDeskError as exc:
            raise PayloadRefused(why="格式错误 malformed") from exc
        mine = self.state.get("environment")
        other = unverified.get("env")
        if isinstance(other, str) and mine and other != mine:
            # Only to word the refusal: a forged claim gains nothing, the code is refused.
            raise PayloadFromOtherEnvironment(other=other[:32], mine=mine)
        try:
            claims = verify_payload(payload_text, self._office_certificate().public_key())
        except PatentDeskError as exc:
            raise PayloadRefused(why="签名无效 bad signature") from exc
        if str(claims.get("srv", "")).rstrip("/") != self.server.rstrip("/"):
            raise PayloadRefused(why=f"服务器不符 other server {claims.get('srv')}")
        if claims.get("env") != mine:
            raise PayloadRefused(why=f"环境不符 other environment {claims.get('env')}")
        if claims.get("exp", 0) < time.time():
            raise PayloadRefused(why="已过期 expired")
        with self.api() as api:
            details = api.get(f"/api/v1/qr/{claims['id']}")
        return ScanView(str(claims["id"]), str(claims.get("t")), details, claims)

    def decide(self, view: ScanView, approve: bool) -> dict[str, Any]:
        decision = "approve" if approve else "deny"
        approval = sign_payload(
            {"id": view.request, "n": view.payload["n"], "d": decision, "iat": int(time.time())},
            self.keystore.device_key(),
        )
        body: dict[str, Any] = {"approval": approval}
        if view.kind == "sign":
            path = f"/api/v1/signing-requests/{view.request}/decision"
            if approve:
                import base64

                digest = bytes.fromhex(str(view.details["digest"]))
                body["signature"] = base64.b64encode(
                    self.keystore.signer().sign_digest(digest)
                ).decode()
        else:
            path = f"/api/v1/auth/qr/{view.request}/decision"
        with self.api() as api:
            result = api.post(path, json=body)
        return {
            "request": view.request,
            "kind": view.kind,
            "status": result["status"],
            "requester": view.details,
        }

    # ------------------------------------------------------------ no-scan window

    def open_window(self, minutes: int, session_id: str | None = None) -> dict[str, Any]:
        with self.api() as api:
            if session_id is None:
                sessions = api.get("/api/v1/me/sessions")
                candidates = [
                    s
                    for s in sessions
                    if s["client_kind"] in ("desktop", "web") and s.get("has_session_key")
                ]
                if not candidates:
                    raise ValidationFailed("没有已登录的客户端会话", "No logged-in client session")
                session_id = candidates[0]["id"]
            approval = sign_payload(
                {
                    "t": "sign-window",
                    "m": minutes,
                    "s": session_id,
                    "iat": int(time.time()),
                    # The server takes each approval once; two made in one second differ.
                    "n": secrets.token_urlsafe(12),
                },
                self.keystore.device_key(),
            )
            return dict(
                api.post(
                    "/api/v1/sign-windows",
                    json={"minutes": minutes, "approval": approval, "session_id": session_id},
                )
            )

    def close_windows(self) -> dict[str, Any]:
        with self.api() as api:
            return dict(api.post("/api/v1/sign-windows/close"))


def read_qr_image(path: Path) -> str:
    import zxingcpp
    from PIL import Image

    try:
        results = zxingcpp.read_barcodes(Image.open(path))
    except OSError as exc:
        raise ValidationFailed(
            "无法读取图片：{p}", "Cannot read the image: {p}", p=str(path)
        ) from exc
    if not results:
        raise ValidationFailed("图片中没有二维码：{p}", "No QR code in the image: {p}", p=str(path))
    return str(results[0].text)


__all__ = [
    "MobileApp",
    "NotAuthenticated",
    "PayloadFromOtherEnvironment",
    "PayloadRefused",
    "ServerError",
    "SmsCodeRequired",
]
