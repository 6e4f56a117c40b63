"""The one place that decides access.

Permissions are named ``resource:action``. A role grants a set of permissions; rows owned by
a permission domain are filtered by :func:`restrict` so that an actor only ever sees its own
domain's rows (an object the actor may not see is a 404, never a 403).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select

from patentdesk.errors import NotAuthenticated, PatentDeskError, PermissionDenied
from patentdesk.identity.models import Role


class Permission(enum.StrEnum):
    ACCOUNT_VIEW = "account:view"
    ACCOUNT_EDIT = "account:edit"
    ORG_REGISTER = "org:register"
    ORG_VIEW = "org:view"
    ORG_MANAGE = "org:manage"  # branches, sub-accounts, handlers (账户管理)
    CASE_VIEW = "case:view"
    CASE_EDIT = "case:edit"
    CASE_SIGN = "case:sign"
    CASE_SUBMIT = "case:submit"
    RECEIPT_DOWNLOAD = "receipt:download"
    NOTICE_VIEW = "notice:view"
    NOTICE_CONFIRM = "notice:confirm"
    NOTICE_DOWNLOAD = "notice:download"
    FEE_PAY = "fee:pay"
    QUERY = "query:run"
    OFFICE_WORK = "office:work"  # worklist, accept, refuse, issue notices
    OFFICE_ADMIN = "office:admin"


_DOMAIN_WORK = {
    Permission.CASE_VIEW,
    Permission.CASE_EDIT,
    Permission.CASE_SIGN,
    Permission.CASE_SUBMIT,
    Permission.RECEIPT_DOWNLOAD,
    Permission.NOTICE_VIEW,
    Permission.NOTICE_CONFIRM,
    Permission.NOTICE_DOWNLOAD,
    Permission.FEE_PAY,
    Permission.QUERY,
}
_SELF = {Permission.ACCOUNT_VIEW, Permission.ACCOUNT_EDIT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.NATURAL: frozenset(_SELF | _DOMAIN_WORK | {Permission.ORG_REGISTER}),
    Role.HANDLER: frozenset(_SELF | _DOMAIN_WORK | {Permission.ORG_VIEW, Permission.ORG_MANAGE}),
    Role.SUB: frozenset(_SELF | _DOMAIN_WORK),
    # The main account may view and manage, but never sign or submit (seed A10).
    Role.MAIN: frozenset(
        (_SELF | _DOMAIN_WORK | {Permission.ORG_VIEW, Permission.ORG_MANAGE})
        - {Permission.CASE_SIGN, Permission.CASE_SUBMIT, Permission.ACCOUNT_EDIT}
    ),
    Role.OFFICE: frozenset(
        {Permission.ACCOUNT_VIEW, Permission.ACCOUNT_EDIT, Permission.OFFICE_WORK}
        | {Permission.CASE_VIEW, Permission.NOTICE_VIEW, Permission.QUERY}
    ),
}

# Permissions an office user holds over every domain; others are confined to their own.
_OFFICE_WIDE = {Permission.CASE_VIEW, Permission.NOTICE_VIEW, Permission.QUERY}


class UserIdLookupFailed(PatentDeskError):
    """«查询用户 ID 失败» — the CNIPA client's words when the signer may not sign (A10, C2)."""

    code = "USER_ID_LOOKUP_FAILED"
    status = 403
    message_zh = "查询用户 ID 失败"
    message_en = "User ID lookup failed"


MAIN_CANNOT_SIGN = (
    "主账户没有签名和提交权限，请使用机构经办人或子账户登录后签名提交",
    "the main account has no right to sign or submit; log in as the organisation's handler "
    "or a sub-account to sign and submit",
)
NOT_LOGGED_IN = (
    "未登录或登录已失效，请先扫码登录后再签名",
    "you are not logged in (or the login has expired); log in by scanning the QR code first",
)


@dataclass(frozen=True)
class Actor:
    """Who acts, in which role and permission domain."""

    user_id: uuid.UUID
    name: str
    role: Role
    domain_id: uuid.UUID | None
    org_id: uuid.UUID | None = None
    org_kind: str | None = None
    org_name: str | None = None
    sub_account_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    domain_name: str | None = None
    client_kind: str | None = None
    ip: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def is_office(self) -> bool:
        return self.role == Role.OFFICE


def authorize(actor: Actor | None, permission: Permission) -> Actor:
    """Raises unless ``actor`` holds ``permission``; returns the actor for chaining."""
    signing = permission in (Permission.CASE_SIGN, Permission.CASE_SUBMIT)
    if actor is None:
        if signing:
            raise not_logged_in_signing()
        raise NotAuthenticated()
    if signing and actor.role == Role.MAIN:
        raise UserIdLookupFailed(
            "查询用户 ID 失败：" + MAIN_CANNOT_SIGN[0],
            "User ID lookup failed: " + MAIN_CANNOT_SIGN[1],
            details={"why": "main_account"},
        )
    if not actor.can(permission):
        raise PermissionDenied(details={"permission": str(permission), "role": str(actor.role)})
    return actor


def not_logged_in_signing() -> UserIdLookupFailed:
    return UserIdLookupFailed(
        "查询用户 ID 失败：" + NOT_LOGGED_IN[0],
        "User ID lookup failed: " + NOT_LOGGED_IN[1],
        details={"why": "login"},
    )


T = TypeVar("T", bound=Select[Any])


def restrict(stmt: T, domain_column: Any, actor: Actor, permission: Permission) -> T:
    """Filters a query of domain-owned rows to what ``actor`` may see.

    Every query for domain-owned rows goes through here. Office users see every domain for
    the permissions the office holds; everyone else sees only their own domain.
    """
    authorize(actor, permission)
    if actor.is_office and permission in _OFFICE_WIDE:
        return stmt
    if actor.domain_id is None:
        return stmt.where(domain_column.is_(None) & domain_column.isnot(None))
    return stmt.where(domain_column == actor.domain_id)


def can_see_domain(actor: Actor, domain_id: uuid.UUID | None, permission: Permission) -> bool:
    if not actor.can(permission):
        return False
    if actor.is_office and permission in _OFFICE_WIDE:
        return True
    return domain_id is not None and domain_id == actor.domain_id
