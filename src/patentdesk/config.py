"""Configuration by environment variables with the prefix ``PATENTDESK_``."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Server settings. Nothing here is specific to one machine."""

    model_config = SettingsConfigDict(env_prefix="PATENTDESK_", extra="ignore")

    data: Path = Field(default=Path("var/data"), description="the server's data folder")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data folder"
    )
    blobs: str = Field(
        default="",
        max_length=500,
        description="where documents are stored: empty for the data folder's blobs/, or "
        "s3://BUCKET/PREFIX for S3-compatible object storage shared by every server (with "
        "AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)",
    )
    environment: str = Field(
        default="trial",
        pattern=r"^[a-z][a-z0-9-]{1,31}$",
        description="deployment environment id, e.g. trial or production (seed A5)",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="public base URL (a domain name in production); named in QR payloads",
    )
    sms_gateway: str = Field(default="outbox", description="outbox, or module:Class")
    payment_gateway: str = Field(
        default="",
        max_length=200,
        description="the bank: module:Class, or simulated (trial only, never production); "
        "empty: online payments and deductions are unavailable",
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="failed logins from one address against one account"
    )
    login_failure_window_seconds: int = 900
    login_account_max_failures: int = Field(
        default=50,
        ge=1,
        description="failed logins against one account from all addresses; past it only "
        "addresses that have not failed on the account may try",
    )
    login_source_max_failures: int = Field(
        default=50, ge=1, description="failed logins from one address against all accounts"
    )
    lookup_max_failures: int = Field(
        default=10,
        ge=1,
        description="answers that a phone is registered (registration) or that no person "
        "matches a phone and name (adding people), per address and per user, in the window",
    )
    lookup_window_seconds: int = 3600
    sms_code_ttl_seconds: int = 300
    sms_max_per_phone_per_hour: int = 10
    sms_max_per_source_per_hour: int = Field(
        default=50, ge=1, description="codes one address may ask for (not login codes)"
    )
    sms_max_per_hour: int = Field(
        default=2000, ge=1, description="codes anyone may ask for, all addresses together"
    )
    session_ttl_hours: int = 12
    qr_ttl_seconds: int = 120
    sign_window_max_minutes: int = 24 * 60
    delivery_rule: Literal["statutory", "classic", "electronic"] = Field(
        default="statutory",
        description="how notices count as served: statutory (electronic notices from "
        "2024-01-20 on the day they reach the inbox, paper and earlier ones 15 days after "
        "dispatch); classic or electronic force that rule on electronic notices",
    )
    max_upload_bytes: int = 512 * 1024 * 1024
    upload_quota_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024,
        ge=1,
        description="what one permission domain may hold in unfinished uploads at once",
    )
    secure_cookies: bool = Field(
        default=True,
        description="cookies only over HTTPS, and HSTS; off only for `serve --demo` on "
        "loopback (`make run`) or when set to false explicitly",
    )
    housekeeping_interval_seconds: int = Field(
        default=3600, ge=0, description="how often the server purges expired data; 0: never"
    )
    expired_grace_hours: int = Field(
        default=24, ge=1, description="expired QR/SMS codes are kept this long, then purged"
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="where the audit chain's signed checkpoints go; default: in the data folder",
    )
    upload_ttl_hours: int = Field(
        default=24, ge=1, description="an upload nobody adds to for this long is purged"
    )
    smtp_url: str = Field(
        default="",
        max_length=500,
        description="where alert e-mail goes: smtp://user:pass@host:587?starttls=true, "
        "smtps://user:pass@host:465 or smtp://host:25; empty: e-mail alerts wait in the queue",
    )
    smtp_from: str = Field(
        default="PatentDesk <alerts@patentdesk.invalid>",
        max_length=200,
        description="the From of alert e-mail",
    )
    alerts_interval_seconds: int = Field(
        default=60,
        ge=0,
        description="how often the server sends queued alerts and checks deadlines; 0: never "
        "(then `patentdesk admin alerts send` does it)",
    )
    orphan_blob_grace_hours: int = Field(
        default=72,
        ge=1,
        description="a blob no row refers to (crash leftovers, refused submissions, abandoned "
        "uploads) is removed by housekeeping once it is this old",
    )
    pkcs11_module: str = Field(
        default="",
        description="PKCS#11 library holding the CA and office keys, shared by every server "
        "(e.g. /usr/lib/softhsm/libsofthsm2.so); empty: key files in the data folder",
    )
    pkcs11_token_label: str = Field(
        default="patentdesk", max_length=32, description="the token's label"
    )
    pkcs11_pin: SecretStr | None = Field(
        default=None, description="the token's user PIN (or PATENTDESK_PKCS11_PIN_FILE)"
    )
    pkcs11_pin_file: Path | None = Field(
        default=None, description="a file holding the token's user PIN (first line)"
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="serve's log lines: JSON objects (with the request id) or text"
    )
    metrics_enabled: bool = Field(default=True, description="serve Prometheus metrics at /metrics")
    metrics_allow: str = Field(
        default="127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
        description="networks (comma-separated CIDR) whose scrapers may read /metrics when no "
        "metrics token is set; requests relayed by a proxy are always refused then",
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="when set, /metrics answers only 'Authorization: Bearer <it>'"
    )

    @cached_property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data / 'patentdesk.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data / "blobs"

    @property
    def pki_dir(self) -> Path:
        return self.data / "pki"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
