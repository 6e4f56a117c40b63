from __future__ import annotations

from pathlib import Path

import pytest

from patentdesk.packages import editing
from tests.unit.packages.helpers import VALID_USCC, ThrowawaySigner, has_cjk_font, pdf_bytes

CLAIMS = "1. 一种折叠式电动自行车，包括车架。\n2. 根据权利要求1所述的电动自行车，其特征在于车架可折叠。\n"
AGENCY = editing.Editor(role="sub", org_kind="agency", user_id="acct-1", name="某某专利代理事务所")

needs_font = pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")


@pytest.fixture
def signer() -> ThrowawaySigner:
    return ThrowawaySigner()


@pytest.fixture
def invention(tmp_path: Path) -> Path:
    """A complete, valid invention package (claims as text, the rest as PDF)."""
    if not has_cjk_font():
        pytest.skip("fonts-wqy-zenhei is not installed")
    path = tmp_path / "case.zip"
    editing.new_package("invention", path)
    editing.set_fields(
        path,
        [
            "title=一种折叠式电动自行车",
            "internal_number=AG-2026-0001",
            "applicants.0.name=杭州某某科技有限公司",
            f"applicants.0.uscc={VALID_USCC}",
            "applicants.0.address=浙江省杭州市西湖区文三路1号",
            "applicants.0.postal_code=310012",
            "inventors.0.name=张三",
        ],
    )
    editing.add_attachment(path, "claims", CLAIMS.encode(), filename="claims.txt")
    editing.add_attachment(path, "description", pdf_bytes(2), filename="description.pdf")
    editing.add_attachment(
        path, "abstract", "一种折叠式电动自行车。".encode(), filename="abstract.txt"
    )
    return path
