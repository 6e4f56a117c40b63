"""The validation rule engine (校验规则), run offline by the client and again by the server.

A rule has a stable id, the field it names, a Chinese and an English message and a severity
(``error`` blocks submission, ``warning`` informs). Rules are registered with :func:`rule`
in ``rules.py``; :func:`validate` runs every rule that applies to the package's business type
against a :class:`ValidationContext` (who acts, in which role, and for which filing date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from patentdesk.packages.container import ManifestFile, Package
from patentdesk.packages.registry import ROLES, TEXT, BusinessType, Role, get_business_type
from patentdesk.timeutil import beijing_date

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ValidationContext:
    """Who validates: role ``natural|handler|sub|main|office``, the organisation's kind
    ``legal|agency`` (or None) and the filing date rules compare against (default: today in
    Beijing). ``user_id`` is None when nobody is logged in; rules that need the user's
    identity then say so. ``submitting`` is True on the server at submission."""

    role: str = "natural"
    org_kind: str | None = None
    filing_date: dt.date = dc_field(default_factory=beijing_date)
    user_id: str | None = None
    user_name: str | None = None
    submitting: bool = False

    @classmethod
    def from_session(
        cls, session: dict[str, Any] | None, filing_date: dt.date | None = None
    ) -> ValidationContext:
        """The client's context from ``session.json`` (None: not logged in, a natural person)."""
        session = session or {}
        return cls(
            role=str(session.get("role") or "natural"),
            org_kind=session.get("org_kind"),
            filing_date=filing_date or beijing_date(),
            user_id=session.get("user_id"),
            user_name=session.get("name") or session.get("user_name"),
        )

    @property
    def logged_in(self) -> bool:
        return self.user_id is not None

    @property
    def is_agency_user(self) -> bool:
        return self.role in ("handler", "sub") and self.org_kind == "agency"


@dataclass(frozen=True)
class Finding:
    rule: str
    field: str
    severity: Severity
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "field": self.field,
            "severity": self.severity,
            "message": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass
class ValidationReport:
    errors: list[Finding] = dc_field(default_factory=list)
    warnings: list[Finding] = dc_field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, finding: Finding) -> None:
        (self.errors if finding.severity == "error" else self.warnings).append(finding)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
        }


@dataclass(frozen=True)
class Hit:
    """One finding of a rule: the field it names and values for the message template."""

    field: str | None = None
    severity: Severity | None = None
    values: dict[str, Any] = dc_field(default_factory=dict)
    zh: str | None = None  # replaces the rule's message where one rule says two things
    en: str | None = None


def hit(field: str | None = None, severity: Severity | None = None, **values: Any) -> Hit:
    return Hit(field, severity, values)


@dataclass(frozen=True)
class Rule:
    id: str
    field: str
    severity: Severity
    zh: str
    en: str
    types: frozenset[str] | None
    needs_form: bool
    check: Callable[[Check], Iterable[Hit]]


RULES: list[Rule] = []


def rule(
    id: str,
    *,
    field: str,
    zh: str,
    en: str,
    severity: Severity = "error",
    types: Iterable[str] | None = None,
    needs_form: bool = True,
) -> Callable[[Callable[[Check], Iterable[Hit]]], Callable[[Check], Iterable[Hit]]]:
    def register(fn: Callable[[Check], Iterable[Hit]]) -> Callable[[Check], Iterable[Hit]]:
        if any(r.id == id for r in RULES):
            raise ValueError(f"duplicate rule id {id}")
        RULES.append(
            Rule(id, field, severity, zh, en, frozenset(types) if types else None, needs_form, fn)
        )
        return fn

    return register


@cache
def settings() -> dict[str, Any]:
    """The numbers the rules use (data/rules.yaml)."""
    text = resources.files("patentdesk.packages").joinpath("data/rules.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


class Check:
    """What a rule sees: the package, its parsed form, the context and the rule settings."""

    def __init__(self, package: Package, context: ValidationContext) -> None:
        self.package = package
        self.context = context
        self.business: BusinessType = get_business_type(package.business_type)
        self.settings = settings()
        self.form_errors: list[tuple[str, str]] = []
        self.form: Any = None
        try:
            self.form = self.business.model.model_validate(package.form)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "form"
                self.form_errors.append((where, err["msg"]))
        self._texts: dict[str, str | None] = {}
        self._structures: dict[str, list[dict[str, Any]]] = {}
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value several rules share (the claims analysis), computed once per check."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def files(self, role: str | None = None) -> list[ManifestFile]:
        return self.package.attachments(role)

    def documents(self, role: str) -> list[ManifestFile]:
        """The attachments of a role that are not text sources (what the office reads)."""
        from patentdesk.packages.textparts import is_source

        return [f for f in self.files(role) if not is_source(f.media_type, f.role)]

    def structures(self, role: str) -> list[dict[str, Any]]:
        """The ``patentdesk-text/1`` structures of a role's converted documents (Word or
        CNIPA XML): numbered claims, paragraphs with sections, tables, formulas, figures.
        Empty for a PDF or plain text; unreadable ones are left to ``attachment.readable``."""
        from patentdesk.packages.textparts import load_structure

        if role not in self._structures:
            found = []
            for f in self.files(role):
                data = load_structure(self.package, f)
                if data is not None:
                    found.append(data)
            self._structures[role] = found
        return self._structures[role]

    def text(self, role: str) -> str | None:
        """The text of a role's attachments: the kept UTF-8 source, else the PDF text layer."""
        if role not in self._texts:
            self._texts[role] = self._read_text(ROLES[role])
        return self._texts[role]

    def _read_text(self, role: Role) -> str | None:
        from patentdesk.packages.attachments import decode_text, pdf_text

        sources = [f for f in self.files(role.name) if f.media_type == TEXT]
        if sources:
            texts = [decode_text(self.package.read_bytes(f.path)) or "" for f in sources]
            return "\n".join(texts)
        parts = []
        for f in self.documents(role.name):
            if f.media_type != "application/pdf":
                continue
            with self.package.open_seekable(f.path) as stream:
                text = pdf_text(stream)
            if text is None:
                return None
            lines = text.splitlines()
            if lines and lines[0].strip().replace(" ", "") == role.zh:
                lines = lines[1:]  # the heading our text rendering puts on top
            parts.append("\n".join(lines))
        return "\n".join(parts) if parts else None


def _finding(r: Rule, h: Hit) -> Finding:
    values = {k: v for k, v in h.values.items()}
    zh = (h.zh or r.zh).format(**values) if values else (h.zh or r.zh)
    en = (h.en or r.en).format(**values) if values else (h.en or r.en)
    return Finding(r.id, h.field or r.field, h.severity or r.severity, zh, en)


def validate(package: Package, context: ValidationContext | None = None) -> ValidationReport:
    """Runs every rule that applies to the package's business type."""
    from patentdesk.packages import rules as _rules  # noqa: F401 - registers the rules

    return run_rules(Check(package, context or ValidationContext()))


def run_rules(check: Check) -> ValidationReport:
    """Runs the rules on a :class:`Check` the caller keeps (the web editor then reads the
    claims analysis the rules computed instead of reading the text again)."""
    from patentdesk.packages import rules as _rules  # noqa: F401 - registers the rules

    report = ValidationReport()
    for where, message in check.form_errors:
        report.add(
            Finding(
                "form.schema",
                where,
                "error",
                f"表格字段 {where} 不正确：{message}",
                f"The form field {where} is not valid: {message}",
            )
        )
    for r in RULES:
        if r.types is not None and check.business.name not in r.types:
            continue
        if r.needs_form and check.form is None:
            continue
        for h in r.check(check):
            report.add(_finding(r, h))
    return report


def iter_rules() -> Iterator[Rule]:
    from patentdesk.packages import rules as _rules  # noqa: F401 - registers the rules

    yield from RULES


def model_has_field(model: type[BaseModel], name: str) -> bool:
    return name in model.model_fields
