"""Validation rules on the description (说明书), its figures and the abstract figure.

Each finding names the paragraph it concerns («[0012]», or «第 5 段 / paragraph 5» where the
paragraphs are not numbered) and its field is ``attachments/description#0012`` (``#p5``).
They are warnings: the office asks for a correction (补正) rather than refusing the filing.
The abstract figure named by a number that no drawing carries is an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from patentdesk.packages.description import (
    SECTIONS,
    DescriptionAnalysis,
    Paragraph,
    analyse,
    figures_supplied,
)
from patentdesk.packages.validation import Check, Hit, hit, model_has_field, rule

R20_ZH = "（专利法实施细则第二十条）"
R20_EN = " (Implementing Regulations r. 20)"
MAX_HITS = 20  # a 300-page description without numbers is one problem, not 3000 findings
ABSTRACT_FIGURE_TYPES = ("invention", "utility", "pct-national")


def paragraph_field(p: Paragraph) -> str:
    return f"attachments/description#{p.key}"


def description_analysis(c: Check) -> DescriptionAnalysis | None:
    if "description" not in c.business.roles or not c.documents("description"):
        return None
    text = c.text("description")
    if text is None or not text.strip():
        return None
    result: DescriptionAnalysis = c.memo("description", lambda: analyse(text))
    return result


def supplied_figures(c: Check) -> list[int]:
    """The figure numbers the drawings carry (an image is one figure, a PDF one per page)."""

    def compute() -> list[int]:
        from patentdesk.packages.attachments import pdf_page_count

        drawings: list[tuple[str, int]] = []
        for f in c.documents("drawings"):
            pages = 1
            if f.media_type == "application/pdf":
                with c.package.open_seekable(f.path) as stream:
                    pages = pdf_page_count(stream) or 1
            drawings.append((f.path, pages))
        return figures_supplied(drawings)

    result: list[int] = c.memo("figures", compute)
    return result


def _names(key: str) -> tuple[str, str]:
    for k, names, en in SECTIONS:
        if k == key:
            return names[0], en
    return key, key


@rule(
    "description.sections",
    field="attachments/description",
    severity="warning",
    zh="说明书缺少“{name}”部分" + R20_ZH,
    en="The description has no «{name}» ({name_en}) section" + R20_EN,
    needs_form=False,
)
def description_sections(c: Check) -> Iterator[Hit]:
    analysis = description_analysis(c)
    if analysis is None:
        return
    present = {h.key for h in analysis.headings}
    has_drawings = bool(c.documents("drawings"))
    for key, _, _ in SECTIONS:
        if key == "drawings" and not has_drawings:
            continue
        if key not in present:
            name, name_en = _names(key)
            yield hit(name=name, name_en=name_en)


@rule(
    "description.section_order",
    field="attachments/description",
    severity="warning",
    zh="说明书的“{name}”部分（{para}）应当在“{before}”部分之前" + R20_ZH,
    en="The description's «{name_en}» section ({para_en}) belongs before its «{before_en}» section"
    + R20_EN,
    needs_form=False,
)
def description_section_order(c: Check) -> Iterator[Hit]:
    analysis = description_analysis(c)
    if analysis is None:
        return
    order = [k for k, _, _ in SECTIONS]
    seen: list[tuple[int, str, str]] = []
    for h in analysis.headings:
        rank = order.index(h.key)
        later = [(name, key) for r, name, key in seen if r > rank]
        if later:
            yield hit(
                paragraph_field(h.paragraph),
                name=h.name,
                name_en=_names(h.key)[1],
                para=h.paragraph.label_zh,
                para_en=h.paragraph.label_en,
                before=later[0][0],
                before_en=_names(later[0][1])[1],
            )
        seen.append((rank, h.name, h.key))


@rule(
    "description.paragraph_numbers",
    field="attachments/description",
    severity="warning",
    zh="说明书的段落应当用 [0001]、[0002]……连续编号：{found}",
    en="The description's paragraphs should be numbered [0001], [0002] … consecutively: {found}",
    needs_form=False,
)
def description_paragraph_numbers(c: Check) -> Iterator[Hit]:
    analysis = description_analysis(c)
    if analysis is None:
        return
    body = analysis.body
    if not body:
        return
    if not analysis.numbered:
        yield hit(found="段落没有编号 / the paragraphs are not numbered")
        return
    hits = 0
    expected = 1
    for p in body:
        if hits >= MAX_HITS:
            return
        if p.number is None:
            hits += 1
            yield hit(
                paragraph_field(p),
                found=f"{p.label_zh}没有编号，应为 [{expected:04d}] / {p.label_en} has no "
                f"number, expected [{expected:04d}]",
            )
            expected += 1
            continue
        if p.number != expected:
            hits += 1
            yield hit(
                paragraph_field(p),
                found=f"[{p.number:04d}] 应为 [{expected:04d}] / [{p.number:04d}] should be "
                f"[{expected:04d}]",
            )
        expected = p.number + 1


@rule(
    "description.figure_missing",
    field="attachments/description",
    severity="warning",
    zh="说明书{para}提到了图{fig}，但说明书附图中没有图{fig}（附图共 {count} 幅）",
    en="The description's {para_en} mentions figure {fig}, but the drawings have no figure "
    "{fig} ({count} supplied)",
    needs_form=False,
)
def description_figure_missing(c: Check) -> Iterator[Hit]:
    analysis = description_analysis(c)
    if analysis is None:
        return
    figures = set(supplied_figures(c))
    missing = sorted(n for n in analysis.mentions if n not in figures)
    for n in missing[:MAX_HITS]:
        p = analysis.mentions[n][0]
        yield hit(
            paragraph_field(p),
            para=p.label_zh,
            para_en=p.label_en,
            fig=n,
            count=len(figures),
        )


@rule(
    "description.figure_unmentioned",
    field="attachments/drawings",
    severity="warning",
    zh="说明书附图中的图{fig}在说明书中没有提到",
    en="Figure {fig} of the drawings is not mentioned in the description",
    needs_form=False,
)
def description_figure_unmentioned(c: Check) -> Iterator[Hit]:
    analysis = description_analysis(c)
    if analysis is None or not c.documents("drawings"):
        return
    unmentioned = [n for n in supplied_figures(c) if n not in analysis.mentions]
    for n in unmentioned[:MAX_HITS]:
        yield hit(fig=n)


@rule(
    "abstract.figure",
    field="attachments/abstract_drawing",
    severity="warning",
    types=ABSTRACT_FIGURE_TYPES,
    zh="有说明书附图时，应当指定一幅最能说明技术特征的附图作为摘要附图"
    "（package add --role abstract_drawing，abstract_figure）",
    en="With drawings, one figure must be designated as the abstract figure "
    "(package add --role abstract_drawing, abstract_figure)",
    needs_form=False,
)
def abstract_figure(c: Check) -> Iterator[Hit]:
    if not c.documents("drawings") or c.documents("abstract_drawing"):
        return
    form = c.form
    if form is not None and getattr(form, "abstract_figure", None):
        return
    yield hit()


@rule(
    "abstract.figure_number",
    field="abstract_figure",
    types=ABSTRACT_FIGURE_TYPES,
    zh="摘要附图指定为图{fig}，但说明书附图中没有图{fig}（附图共 {count} 幅）",
    en="The abstract figure is figure {fig}, but the drawings have no figure {fig} "
    "({count} supplied)",
)
def abstract_figure_number(c: Check) -> Iterator[Hit]:
    if not model_has_field(type(c.form), "abstract_figure"):
        return
    number = c.form.abstract_figure
    if number is None:
        return
    figures = supplied_figures(c)
    if number not in figures:
        yield hit(fig=number, count=len(figures))
