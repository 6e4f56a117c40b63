"""The claim tree and the description's findings as the draft page shows them (issue 16).

The validation rules analyse the claims and the description once (``Check.memo``); this
module turns that analysis and the findings that name a claim (``attachments/claims#3``) or a
paragraph (``attachments/description#0012``) into what ``drafts_claims.html`` renders: each
independent claim with its dependents nested under it, and each finding at its claim or
paragraph.
"""

from __future__ import annotations

from typing import Any

from patentdesk.drafts import labels
from patentdesk.packages.claims import CATEGORY_LABELS, Claim, ClaimsAnalysis, TreeNode
from patentdesk.packages.description import DescriptionAnalysis
from patentdesk.packages.validation import Check, ValidationReport

PREVIEW_CHARS = 60
CLAIM_PREFIX = "attachments/claims#"
PARAGRAPH_PREFIX = "attachments/description#"


def _by_suffix(report: ValidationReport, prefix: str, lang: str) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for f in report.errors + report.warnings:
        if f.field.startswith(prefix):
            out.setdefault(f.field[len(prefix) :], []).append(
                {
                    "rule": f.rule,
                    "severity": f.severity,
                    "message": labels.web_message(f.message_zh if lang == "zh" else f.message_en),
                }
            )
    return out


def _refs(claim: Claim, lang: str) -> str:
    refs = list(dict.fromkeys(claim.refs))
    if claim.wording == "cumulative":
        joiner = "和" if lang == "zh" else " and "
    else:
        joiner = "或" if lang == "zh" else " or "
    return joiner.join(str(r) for r in refs)


def _kind(claim: Claim, lang: str) -> str:
    zh, en = CATEGORY_LABELS[claim.category]
    if claim.independent:
        return f"独立权利要求 · {zh}" if lang == "zh" else f"Independent · {en}"
    if claim.multiple:
        return (
            f"多项从属 · 引用 {_refs(claim, lang)}"
            if lang == "zh"
            else f"Multiple dependent · on {_refs(claim, lang)}"
        )
    return (
        f"从属 · 引用 {_refs(claim, lang)}"
        if lang == "zh"
        else f"Dependent · on {_refs(claim, lang)}"
    )


def _node(n: TreeNode, found: dict[str, list[dict[str, str]]], lang: str) -> dict[str, Any]:
    claim = n.claim
    text = claim.text
    return {
        "number": claim.number,
        "anchor": f"claim-{claim.number}",
        "independent": claim.independent,
        "kind": _kind(claim, lang),
        "preview": text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…",
        "findings": found.get(str(claim.number), []),
        "children": [_node(child, found, lang) for child in n.children],
    }


def claims_view(check: Check, report: ValidationReport, lang: str) -> dict[str, Any] | None:
    analysis: ClaimsAnalysis | None = check.memo("claims", lambda: None)
    if analysis is None or not analysis.claims:
        return None
    found = _by_suffix(report, CLAIM_PREFIX, lang)
    categories = [
        {
            "label": CATEGORY_LABELS[cat][0 if lang == "zh" else 1],
            "numbers": "、".join(str(n) for n in numbers)
            if lang == "zh"
            else ", ".join(str(n) for n in numbers),
        }
        for cat, numbers in analysis.categories().items()
    ]
    return {
        "count": analysis.count,
        "categories": categories,
        "tree": [_node(n, found, lang) for n in analysis.tree()],
    }


def description_view(
    check: Check, report: ValidationReport, lang: str
) -> list[dict[str, Any]] | None:
    """The description's findings by paragraph, in the description's order."""
    analysis: DescriptionAnalysis | None = check.memo("description", lambda: None)
    found = _by_suffix(report, PARAGRAPH_PREFIX, lang)
    whole = _by_suffix(report, "attachments/description", lang).get("", [])
    general = [x for x in whole if x["rule"].startswith("description.")]
    if analysis is None or not (found or general):
        return None
    rows: list[dict[str, Any]] = []
    if general:
        rows.append(
            {
                "anchor": "description-all",
                "label": "说明书" if lang == "zh" else "Description",
                "preview": "",
                "findings": general,
            }
        )
    for p in analysis.paragraphs:
        if p.key in found:
            rows.append(
                {
                    "anchor": f"desc-{p.key}",
                    "label": p.label_zh
                    if lang == "zh"
                    else p.label_en[:1].upper() + p.label_en[1:],
                    "preview": p.text[:PREVIEW_CHARS]
                    + ("…" if len(p.text) > PREVIEW_CHARS else ""),
                    "findings": found[p.key],
                }
            )
    return rows
