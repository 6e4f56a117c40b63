"""The claims (权利要求书) read as an examiner's formalities officer reads them.

:func:`analyse` splits the claims text into numbered claims and, for each, the claims it
refers to, how a multiple reference is worded (in the alternative «或», or cumulatively «和»),
whether it is independent, its category (product, method, use) from the preamble, reference
signs written outside parentheses and «所述X» without an earlier X. It is pure text work: the
validation rules (``rules_claims``), the fee sheet (the real claim count) and the web
editor's claim tree all read the same :class:`ClaimsAnalysis`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# «1.» «2、» «(3)．» and «0004.» (CNIPA XML numbers claims num="0004").
CLAIM_START = re.compile(r"^\s*[\[【(（]?\s*0*(\d{1,3})\s*[\]】)）]?\s*[.、．:：](?!\d)", re.M)
_CONNECTOR = r"(?:或者|以及|[-~～至到或和及与、,，]|\bor\b|\band\b|\bto\b)"
CLAIM_REF = re.compile(
    r"(?:权利要求|[Cc]laims?)\s*((?:\d{1,3}\s*(?:" + _CONNECTOR + r")?\s*(?:权利要求)?\s*)+)"
)
RANGE = re.compile(r"(\d{1,3})\s*(?:[-~～至到]|to)\s*(?:权利要求)?\s*(\d{1,3})")
CUMULATIVE = re.compile(r"和|及|与|\band\b")
ALTERNATIVE = re.compile(r"或|任一|任意|之一|\bor\b|\bany\b|\beither\b", re.I)
# A claim that starts so depends on the claims it names; «一种制造权利要求1所述产品的方法»
# names claim 1 but is an independent claim of another category.
DEPENDENT_START = re.compile(
    r"^\s*(?:根据|如|按照|依据|依照|按|基于|according|as claimed|the\b)", re.I
)
PREAMBLE_END = re.compile(r"[，,：:；;。]|其特征在于|包括|包含|由")
METHOD_WORDS = ("方法", "工艺", "流程", "步骤", "method", "process")
USE_WORDS = ("用途", "应用", "使用", "use")
CJK = "\u4e00-\u9fff"
# A number right after a technical feature: «车架1» — a reference sign that belongs in
# parentheses «车架(1)». Ordinals, quantities and units are not signs.
BARE_SIGN = re.compile(rf"(?<=[{CJK}])(\d{{1,4}}[a-zA-Z']?)(?=[{CJK}，。；、,;\s]|\.(?!\d)|$)")
NOT_BEFORE_SIGN = set("第约为至或和及到共各每于图表式达超过少多近")
UNITS = set(
    "个只根条块片层次种米厘毫微纳克千吨度秒分时天年月日号件台组对倍份升瓦伏安帕赫转周步位字节"
)
FEATURE_SPLIT = re.compile(r"包括|包含|设有|具有|连接|位于|设置|通过|[和与及或的、在于]")
PARENS = re.compile(r"[(（][^()（）]*[)）]")
DESCRIBED = re.compile(rf"所述(?:的)?([{CJK}A-Za-z0-9]+)")
# Bounds for hostile text: a real claim has a few «所述», each naming a short feature.
MAX_DESCRIBED = 500
MAX_TERM = 16
STOP_WORDS = ("位于", "设于", "设在", "设置", "与", "和", "的", "为", "是", "包括", "连接", "通过")

Category = Literal["product", "method", "use"]
Wording = Literal["single", "alternative", "cumulative", "unstated"]

CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "product": ("产品", "product"),
    "method": ("方法", "method"),
    "use": ("用途", "use"),
}


@dataclass(frozen=True)
class DescribedTerm:
    """A «所述X» whose X appears nowhere earlier in the claim or the claims it refers to."""

    term: str


@dataclass(frozen=True)
class BareSign:
    """A reference sign written outside parentheses: ``feature`` then ``sign``."""

    feature: str
    sign: str


@dataclass(frozen=True)
class Claim:
    number: int  # as written
    position: int  # 1-based order in the text
    text: str
    refs: tuple[int, ...]
    wording: Wording
    independent: bool
    category: Category
    preamble: str
    bare_signs: tuple[BareSign, ...] = ()
    undefined_terms: tuple[DescribedTerm, ...] = ()

    @property
    def multiple(self) -> bool:
        """A multiple-dependent claim (多项从属权利要求): it refers to two or more claims."""
        return not self.independent and len(set(self.refs)) > 1


@dataclass
class TreeNode:
    claim: Claim
    children: list[TreeNode] = field(default_factory=list)


@dataclass
class ClaimsAnalysis:
    claims: list[Claim]

    @property
    def count(self) -> int:
        """The real number of claims (what the excess-claims fee counts)."""
        return len(self.claims)

    def by_number(self) -> dict[int, Claim]:
        return {c.number: c for c in self.claims}

    def independent(self) -> list[Claim]:
        return [c for c in self.claims if c.independent]

    def categories(self) -> dict[str, list[int]]:
        """The independent claims by category, in the order product, method, use."""
        out: dict[str, list[int]] = {}
        for cat in CATEGORY_LABELS:
            numbers = [c.number for c in self.independent() if c.category == cat]
            if numbers:
                out[cat] = numbers
        return out

    def tree(self) -> list[TreeNode]:
        """Independent claims with their dependents nested under the first (lowest) earlier
        claim they refer to; a dependent whose references are all broken stays at the top."""
        nodes: dict[int, TreeNode] = {}
        roots: list[TreeNode] = []
        for c in self.claims:
            node = TreeNode(c)
            parents = sorted(r for r in set(c.refs) if r in nodes and r < c.number)
            if c.independent or not parents:
                roots.append(node)
            else:
                nodes[parents[0]].children.append(node)
            nodes.setdefault(c.number, node)
        return roots

    def to_dict(self) -> dict[str, object]:
        def node(n: TreeNode) -> dict[str, object]:
            return {
                "number": n.claim.number,
                "independent": n.claim.independent,
                "category": n.claim.category if n.claim.independent else None,
                "refers_to": list(n.claim.refs),
                "dependents": [node(child) for child in n.children],
            }

        return {
            "count": self.count,
            "independent": [c.number for c in self.independent()],
            "categories": self.categories(),
            "tree": [node(n) for n in self.tree()],
        }


def parse_claims(text: str) -> list[tuple[int, str]]:
    """Splits claims text into (number, body) at lines starting with ``1.`` ``2、`` …"""
    starts = list(CLAIM_START.finditer(text))
    claims = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        claims.append((int(m.group(1)), text[m.end() : end]))
    return claims


def _numbers(group: str) -> list[int]:
    refs: list[int] = []
    for a, b in RANGE.findall(group):
        lo, hi = int(a), int(b)
        if hi >= lo and hi - lo < 1000:
            refs.extend(range(lo, hi + 1))
    refs.extend(int(n) for n in re.findall(r"\d{1,3}", RANGE.sub(" ", group)))
    return refs


def claim_references(body: str) -> list[int]:
    """The claim numbers a claim's text names («权利要求1或2», «权利要求1至3», «claims 1 to 3»)."""
    refs: list[int] = []
    for m in CLAIM_REF.finditer(body):
        refs.extend(_numbers(m.group(1)))
    return refs


def _wording(body: str) -> Wording:
    """How the claim words its references: one claim, in the alternative, cumulatively."""
    numbers: set[int] = set()
    cumulative = alternative = False
    for m in CLAIM_REF.finditer(body):
        group = m.group(1)
        found = _numbers(group)
        numbers.update(found)
        if len(set(found)) > 1:
            # «1和2», «1 and 2»: cumulative; «1或2», «1至3中任一项»: in the alternative.
            cumulative |= bool(CUMULATIVE.search(group))
            after = body[m.end() : m.end() + 12]
            alternative |= bool(ALTERNATIVE.search(group) or ALTERNATIVE.search(after))
    if len(numbers) <= 1:
        return "single"
    if cumulative:
        return "cumulative"
    return "alternative" if alternative else "unstated"


def _preamble(body: str) -> str:
    m = PREAMBLE_END.search(body)
    return (body[: m.start()] if m else body).strip()[:80]


def _category(preamble: str) -> Category:
    head = preamble.rstrip("的 ").lower()
    if any(w in head for w in USE_WORDS) and not head.endswith(("装置", "设备", "系统")):
        return "use"
    if any(head.endswith(w) or f"{w} " in head for w in METHOD_WORDS) or "方法" in head[-6:]:
        return "method"
    return "product"


def _bare_signs(body: str) -> tuple[BareSign, ...]:
    text = CLAIM_REF.sub(lambda m: " " * len(m.group(0)), PARENS.sub(" ", body))
    found: list[BareSign] = []
    for m in BARE_SIGN.finditer(text):
        if len(found) >= 3:  # the rule reports three per claim
            break
        before = text[m.start() - 1]
        after = text[m.end() : m.end() + 1]
        if before in NOT_BEFORE_SIGN or (after and after in UNITS):
            continue
        run = re.findall(rf"[{CJK}]+$", text[max(0, m.start() - 24) : m.start()])
        feature = FEATURE_SPLIT.split(run[0])[-1] if run else ""
        found.append(BareSign(feature[-6:], m.group(1)))
    return tuple(found)


def _term(run: str) -> str:
    cut = len(run)
    for word in STOP_WORDS:
        i = run.find(word, 1)
        if i > 0:
            cut = min(cut, i)
    return run[: min(cut, 8)]


def _undefined_terms(body: str, earlier: str) -> tuple[DescribedTerm, ...]:
    found: list[DescribedTerm] = []
    for i, m in enumerate(DESCRIBED.finditer(body)):
        if i >= MAX_DESCRIBED:
            break
        run = m.group(1)[:MAX_TERM]
        if len(run) < 2:
            continue
        # Lenient on purpose (a warning, not an error): the term's first two characters
        # found earlier count as its antecedent (any longer start contains them).
        start = run[:2]
        if start in earlier or body.find(start, 0, m.start()) >= 0:
            continue
        term = _term(run)
        if term not in {t.term for t in found}:
            found.append(DescribedTerm(term))
    return tuple(found)


def analyse(text: str) -> ClaimsAnalysis:
    """The claims of ``text`` (a claims document's text), analysed."""
    parsed = parse_claims(text)
    bodies: dict[int, str] = {}
    chains: dict[int, set[int]] = {}
    claims: list[Claim] = []
    for position, (number, raw) in enumerate(parsed, start=1):
        body = " ".join(raw.split())
        # «0002. 2.根据…»: the claim's own number repeated inside its text.
        body = re.sub(rf"^0*{number}\s*[.、．]\s*(?!\d)", "", body)
        refs = tuple(claim_references(body))
        independent = not refs or not DEPENDENT_START.match(body)
        preamble = _preamble(body)
        chain: set[int] = set()
        for r in refs:
            if r < number and r in chains:
                chain |= {r} | chains[r]
        chains.setdefault(number, chain)
        earlier = " ".join(bodies[r] for r in sorted(chain) if r in bodies)
        claims.append(
            Claim(
                number=number,
                position=position,
                text=body,
                refs=refs,
                wording=_wording(body),
                independent=independent,
                category=_category(preamble),
                preamble=preamble,
                bare_signs=_bare_signs(body),
                undefined_terms=_undefined_terms(body, earlier),
            )
        )
        bodies.setdefault(number, body)
    return ClaimsAnalysis(claims)
