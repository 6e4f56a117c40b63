"""What the draft page shows: the web actor as the packages library's editor, and the
sections of the page (form widgets, attachments, related business, validation findings)
read from one verified package. No web framework here: ``lang`` is all it needs to know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from patentdesk.authz import Actor
from patentdesk.drafts import formspec, labels, textparts
from patentdesk.drafts.store import Draft
from patentdesk.packages.container import Package, read_package
from patentdesk.packages.editing import Editor
from patentdesk.packages.registry import (
    MAIN_FORM,
    RELATED,
    ROLES,
    TEXT,
    BusinessType,
    get_business_type,
    related_form_path,
)
from patentdesk.packages.textparts import is_source
from patentdesk.packages.validation import Check, ValidationContext, run_rules
from patentdesk.timeutil import beijing_date


def editor_for(actor: Actor) -> Editor:
    """The packages library's editor for a web actor (a sub-account edits as its account,
    as the desktop client does)."""
    user_id = actor.sub_account_id if actor.sub_account_id else actor.user_id
    return Editor(
        role=str(actor.role), org_kind=actor.org_kind, user_id=str(user_id), name=actor.name
    )


def validation_context(actor: Actor) -> ValidationContext:
    editor = editor_for(actor)
    return ValidationContext(
        role=editor.role,
        org_kind=editor.org_kind,
        filing_date=beijing_date(),
        user_id=editor.user_id,
        user_name=editor.name,
    )


def normalized(business: BusinessType, form: dict[str, Any]) -> dict[str, Any]:
    """The saved form with its defaults, as the widgets show it (raw when it is invalid:
    the validation panel then names the bad field)."""
    try:
        return business.model.model_validate(form).model_dump(mode="json", exclude_none=True)
    except ValidationError:
        return form


def _stem(path: str) -> str:
    return path.rsplit(".", 1)[0]


def converted_from(path: str, paths: set[str]) -> str | None:
    """``docx`` or ``xml`` when the file was made from a Word or CNIPA XML document beside it
    (a PDF rendering, or a figure ``<stem>-fig-N`` of Word drawings)."""
    stem = _stem(path)
    base, sep, number = stem.rpartition("-fig-")
    for candidate in (stem, base if sep and number.isdigit() else None):
        if candidate is None:
            continue
        for ext in ("docx", "xml"):
            if f"{candidate}.{ext}" in paths and f"{candidate}.{ext}" != path:
                return ext
    return None


def orphans(files: list[Any]) -> set[str]:
    """Sources with nothing converted beside them (shown, so they can be removed)."""
    paths = {f.path for f in files}
    return {
        f.path
        for f in files
        if is_source(f.media_type, f.role)
        and _stem(f.path) + ".pdf" not in paths
        and not any(p.startswith(_stem(f.path) + "-fig-") for p in paths)
    }


def rev(package: Package) -> str:
    entry = package.manifest.file(MAIN_FORM)
    return entry.sha256 if entry else ""


def label(lang: str, zh: str, en: str) -> str:
    """The name in the page's language; English starts with a capital as a label does."""
    return zh if lang == "zh" else en[:1].upper() + en[1:]


@dataclass
class Sections:
    """Everything the draft page and its fragments render."""

    draft: Draft
    business: BusinessType
    package_id: str
    rev: str
    widgets: list[formspec.Widget]
    attachments: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    related: list[dict[str, Any]]
    related_choices: list[dict[str, Any]]
    signatures: int
    agency_allowed: bool
    findings: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None  # the claim tree (textparts.claims_view)
    description: list[dict[str, Any]] | None = None  # findings by paragraph

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """The findings by the element they concern (a field's id, or the attachments)."""
        out: dict[str, list[str]] = {}
        for f in (self.findings or {}).get("errors", []) + (self.findings or {}).get(
            "warnings", []
        ):
            out.setdefault(f["anchor"], []).append(f["message"])
        return out


def sections(
    lang: str,
    actor: Actor,
    draft: Draft,
    *,
    overrides: formspec.Submitted | None = None,
    extra: str | None = None,
    with_validation: bool = False,
) -> Sections:
    with read_package(draft.path) as package:
        business = get_business_type(package.business_type)
        data = normalized(business, package.form)
        present_roles = {f.role for f in package.attachments()}
        files = package.attachments()
        sources = {f.path for f in files if f.media_type == TEXT}
        paths = {f.path for f in files}
        shown = [
            f for f in files if not is_source(f.media_type, f.role) or f.path in orphans(files)
        ]
        attachments = [
            {
                "path": f.path,
                "name": f.path.rsplit("/", 1)[-1],
                "role": f.role,
                "role_label": label(lang, ROLES[f.role].zh, ROLES[f.role].en)
                if f.role in ROLES
                else f.role,
                "media_type": f.media_type,
                "size": f.size,
                # Text the client rendered to PDF keeps its source beside it (the rules read
                # it); both go together, so the source is not listed on its own.
                "from_text": _stem(f.path) + ".txt" in sources
                and _stem(f.path) + ".docx" not in paths
                and _stem(f.path) + ".xml" not in paths,
                "from_word": converted_from(f.path, paths) == "docx",
                "from_xml": converted_from(f.path, paths) == "xml",
            }
            for f in shown
        ]
        related = [
            {
                "kind": kind,
                "label": label(lang, RELATED[kind].zh, RELATED[kind].en)
                if kind in RELATED
                else kind,
                "note": package.forms.get(related_form_path(kind), {}).get("note"),
            }
            for kind in package.related
        ]
        findings, claims, description = (
            _findings(package, business, actor, lang) if with_validation else (None, None, None)
        )
        sections = Sections(
            draft=draft,
            business=business,
            package_id=package.package_id,
            rev=rev(package),
            widgets=formspec.build_view(business.model, data, overrides=overrides, extra=extra),
            attachments=attachments,
            roles=[
                {
                    "name": r,
                    "label": label(lang, ROLES[r].zh, ROLES[r].en),
                    "required": r in business.required_roles,
                    "present": r in present_roles,
                }
                for r in business.roles
            ],
            related=related,
            related_choices=[
                {"kind": k, "label": label(lang, RELATED[k].zh, RELATED[k].en)}
                for k in business.related
                if k in RELATED and k not in package.related
            ],
            signatures=len(package.signatures),
            agency_allowed=editor_for(actor).can_edit_agency,
            findings=findings,
            claims=claims,
            description=description,
        )
    return sections


def _findings(
    package: Package, business: BusinessType, actor: Actor, lang: str
) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]] | None]:
    check = Check(package, validation_context(actor))
    report = run_rules(check)

    def rows(items: list[Any]) -> list[dict[str, str]]:
        return [
            {
                "rule": f.rule,
                "field": f.field,
                "label": labels.field_label(business.model, f.field, lang),
                "anchor": labels.anchor(f.field, f.rule),
                "severity": f.severity,
                "message": labels.web_message(f.message_zh if lang == "zh" else f.message_en),
            }
            for f in items
        ]

    found = {"ok": report.ok, "errors": rows(report.errors), "warnings": rows(report.warnings)}
    return (
        found,
        textparts.claims_view(check, report, lang),
        textparts.description_view(check, report, lang),
    )
