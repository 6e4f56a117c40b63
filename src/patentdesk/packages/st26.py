"""WIPO ST.26 sequence listings: checked, and kept as XML (never converted to PDF).

The check reads the file as a stream (listings run to hundreds of megabytes) with defusedxml:
the root element is ``ST26SequenceListing`` with a ``dtdVersion``; ``SequenceTotalQuantity``
equals the number of ``SequenceData`` elements, numbered 1, 2, … in order; each sequence's
``INSDSeq_moltype`` is DNA, RNA or AA and its residues use that molecule type's alphabet
(ST.26 Annex I: lower-case nucleotides with ``t`` for DNA and ``u`` for RNA, upper-case
amino acids); ``INSDSeq_length`` is the length of the residues.

A real listing names its DTD in a DOCTYPE, so DTDs are allowed here; entity declarations and
external entities are still refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as defused_iterparse

ROOT = "ST26SequenceListing"
DTD_VERSION = re.compile(r"^V\d+_\d+$")
ALPHABETS = {
    "DNA": frozenset("acgtrymkswhbvdn"),
    "RNA": frozenset("acgurymkswhbvdn"),
    "AA": frozenset("ARNDCQEGHILKMFPOSUTWYVBZXJ"),
}
MAX_PROBLEMS = 20


@dataclass
class St26Report:
    dtd_version: str | None = None
    declared: int | None = None
    sequences: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, zh: str, en: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((zh, en))

    def summary(self, lang: str = "zh") -> str:
        index = 0 if lang == "zh" else 1
        return (
            "；".join(p[index] for p in self.problems)
            if lang == "zh"
            else "; ".join(p[index] for p in self.problems)
        )


def looks_like_st26(head: bytes) -> bool:
    return ROOT.encode() in head


def check_st26(stream: IO[bytes]) -> St26Report:
    """Checks an ST.26 listing; problems are collected (up to 20), never raised."""
    report = St26Report()
    depth = 0
    current: dict[str, str] = {}
    numbers: list[int] = []
    try:
        for event, el in defused_iterparse(
            stream, events=("start", "end"), forbid_dtd=False, forbid_entities=True
        ):
            name = el.tag.rsplit("}", 1)[-1]
            if event == "start":
                depth += 1
                if depth == 1:
                    if name != ROOT:
                        report.add(
                            f"根元素为 {name}，应为 {ROOT}",
                            f"the root element is {name}, expected {ROOT}",
                        )
                        return report
                    report.dtd_version = el.get("dtdVersion")
                    if not report.dtd_version or not DTD_VERSION.match(report.dtd_version):
                        report.add(
                            f"dtdVersion 缺失或无效（{report.dtd_version or '无'}）",
                            f"dtdVersion missing or invalid ({report.dtd_version or 'none'})",
                        )
                elif name == "SequenceData":
                    current = {"id": el.get("sequenceIDNumber") or ""}
                continue
            depth -= 1
            if name in ("INSDSeq_moltype", "INSDSeq_sequence", "INSDSeq_length"):
                current[name] = (el.text or "").strip()
            elif name == "SequenceTotalQuantity":
                try:
                    report.declared = int((el.text or "").strip())
                except ValueError:
                    report.add(
                        "SequenceTotalQuantity 不是数字", "SequenceTotalQuantity is not a number"
                    )
            elif name == "SequenceData":
                report.sequences += 1
                _check_sequence(report, current, report.sequences, numbers)
                el.clear()  # a listing can be huge: keep memory flat
            if depth == 1:
                el.clear()
    except DefusedXmlException:
        report.add("不接受 XML 实体声明", "XML entity declarations are not accepted")
        return report
    except Exception as exc:  # malformed XML
        report.add(f"XML 格式错误（{exc}）", f"malformed XML ({exc})")
        return report
    if report.declared is None:
        report.add("缺少 SequenceTotalQuantity", "SequenceTotalQuantity is missing")
    elif report.declared != report.sequences:
        report.add(
            f"SequenceTotalQuantity 为 {report.declared}，实有 {report.sequences} 个 SequenceData",
            f"SequenceTotalQuantity is {report.declared} but there are {report.sequences} "
            "SequenceData elements",
        )
    return report


def _check_sequence(
    report: St26Report, seq: dict[str, str], index: int, numbers: list[int]
) -> None:
    ident = seq.get("id", "")
    where_zh, where_en = f"序列 {ident or index}", f"sequence {ident or index}"
    if ident != str(index):
        report.add(
            f"{where_zh}：sequenceIDNumber 应为 {index}",
            f"{where_en}: sequenceIDNumber should be {index}",
        )
    moltype = seq.get("INSDSeq_moltype", "")
    if moltype not in ALPHABETS:
        report.add(
            f"{where_zh}：分子类型 {moltype or '无'} 无效（DNA、RNA 或 AA）",
            f"{where_en}: molecule type {moltype or 'none'} is invalid (DNA, RNA or AA)",
        )
        return
    residues = re.sub(r"\s", "", seq.get("INSDSeq_sequence", ""))
    if not residues:
        report.add(f"{where_zh}：没有残基序列", f"{where_en}: no residues")
        return
    bad = sorted(set(residues) - ALPHABETS[moltype])
    if bad:
        shown = "".join(bad[:10])
        report.add(
            f"{where_zh}：{moltype} 序列含有不允许的字符 {shown}",
            f"{where_en}: the {moltype} sequence holds characters not allowed: {shown}",
        )
    length = seq.get("INSDSeq_length")
    if length and length.isdigit() and int(length) != len(residues):
        report.add(
            f"{where_zh}：INSDSeq_length 为 {length}，实际 {len(residues)}",
            f"{where_en}: INSDSeq_length is {length} but the sequence has {len(residues)} residues",
        )
    numbers.append(index)
