"""Validation rules on the claims (权利要求书), as a formalities officer checks them.

Each finding names the claim it concerns: its message says «权利要求 3 / claim 3» and its field
is ``attachments/claims#3`` (the web editor shows it at that claim in the claim tree).
"""

from __future__ import annotations

from collections.abc import Iterator

from patentdesk.packages.claims import ClaimsAnalysis, analyse
from patentdesk.packages.validation import Check, Hit, hit, rule

R25_ZH = "（专利法实施细则第二十五条）"
R25_EN = " (Implementing Regulations r. 25)"


def claim_field(number: int) -> str:
    return f"attachments/claims#{number}"


def claims_analysis(c: Check) -> ClaimsAnalysis | None:
    """The claims analysis of the package (None: no claims or no readable text)."""
    if "claims" not in c.business.roles or not c.documents("claims"):
        return None
    text = c.text("claims")
    if text is None:
        return None
    result: ClaimsAnalysis = c.memo("claims", lambda: analyse(text))
    return result


def _refs(numbers: tuple[int, ...], joiner: str = "、") -> str:
    return joiner.join(str(n) for n in dict.fromkeys(numbers))


@rule(
    "claims.text",
    field="attachments/claims",
    severity="warning",
    zh="无法读取权利要求书的文字（可能是扫描件），未检查权利要求编号和引用关系",
    en="The claims have no readable text (a scan?); numbering and references were not checked",
    needs_form=False,
)
def claims_text(c: Check) -> Iterator[Hit]:
    if "claims" in c.business.roles and c.documents("claims") and c.text("claims") is None:
        yield hit()


@rule(
    "claims.numbering",
    field="attachments/claims",
    zh="权利要求应从 1 开始连续编号：{found}",
    en="Claims must be numbered consecutively from 1: {found}",
    needs_form=False,
)
def claims_numbering(c: Check) -> Iterator[Hit]:
    analysis = claims_analysis(c)
    if analysis is None:
        return
    if not analysis.claims:
        yield hit(found="没有找到编号的权利要求 / no numbered claim found")
        return
    for claim in analysis.claims:
        if claim.number != claim.position:
            yield hit(
                claim_field(claim.number),
                found=f"第 {claim.position} 项编号为 {claim.number}，应为 {claim.position} / "
                f"claim {claim.position} is numbered {claim.number}, expected {claim.position}",
            )
            return


@rule(
    "claims.reference",
    field="attachments/claims",
    zh="权利要求 {n} 引用了权利要求 {ref}：只能引用在前的权利要求",
    en="Claim {n} refers to claim {ref}: a claim may refer only to earlier claims",
    needs_form=False,
)
def claims_reference(c: Check) -> Iterator[Hit]:
    analysis = claims_analysis(c)
    if analysis is None:
        return
    for claim in analysis.claims:
        for ref in claim.refs:
            if ref >= claim.number or ref < 1:
                yield hit(claim_field(claim.number), n=claim.number, ref=ref)
                break


@rule(
    "claims.multiple_alternative",
    field="attachments/claims",
    zh="权利要求 {n} 引用了多项权利要求（{refs}）：多项从属权利要求只能以择一方式引用（“或”），"
    "不得用“和”并列引用" + R25_ZH,
    en="Claim {n} refers to several claims ({refs_en}): a multiple dependent claim may refer to "
    "them only in the alternative («or»), not cumulatively («and»)" + R25_EN,
    needs_form=False,
)
def claims_multiple_alternative(c: Check) -> Iterator[Hit]:
    analysis = claims_analysis(c)
    if analysis is None:
        return
    for claim in analysis.claims:
        if not claim.multiple:
            continue
        if claim.wording == "cumulative":
            yield hit(
                claim_field(claim.number),
                n=claim.number,
                refs=_refs(claim.refs),
                refs_en=_refs(claim.refs, ", "),
            )
        elif claim.wording == "unstated":
            yield Hit(
                claim_field(claim.number),
                "warning",
                {"n": claim.number, "refs": _refs(claim.refs), "refs_en": _refs(claim.refs, ", ")},
                zh="权利要求 {n} 引用了多项权利要求（{refs}），但没有写明择一关系：请写作"
                "“权利要求1或2所述的”或“权利要求1至3中任一项所述的”",
                en="Claim {n} refers to several claims ({refs_en}) without saying they are "
                "alternatives: write «according to claim 1 or 2» or «according to any one of "
                "claims 1 to 3»",
            )


@rule(
    "claims.multiple_basis",
    field="attachments/claims",
    zh="多项从属权利要求 {n} 引用了多项从属权利要求 {ref}：多项从属权利要求不得作为另一项"
    "多项从属权利要求的基础" + R25_ZH,
    en="Multiple dependent claim {n} refers to multiple dependent claim {ref}: a multiple "
    "dependent claim may not serve as a basis for another multiple dependent claim" + R25_EN,
    needs_form=False,
)
def claims_multiple_basis(c: Check) -> Iterator[Hit]:
    analysis = claims_analysis(c)
    if analysis is None:
        return
    by_number = analysis.by_number()
    for claim in analysis.claims:
        if not claim.multiple:
            continue
        for ref in dict.fromkeys(claim.refs):
            base = by_number.get(ref)
            if base is not None and ref < claim.number and base.multiple:
                yield hit(claim_field(claim.number), n=claim.number, ref=ref)
                break


@rule(
    "claims.reference_sign",
    field="attachments/claims",
    severity="warning",
    zh="权利要求 {n}：“{feature}{sign}”中的附图标记 {sign} 应当放在括号内，写作“{feature}({sign})”",
    en="Claim {n}: the reference sign {sign} after «{feature}» belongs in parentheses: "
    "«{feature}({sign})»",
    needs_form=False,
)
def claims_reference_sign(c: Check) -> Iterator[Hit]:
    analysis = claims_analysis(c)
    if analysis is None:
        return
    for claim in analysis.claims:
        for sign in claim.bare_signs[:3]:
            yield hit(
                claim_field(claim.number), n=claim.number, feature=sign.feature, sign=sign.sign
            )


@rule(
    "claims.antecedent",
    field="attachments/claims",
    severity="warning",
    zh="权利要求 {n}：“所述{term}”在本权利要求及其引用的权利要求中没有在前出现的“{term}”"
    "（缺乏引用基础）",
    en="Claim {n}: «所述{term}» (the said {term}) has no earlier «{term}» in this claim or "
    "the claims it refers to (no antecedent basis)",
    needs_form=False,
)
def claims_antecedent(c: Check) -> Iterator[Hit]:
    analysis = claims_analysis(c)
    if analysis is None:
        return
    for claim in analysis.claims:
        for term in claim.undefined_terms[:3]:
            yield hit(claim_field(claim.number), n=claim.number, term=term.term)
