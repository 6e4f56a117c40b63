"""The description (说明书) read as an examiner's formalities officer reads it.

:func:`analyse` finds the description's paragraphs (numbered ``[0001]`` or ``【0001】``, the
way CNIPA's e-filing documents number them), its section headings (技术领域, 背景技术,
发明内容 or 实用新型内容, 附图说明, 具体实施方式) and the figures it mentions («图3»,
«图1至图3»). :func:`figures_supplied` says which figure numbers the drawings carry. The
validation rules (``rules_description``) compare the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

PARA_NUMBER = re.compile(r"^\s*[\[【]\s*(\d{4})\s*[\]】]\s*")
# The five parts 专利法实施细则第二十条 asks for, in this order; a utility model writes
# 实用新型内容 for 发明内容.
SECTIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("field", ("技术领域",), "Technical field"),
    ("background", ("背景技术",), "Background art"),
    ("summary", ("发明内容", "实用新型内容"), "Summary"),
    ("drawings", ("附图说明",), "Description of drawings"),
    ("embodiments", ("具体实施方式",), "Detailed description"),
)
HEADING = re.compile(r"^[\s\[【(（]*([\u4e00-\u9fff]{4,6})[\s\]】)）:：]*$")
FIGURE = re.compile(
    r"图\s*(\d{1,3})(?:\s*(?:[-~～至到]|和|及|与|、|或)\s*(?:图\s*)?(\d{1,3})(?!\d))?"
)
FIGURE_RANGE = re.compile(r"[-~～至到]")
FIGURE_IN_NAME = re.compile(r"(?:fig(?:ure)?|图)[\s_-]*(\d{1,3})", re.I)


@dataclass(frozen=True)
class Paragraph:
    ordinal: int  # 1-based order among the description's non-empty lines
    number: int | None  # its [0001] number, when it has one
    text: str

    @property
    def key(self) -> str:
        """How a finding names it: ``0012`` for [0012], ``p12`` for the 12th unnumbered."""
        return f"{self.number:04d}" if self.number is not None else f"p{self.ordinal}"

    @property
    def label_zh(self) -> str:
        return f"[{self.number:04d}]" if self.number is not None else f"第 {self.ordinal} 段"

    @property
    def label_en(self) -> str:
        return f"[{self.number:04d}]" if self.number is not None else f"paragraph {self.ordinal}"


@dataclass(frozen=True)
class Heading:
    key: str
    name: str  # as written
    paragraph: Paragraph


@dataclass
class DescriptionAnalysis:
    paragraphs: list[Paragraph]
    headings: list[Heading]
    # figure number → the paragraphs that mention it, first mention first
    mentions: dict[int, list[Paragraph]] = field(default_factory=dict)

    @property
    def numbered(self) -> list[Paragraph]:
        return [p for p in self.paragraphs if p.number is not None]

    @property
    def body(self) -> list[Paragraph]:
        """The paragraphs that are neither headings nor the title line."""
        heads = {h.paragraph.ordinal for h in self.headings}
        first_heading = min(heads, default=0)
        return [
            p
            for p in self.paragraphs
            if p.ordinal not in heads and not (p.ordinal < first_heading and p.number is None)
        ]


def section_of(name: str) -> str | None:
    for key, names, _ in SECTIONS:
        if name in names:
            return key
    return None


def analyse(text: str) -> DescriptionAnalysis:
    paragraphs: list[Paragraph] = []
    headings: list[Heading] = []
    mentions: dict[int, list[Paragraph]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        m = PARA_NUMBER.match(line)
        number = int(m.group(1)) if m else None
        body = line[m.end() :] if m else line.strip()
        p = Paragraph(len(paragraphs) + 1, number, body.strip())
        paragraphs.append(p)
        h = HEADING.match(body)
        if h and section_of(h.group(1)):
            headings.append(Heading(section_of(h.group(1)) or "", h.group(1), p))
            continue
        for f in FIGURE.finditer(body):
            first = int(f.group(1))
            numbers = [first]
            if f.group(2):
                last = int(f.group(2))
                joiner = body[f.start(1) : f.start(2)]
                if FIGURE_RANGE.search(joiner) and first < last <= first + 50:
                    numbers = list(range(first, last + 1))
                else:
                    numbers.append(last)
            for n in numbers:
                seen = mentions.setdefault(n, [])
                if p not in seen:
                    seen.append(p)
    return DescriptionAnalysis(paragraphs, headings, mentions)


def figures_supplied(drawings: list[tuple[str, int]]) -> list[int]:
    """The figure numbers of the drawings, given each file's path and page count (an image
    is one page). When every file is one figure named by its number (``fig3.png``,
    ``图3.pdf``) those numbers count; otherwise the pages are figures 1, 2, 3 … in order."""
    named: list[int] = []
    for path, pages in drawings:
        m = FIGURE_IN_NAME.search(PurePosixPath(path).stem)
        if m is None or pages != 1:
            named = []
            break
        named.append(int(m.group(1)))
    if named and len(set(named)) == len(named):
        return sorted(named)
    total = sum(pages for _, pages in drawings)
    return list(range(1, total + 1))
