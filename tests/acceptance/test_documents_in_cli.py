"""Word, CNIPA XML and ST.26 documents filed through ``patentdesk package add`` as an agency's
script would (issue 16): structured parts, the rendered PDF, validation, clear refusals."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import documents as d
from tests.support.cli import cli_env, run_cli
from tests.unit.packages.helpers import VALID_USCC, has_cjk_font

pytestmark = pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")


def cli(home: Path, *args: str):
    return run_cli(*args, env=cli_env(home=home))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def new_invention(home: Path, case: str) -> None:
    assert cli(home, "package", "new", "--type", "invention", "--out", case).returncode == 0
    result = cli(
        home,
        "package",
        "set",
        case,
        "title=一种折叠式电动自行车",
        "applicants.0.name=杭州某某科技有限公司",
        f"applicants.0.uscc={VALID_USCC}",
        "applicants.0.address=浙江省杭州市西湖区文三路1号",
        "applicants.0.postal_code=310012",
        "inventors.0.name=张三",
    )
    assert result.returncode == 0, result.stderr


def extract(case: str, entry: str, out: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(case) as zf:
        out.write_bytes(zf.read(entry))
    return out


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_an_application_written_in_word_is_filed_and_validates(home: Path, tmp_path: Path) -> None:
    case = str(tmp_path / "case.zip")
    new_invention(home, case)
    for role, path in (
        ("claims", d.claims_docx(tmp_path / "claims.docx")),
        ("description", d.description_docx(tmp_path / "description.docx")),
        ("abstract", d.abstract_docx(tmp_path / "abstract.docx")),
        ("drawings", d.drawings_docx(tmp_path / "drawings.docx")),
    ):
        added = cli(home, "package", "add", case, "--role", role, str(path), "--json")
        assert added.returncode == 0, added.stderr
        assert f"attachments/{role}/{role}.docx" in added.json["entries"]
        assert f"attachments/{role}/{role}.json" in added.json["entries"]
    validated = cli(home, "package", "validate", case, "--json")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert validated.json["errors"] == []
    files = {
        f["path"]: f["media_type"]
        for f in cli(home, "package", "show", case, "--json").json["files"]
    }
    assert files["attachments/drawings/drawings-fig-2.png"] == "image/png"
    assert files["attachments/description/description.pdf"] == "application/pdf"
    text = pdftotext(extract(case, "attachments/claims/claims.pdf", tmp_path / "c.pdf"))
    assert "1. 一种折叠式电动自行车" in text and "3. 根据权利要求1或2所述" in text
    text = pdftotext(extract(case, "attachments/description/description.pdf", tmp_path / "d.pdf"))
    assert "[0001]" in text and "具体实施方式" in text and "整车重量" in text


def test_cnipa_xml_claims_render_without_tags(home: Path, tmp_path: Path) -> None:
    case = str(tmp_path / "case.zip")
    new_invention(home, case)
    source = tmp_path / "100001.xml"
    source.write_text(d.CLAIMS_XML, "utf-8")
    added = cli(home, "package", "add", case, "--role", "claims", str(source), "--json")
    assert added.returncode == 0, added.stderr
    text = pdftotext(extract(case, "attachments/claims/100001.pdf", tmp_path / "c.pdf"))
    assert "claim-text" not in text and "<" not in text
    assert "2. 根据权利要求1所述的电动自行车" in text


def test_a_zip_bomb_docm_or_bad_listing_gets_a_clear_error(home: Path, tmp_path: Path) -> None:
    case = str(tmp_path / "case.zip")
    new_invention(home, case)
    before = Path(case).read_bytes()
    good = d.claims_docx(tmp_path / "good.docx")
    for bad, words in (
        (d.zip_bomb_docx(good, tmp_path / "bomb.docx"), "压缩炸弹"),
        (d.macro_docx(good, tmp_path / "claims.docm"), "含有宏"),
    ):
        refused = cli(home, "package", "add", case, "--role", "claims", str(bad), "--json")
        assert refused.returncode != 0
        assert refused.error["code"] == "PACKAGE_DOCUMENT_INVALID"
        assert words in refused.error["message"]
        assert "Traceback" not in refused.stderr
    listing = tmp_path / "seq.xml"
    listing.write_bytes(d.st26(declared=4))
    refused = cli(
        home, "package", "add", case, "--role", "sequence_listing", str(listing), "--json"
    )
    assert refused.error["code"] == "PACKAGE_SEQUENCE_LISTING_INVALID"
    assert "SequenceTotalQuantity" in refused.error["message"]
    assert Path(case).read_bytes() == before
    listing.write_bytes(d.st26())
    added = cli(home, "package", "add", case, "--role", "sequence_listing", str(listing), "--json")
    assert added.json["entries"] == ["attachments/sequence_listing/seq.xml"]
