"""HTTP shapes of the organisations API."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from patentdesk import apischema


class OrgRegisterIn(BaseModel):
    kind: Literal["legal", "agency"]
    name: str = Field(max_length=200)
    uscc: str = Field(max_length=32)
    agency_code: str | None = Field(default=None, max_length=16)
    main_password: str | None = Field(default=None, max_length=128)


class BranchIn(BaseModel):
    name: str = Field(max_length=100, json_schema_extra=apischema.text(50))


class BranchPatch(BaseModel):
    name: str | None = Field(default=None, max_length=100, json_schema_extra=apischema.text(50))
    disabled: bool | None = None


class SubAccountIn(BaseModel):
    phone: str = Field(max_length=32, json_schema_extra=apischema.PHONE)
    name: str = Field(max_length=100, json_schema_extra=apischema.NAME)
    branch: str | None = Field(default=None, max_length=100, description="branch id or name")


class SubAccountPatch(BaseModel):
    branch: str | None = Field(
        default=None,
        max_length=100,
        description="branch id or name; `main` for the main institution",
    )
    disabled: bool | None = None
    display_name: str | None = Field(default=None, max_length=100)


class HandlerIn(BaseModel):
    phone: str = Field(max_length=32, json_schema_extra=apischema.PHONE)
    name: str = Field(max_length=100, json_schema_extra=apischema.NAME)


class DomainOut(BaseModel):
    id: uuid.UUID
    kind: str
    name: str
    disabled: bool


class SubAccountOut(BaseModel):
    account_id: uuid.UUID
    user_id: uuid.UUID
    name: str
    phone: str | None
    domain: uuid.UUID
    domain_name: str
    disabled: bool
    left_at: str | None = Field(default=None, description="when the person left (ISO 8601)")


class MembershipOut(BaseModel):
    """An organisation the person is in, and as what."""

    org_id: uuid.UUID
    org_name: str
    roles: list[str] = Field(description="handler, sub")
    domain_name: str | None = Field(default=None, description="the sub-account's domain")
