"""HTTP shapes of the identity API."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from patentdesk import apischema

ClientKind = Literal["web", "desktop", "app", "cli"]


class RegisterIn(BaseModel):
    """Sent twice: without ``sms_code`` the fields are checked and a code goes to the phone
    (202); with it the account is made (201)."""

    phone: str = Field(max_length=32, json_schema_extra=apischema.PHONE)
    name: str = Field(max_length=100, json_schema_extra=apischema.NAME)
    id_number: str = Field(max_length=32, json_schema_extra=apischema.ID_NUMBER)
    password: str = Field(max_length=128, json_schema_extra=apischema.PASSWORD)
    sms_code: str | None = Field(default=None, max_length=12, json_schema_extra=apischema.SMS_CODE)
    # The mobile app registers and binds in one go: the answer carries its app session.
    client_kind: Literal["app"] | None = None
    device_name: str | None = Field(default=None, max_length=200)


class SmsCodeSent(BaseModel):
    sms_code_required: Literal[True] = True
    phone: str
    expires_at: str
    ttl_seconds: int


class PasswordLoginIn(BaseModel):
    account: str = Field(
        max_length=64, description="phone, main-account login name (USCC) or user id"
    )
    password: str = Field(max_length=128)
    client_kind: ClientKind = "web"
    role: str | None = Field(default=None, max_length=80)
    device_name: str | None = Field(default=None, max_length=200)
    # Natural persons' second run: the code the first one sent (no challenge id to keep).
    sms_code: str | None = Field(default=None, max_length=12, json_schema_extra=apischema.SMS_CODE)


class ChallengeVerifyIn(BaseModel):
    challenge_id: uuid.UUID
    code: str = Field(max_length=12, json_schema_extra=apischema.SMS_CODE)
    role: str | None = Field(default=None, max_length=80)


class SmsCodeIn(BaseModel):
    phone: str = Field(max_length=32, json_schema_extra=apischema.PHONE)
    purpose: Literal["recover", "complete"]


class PasswordResetIn(BaseModel):
    phone: str = Field(max_length=32, json_schema_extra=apischema.PHONE)
    code: str = Field(max_length=12, json_schema_extra=apischema.SMS_CODE)
    new_password: str = Field(max_length=128, json_schema_extra=apischema.PASSWORD)


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128, json_schema_extra=apischema.PASSWORD)
    # Every other login of the user ends (the phone's app session too) unless told not to.
    end_other_sessions: bool = True


class CompleteProfileIn(BaseModel):
    account: str = Field(max_length=64)
    password: str = Field(max_length=128)
    name: str | None = Field(default=None, max_length=100, json_schema_extra=apischema.NAME)
    id_number: str | None = Field(
        default=None, max_length=32, json_schema_extra=apischema.ID_NUMBER
    )
    phone: str | None = Field(default=None, max_length=32, json_schema_extra=apischema.PHONE)
    sms_code: str | None = Field(default=None, max_length=12, json_schema_extra=apischema.SMS_CODE)


class RoleIn(BaseModel):
    role: str = Field(max_length=80)


class SessionOut(BaseModel):
    """A login as the client sees it; ``token`` only in the answer that creates it."""

    token: str | None = None
    session_id: uuid.UUID
    user_id: uuid.UUID
    name: str
    role: str
    role_label: str | None = None
    domain: uuid.UUID | None
    domain_name: str | None = None
    org_id: uuid.UUID | None = None
    org_kind: str | None = None
    org_name: str | None = None
    account_id: uuid.UUID | None = None
    environment: str
    expires_at: str | None = None


class RegisterOut(BaseModel):
    user_id: uuid.UUID
    # Only when registering from the app (``client_kind: app``): the session to bind with.
    session: SessionOut | None = None
