"""Typed errors with a stable code and a Chinese and English message.

Every domain raises subclasses of :class:`PatentDeskError`; the HTTP layer maps them to
status codes in one handler and the CLI prints them as ``{"error": {...}}``. Nothing here
imports the server, so the offline client can use it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PatentDeskError(Exception):
    """Base of every error a user may see."""

    code: ClassVar[str] = "ERROR"
    status: ClassVar[int] = 400
    message_zh: ClassVar[str] = "操作失败"
    message_en: ClassVar[str] = "The operation failed"
    # True when the changes made before the error must still be committed, e.g. the record
    # of a failed login that the rate limit counts.
    commit_anyway: ClassVar[bool] = False

    def __init__(
        self,
        zh: str | None = None,
        en: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        **fmt: Any,
    ) -> None:
        self.zh = (zh or self.message_zh).format(**fmt) if fmt else (zh or self.message_zh)
        self.en = (en or self.message_en).format(**fmt) if fmt else (en or self.message_en)
        self.details = details or {}
        super().__init__(f"{self.code}: {self.zh} / {self.en}")

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.zh,
            "message_en": self.en,
        }
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(PatentDeskError):
    code = "VALIDATION_FAILED"
    status = 422
    message_zh = "输入不正确"
    message_en = "The input is not valid"


class NotFound(PatentDeskError):
    """Also used for objects the actor may not see: hidden objects are 404, not 403."""

    code = "NOT_FOUND"
    status = 404
    message_zh = "对象不存在"
    message_en = "Not found"


class Conflict(PatentDeskError):
    code = "CONFLICT"
    status = 409
    message_zh = "与现有数据冲突"
    message_en = "Conflicts with existing data"


class NotAuthenticated(PatentDeskError):
    code = "NOT_AUTHENTICATED"
    status = 401
    message_zh = "请先登录"
    message_en = "Please log in first"


class PermissionDenied(PatentDeskError):
    code = "PERMISSION_DENIED"
    status = 403
    message_zh = "没有权限执行此操作"
    message_en = "You do not have permission to do this"


class RateLimited(PatentDeskError):
    code = "RATE_LIMITED"
    status = 429
    message_zh = "尝试次数过多，请稍后再试"
    message_en = "Too many attempts; please try again later"
