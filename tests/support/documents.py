"""Real application documents for the tests: Word files built with python-docx (Chinese
text, a table, a formula written in Word's equation editor and one as a picture, drawings),
CNIPA XML text parts and WIPO ST.26 sequence listings, and hostile variants of them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

CLAIMS = [
    "一种折叠式电动自行车，包括车架（1）和电池（2），其特征在于所述车架（1）可折叠。",
    "根据权利要求1所述的电动自行车，其特征在于所述电池（2）位于车架内。",
    "根据权利要求1或2所述的电动自行车，其特征在于还包括折叠锁（3）。",
]
OMML = (
    '<m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math">'
    "<m:r><m:t>F=m·a</m:t></m:r></m:oMath>"
)


def image_png(label: str = "F", size: tuple[int, int] = (240, 80)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).rectangle((5, 5, size[0] - 5, size[1] - 5), outline="black", width=3)
    ImageDraw.Draw(img).text((20, size[1] // 2 - 5), label, fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _save(document: object, path: Path) -> Path:
    document.save(str(path))  # type: ignore[attr-defined]
    return path


def claims_docx(path: Path, claims: list[str] | None = None) -> Path:
    from docx import Document

    doc = Document()
    doc.add_paragraph("权利要求书")
    for i, text in enumerate(claims or CLAIMS, start=1):
        doc.add_paragraph(f"{i}. {text}")
    return _save(doc, path)


def description_docx(path: Path, *, figures: int = 2) -> Path:
    """A description with its five sections, a table, an OMML formula, a formula picture."""
    from docx import Document
    from docx.oxml import parse_xml
    from docx.shared import Inches

    doc = Document()
    doc.add_paragraph("一种折叠式电动自行车")
    doc.add_heading("技术领域", level=1)
    doc.add_paragraph("[0001] 本发明涉及一种电动自行车，特别是一种折叠式电动自行车。")
    doc.add_paragraph("背景技术")
    doc.add_paragraph("现有的电动自行车体积大，不便携带。")
    table = doc.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate((("参数", "数值"), ("整车重量", "12 kg"), ("折叠尺寸", "80 cm"))):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    doc.add_paragraph("发明内容")
    p = doc.add_paragraph("车架所受的力满足公式")
    p._p.append(parse_xml(OMML))
    p.add_run("，其中m为质量。")
    formula = doc.add_paragraph("折叠锁的锁紧力按下式计算：")
    formula.add_run().add_picture(io.BytesIO(image_png("T=k·x")), width=Inches(1.5))
    doc.add_paragraph("附图说明")
    for n in range(1, figures + 1):
        doc.add_paragraph(f"图{n}是本发明第{n}视图。")
    doc.add_paragraph("具体实施方式")
    doc.add_paragraph("如图1所示，车架1通过折叠锁3折叠。")
    return _save(doc, path)


def abstract_docx(path: Path, text: str = "一种折叠式电动自行车，车架可折叠，便于携带。") -> Path:
    from docx import Document

    doc = Document()
    doc.add_paragraph("说明书摘要")
    doc.add_paragraph(text)
    return _save(doc, path)


def drawings_docx(path: Path, figures: int = 2) -> Path:
    from docx import Document
    from docx.shared import Inches

    doc = Document()
    for n in range(1, figures + 1):
        doc.add_paragraph().add_run().add_picture(
            io.BytesIO(image_png(f"FIG {n}", (320, 200))), width=Inches(3)
        )
        doc.add_paragraph(f"图{n}")
    return _save(doc, path)


def _rewrite_zip(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in change:
                data = change.pop(info.filename)
                if data is not None:
                    zout.writestr(info.filename, data)
            else:
                zout.writestr(info, zin.read(info))
        for name, data in change.items():
            if data is not None:
                zout.writestr(name, data)
    return dst


def zip_bomb_docx(src: Path, dst: Path, mib: int = 24) -> Path:
    """A real document with one part that inflates over 100-fold (zeros)."""
    return _rewrite_zip(src, dst, {"word/media/padding.bin": b"\0" * (mib * 1024 * 1024)})


def macro_docx(src: Path, dst: Path) -> Path:
    """The same document saved as macro-enabled (.docm): a VBA project and its type."""
    with zipfile.ZipFile(src) as zf:
        types = zf.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    return _rewrite_zip(
        src,
        dst,
        {"[Content_Types].xml": types.encode(), "word/vbaProject.bin": b"\xd0\xcf\x11\xe0VBA"},
    )


def entity_docx(src: Path, dst: Path) -> Path:
    """document.xml with an entity-expansion DTD (billion laughs)."""
    with zipfile.ZipFile(src) as zf:
        body = zf.read("word/document.xml").decode()
    decl, rest = body.split("?>", 1)
    dtd = '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    return _rewrite_zip(src, dst, {"word/document.xml": (decl + "?>" + dtd + rest).encode()})


CLAIMS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<cn-application-body lang="zh" country="CN"><cn-claims id="claims001">
<claim id="cl0001" num="0001"><claim-text>一种折叠式电动自行车，包括车架（1），其特征在于所述车架（1）可折叠。</claim-text></claim>
<claim id="cl0002" num="0002"><claim-text>根据权利要求<claim-ref idref="cl0001">1</claim-ref>所述的电动自行车，其特征在于还包括<b>折叠锁</b>（3）。</claim-text></claim>
</cn-claims></cn-application-body>
"""

DESCRIPTION_XML = """<?xml version="1.0" encoding="GBK"?>
<cn-application-body lang="zh" country="CN"><cn-description>
<invention-title>一种折叠式电动自行车</invention-title>
<technical-field><heading>技术领域</heading><p num="0001">本发明涉及一种电动自行车。</p></technical-field>
<background-art><heading>背景技术</heading><p num="0002">现有的电动自行车体积大。</p>
<tables num="1"><table><row><entry>参数</entry><entry>数值</entry></row><row><entry>重量</entry><entry>12 kg</entry></row></table></tables></background-art>
<disclosure><heading>发明内容</heading><p num="0003">车架可折叠<sub>1</sub>。</p></disclosure>
<description-of-drawings><heading>附图说明</heading><p num="0004">图1是结构示意图。</p></description-of-drawings>
<mode-for-invention><heading>具体实施方式</heading><p num="0005">如<figref>图1</figref>所示，车架1可折叠。</p></mode-for-invention>
</cn-description></cn-application-body>
"""

ABSTRACT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<cn-application-body><cn-abstract><p num="0001">一种折叠式电动自行车，车架可折叠。</p></cn-abstract></cn-application-body>
"""


def st26(
    sequences: list[tuple[str, str]] | None = None,
    *,
    declared: int | None = None,
    root: str = "ST26SequenceListing",
    dtd_version: str | None = "V1_3",
) -> bytes:
    """An ST.26 sequence listing; ``sequences`` are (molecule type, residues)."""
    sequences = sequences if sequences is not None else [("DNA", "atgcatgcnn"), ("AA", "MKLVA")]
    body = "".join(
        f'<SequenceData sequenceIDNumber="{i}"><INSDSeq><INSDSeq_length>{len(res)}'
        f"</INSDSeq_length><INSDSeq_moltype>{mol}</INSDSeq_moltype>"
        f"<INSDSeq_division>PAT</INSDSeq_division><INSDSeq_sequence>{res}</INSDSeq_sequence>"
        "</INSDSeq></SequenceData>"
        for i, (mol, res) in enumerate(sequences, start=1)
    )
    version = f' dtdVersion="{dtd_version}"' if dtd_version else ""
    count = len(sequences) if declared is None else declared
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE {root} PUBLIC "-//WIPO//DTD Sequence Listing 1.3//EN" '
        '"ST26SequenceListing_V1_3.dtd">\n'
        f'<{root}{version} fileName="seq.xml" softwareName="WIPO Sequence" '
        'softwareVersion="2.3.0" productionDate="2026-03-01">'
        "<ApplicantFileReference>AG-2026-0001</ApplicantFileReference>"
        '<ApplicantName languageCode="zh">杭州某某科技有限公司</ApplicantName>'
        '<InventionTitle languageCode="zh">一种折叠式电动自行车</InventionTitle>'
        f"<SequenceTotalQuantity>{count}</SequenceTotalQuantity>{body}</{root}>\n"
    ).encode()
