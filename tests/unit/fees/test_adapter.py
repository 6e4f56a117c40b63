"""Reading a case package's fee facts (the provisional adapter until packages/ is merged)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from patentdesk.fees import FeeInputInvalid, PackageUnreadable, fee_input_from_package


def pdf_pages(n: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for i in range(n):
        c.drawString(72, 720, f"page {i + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def package(tmp_path: Path, request: Any, files: dict[str, bytes] | None = None, **extra) -> Path:
    path = tmp_path / "case.zip"
    with zipfile.ZipFile(path, "w") as z:
        if request is not None:
            z.writestr("forms/request.json", json.dumps(request, ensure_ascii=False))
        for name, data in (files or {}).items():
            z.writestr(name, data)
        for name, data in extra.items():
            z.writestr(name.replace("__", "/"), data)
    return path


CLAIMS_TEXT = "\n".join(
    f"{i}. 根据权利要求1所述的自行车，其特征在于……" for i in range(1, 13)
).encode()


def test_reads_request_and_counts_attachments(tmp_path: Path) -> None:
    request = {
        "business_type": "invention",
        "title": "一种折叠式电动自行车",
        "priorities": [{"number": "US 63/000,001"}, {"number": "JP 2025-1"}],
        "applicants": [
            {"name": "张三", "fee_reduction": True},
            {"name": "李四", "fee_reduction": True},
        ],
    }
    files = {
        "attachments/description/desc.pdf": pdf_pages(28),
        "attachments/drawings/fig.pdf": pdf_pages(5),
        "attachments/abstract/abstract.pdf": pdf_pages(1),
        "attachments/claims/claims.txt": CLAIMS_TEXT,
    }
    fi = fee_input_from_package(package(tmp_path, request, files))
    assert fi.business_type == "invention" and fi.patent_type == "invention"
    assert fi.claims == 12
    assert fi.pages == 33  # description + drawings only (说明书含附图)
    assert fi.priority_claims == 2
    assert fi.applicants == 2 and fi.qualifying_applicants == 2 and fi.reduction_requested


def test_manifest_roles_and_page_counts_win(tmp_path: Path) -> None:
    manifest = {
        "files": [
            {"path": "a/1.pdf", "role": "description", "pages": 301},
            {"path": "a/2.pdf", "role": "claims", "pages": 3},
        ]
    }
    request = {"type": "utility", "claims_count": 14}
    path = package(
        tmp_path,
        request,
        {"manifest.json": json.dumps(manifest).encode(), "a/1.pdf": b"x", "a/2.pdf": b"y"},
    )
    fi = fee_input_from_package(path)
    assert (fi.business_type, fi.claims, fi.pages) == ("utility", 14, 301)
    assert fi.reduction_requested is False


def test_form_code_file_names_and_pct_sheets(tmp_path: Path) -> None:
    files = {
        "100002/100002.pdf": pdf_pages(20),
        "100001/100001.pdf": pdf_pages(4),
        "100004/100004.pdf": pdf_pages(1),
        "100003/100003.pdf": pdf_pages(6),
    }
    request = {"business_type": "pct", "request_sheets": 4, "efiling_format": "XML"}
    fi = fee_input_from_package(package(tmp_path, request, files))
    assert fi.sheets == 35 and fi.efiling_format == "xml"


@pytest.mark.parametrize(
    ("number", "patent_type"),
    [("201710601862.3", "invention"), ("202320000001.X", "utility"), ("95315608.X", "design")],
)
def test_patent_type_from_application_number(tmp_path: Path, number: str, patent_type: str) -> None:
    request = {"business_type": "reexam", "application_number": number}
    assert fee_input_from_package(package(tmp_path, request)).patent_type == patent_type


def test_follow_up_fields(tmp_path: Path) -> None:
    request = {
        "business_type": "pct_national",
        "isa": "ep",
        "annual_fee_year": "3",
        "fees": ["pct_national_grace", {"code": "restoration", "count": 1}],
        "changes": [{"item": "inventor", "after": "王五"}, "address"],
        "fee_reduction_requested": False,
        "applicants": [{"name": "某公司", "fee_reduction": {"qualifies": True}}],
    }
    fi = fee_input_from_package(package(tmp_path, request))
    assert fi.business_type == "pct-national" and fi.international_search_by == "EP"
    assert fi.annual_fee_year == 3
    assert [r.code for r in fi.requested_items] == ["pct_national_grace", "restoration"]
    assert fi.changes == ["inventor", "address"]
    assert fi.qualifying_applicants == 1 and fi.reduction_requested is False


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "case.zip"
    path.write_text("hello")
    with pytest.raises(PackageUnreadable) as err:
        fee_input_from_package(path)
    assert "ZIP" in err.value.en and str(path) in err.value.zh


@pytest.mark.parametrize(
    ("request_json", "needle"),
    [
        (None, "forms/request.json is missing"),
        ([1, 2], "not an object"),
        ({"business_type": "invention", "claims_count": "many"}, "claims_count"),
    ],
)
def test_bad_request(tmp_path: Path, request_json: Any, needle: str) -> None:
    with pytest.raises(PackageUnreadable) as err:
        fee_input_from_package(package(tmp_path, request_json))
    assert needle in err.value.en


def test_unknown_business_type_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FeeInputInvalid) as err:
        fee_input_from_package(package(tmp_path, {"business_type": "ic-layout"}))
    assert "business_type" in err.value.en


def test_damaged_pdf_attachment(tmp_path: Path) -> None:
    files = {"attachments/description/desc.pdf": b"%PDF-1.4 truncated"}
    with pytest.raises(PackageUnreadable) as err:
        fee_input_from_package(package(tmp_path, {"business_type": "invention"}, files))
    assert "attachment" in err.value.en


def _real_package(tmp_path: Path, kind: str, *fields: str) -> Path:
    """A package as the client writes it (patentdesk.packages), text attachments included."""
    from patentdesk.packages.editing import add_attachment, new_package, set_fields

    path = tmp_path / f"{kind}.zip"
    new_package(kind, path)
    set_fields(path, ["applicants.0.name=某公司", "applicants.1.name=某大学", *fields])
    add_attachment(path, "claims", CLAIMS_TEXT, filename="claims.txt")
    add_attachment(path, "description", pdf_pages(32), filename="description.pdf")
    return path


def test_business_type_from_the_manifest_and_text_counted_once(tmp_path: Path) -> None:
    fi = fee_input_from_package(_real_package(tmp_path, "pct"))
    # The claims text and the PDF the client rendered from it are one document, not two.
    claims_pages = 1
    assert fi.business_type == "pct" and fi.claims == 12
    assert fi.sheets == 32 + claims_pages


def test_national_phase_kind_and_the_forms_fee_reduction(tmp_path: Path) -> None:
    path = _real_package(
        tmp_path,
        "pct-national",
        "entry_kind=utility",
        "fee_reduction=true",
        "international_application_number=PCT/CN2022/000001",
    )
    fi = fee_input_from_package(path)
    assert (fi.business_type, fi.patent_type) == ("pct-national", "utility")
    assert fi.reduction_requested and fi.applicants == fi.qualifying_applicants == 2


# Issue 17: the examination fee was charged although examination was not requested.
@pytest.mark.parametrize(
    ("request_extra", "related", "requested"),
    [
        ({}, False, False),
        ({}, True, True),  # 实质审查请求书 (110401) filed with the application
        ({"request_examination": True}, False, True),  # the form's own flag wins
        ({"request_examination": False}, True, False),
    ],
)
def test_examination_is_charged_only_when_requested(
    tmp_path: Path, request_extra: dict[str, Any], related: bool, requested: bool
) -> None:
    from patentdesk.fees import calculate

    files = {"attachments/claims/claims.txt": CLAIMS_TEXT}
    if related:
        files["forms/substantive_examination.json"] = b'{"kind": "substantive_examination"}'
    path = package(tmp_path, {"business_type": "invention", **request_extra}, files)
    fi = fee_input_from_package(path)
    assert fi.request_examination is requested
    codes = {i.code for i in calculate(fi).items}
    assert ("examination_invention" in codes) is requested
