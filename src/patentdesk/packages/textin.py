"""What ``package add`` makes of a Word document, a CNIPA XML text part or an ST.26 sequence
listing: the files to add under the role (see :mod:`patentdesk.packages.textparts`)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from patentdesk.packages import errors as e
from patentdesk.packages.container import NewFile
from patentdesk.packages.registry import PDF, ROLES, TEXT, XML
from patentdesk.packages.textparts import (
    DOCX,
    STRUCTURED,
    TextDocument,
    figure_name,
    plain_text,
    render_pdf,
    structure,
    structure_bytes,
)

DRAWING_ROLES = ("drawings", "abstract_drawing", "design_views")
XML_TEXT_ROLES = ("claims", "description", "abstract")
Source = str | os.PathLike[str] | bytes


def _opener(source: Source) -> Callable[[], BinaryIO]:
    if isinstance(source, bytes):
        data = source
        return lambda: io.BytesIO(data)
    path = Path(source)
    return lambda: open(path, "rb")


def looks_like_xml(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<?xml") or (text[:1] == b"<" and text[1:2].isalpha())


def convert(name: str, role: str, source: Source, size: int, head: bytes) -> list[NewFile] | None:
    """The files for a Word, CNIPA XML or ST.26 source; None when it is none of those."""
    from patentdesk.packages.docx_in import is_docx_head, is_ole_head, read_docx

    spec = ROLES[role]
    stem = PurePosixPath(name).stem if "." in name else name
    if is_docx_head(head) or is_ole_head(head):
        if (not spec.text_source and role not in DRAWING_ROLES) or role == "sequence_listing":
            raise e.AttachmentRejected(
                name=name,
                reason=f"角色 {role} 不接受 Word 文档 / role {role} takes no Word document",
            )
        with _opener(source)() as stream:
            doc = read_docx(stream, size, name, role)
        return files_for(doc, role, stem, f"{stem}.docx", DOCX, source, size)
    if role == "sequence_listing" and looks_like_xml(head):
        return [_sequence_listing(name, stem, source, size)]
    if role in XML_TEXT_ROLES and looks_like_xml(head):
        from patentdesk.packages.cnipa_xml import MAX_XML, read_cnipa_xml

        if size > MAX_XML:
            raise e.AttachmentRejected(name=name, reason=f"XML > {MAX_XML} bytes")
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        doc = read_cnipa_xml(data, name, role)
        return files_for(doc, role, stem, f"{stem}.xml", XML, data, len(data))
    return None


def files_for(
    doc: TextDocument,
    role: str,
    stem: str,
    source_name: str,
    source_type: str,
    source: Source,
    size: int,
) -> list[NewFile]:
    """The rendering, text, structure and kept source of one converted document."""
    folder = f"attachments/{role}"
    files: list[NewFile] = []
    figure_paths: dict[int, str] = {}
    if role in DRAWING_ROLES:
        for figure in doc.figures:
            path = f"{folder}/{figure_name(stem, figure)}"
            figure_paths[figure.number] = path
            files.append(NewFile(path, role, figure.media_type, data=figure.data))
    else:
        files.append(NewFile(f"{folder}/{stem}.pdf", role, PDF, data=render_pdf(doc)))
        files.append(
            NewFile(f"{folder}/{stem}.txt", role, TEXT, data=plain_text(doc).encode("utf-8"))
        )
    source_path = f"{folder}/{source_name}"
    data = structure(doc, source_path, figure_paths)
    files.append(NewFile(f"{folder}/{stem}.json", role, STRUCTURED, data=structure_bytes(data)))
    if isinstance(source, bytes):
        files.append(NewFile(source_path, role, source_type, data=source))
    else:
        files.append(
            NewFile(source_path, role, source_type, opener=_opener(source), size_hint=size)
        )
    return files


def _sequence_listing(name: str, stem: str, source: Source, size: int) -> NewFile:
    from patentdesk.packages.st26 import check_st26

    with _opener(source)() as stream:
        report = check_st26(stream)
    if not report.ok:
        raise e.SequenceListingInvalid.bilingual(
            {"name": name, "reason": report.summary("zh")},
            {"name": name, "reason": report.summary("en")},
        )
    path = f"attachments/sequence_listing/{stem}.xml"
    if isinstance(source, bytes):
        return NewFile(path, "sequence_listing", XML, data=source)
    return NewFile(path, "sequence_listing", XML, opener=_opener(source), size_hint=size)
