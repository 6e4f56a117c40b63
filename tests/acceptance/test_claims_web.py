"""The claim tree and the examiner-style findings in the web editor (issue 16), over HTTP as
the pages post: each independent claim with its dependents nested, each finding at the
claim or paragraph it concerns, in Chinese and in English; the abstract figure set in the
form.

SQLite only: drafts are files in the data folder; the database only holds the login.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from patentdesk.packages.container import read_package
from patentdesk.packages.editing import add_attachment, new_package, set_fields
from tests.acceptance.test_drafts_http import Browser
from tests.support.factories import Person
from tests.unit.packages.helpers import VALID_USCC, has_cjk_font, png_bytes

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed"),
]

CLAIMS = (
    "1. 一种折叠式电动自行车，包括车架(1)。\n"
    "2. 根据权利要求1所述的电动自行车，其特征在于，所述车架可折叠。\n"
    "3. 根据权利要求1或2所述的电动自行车，其特征在于，还包括电池。\n"
    "4. 根据权利要求1和3所述的电动自行车，其特征在于，所述电池可拆卸。\n"
    "5. 一种折叠电动自行车的方法，包括：展开车架。\n"
    "6. 根据权利要求5所述的方法，还包括锁定车架。\n"
)
DESCRIPTION = (
    "技术领域\n[0001] 本发明涉及电动自行车。\n"
    "[0002] 现有电动自行车不便携带。\n"  # no 背景技术 heading
    "发明内容\n[0003] 本发明提供一种可折叠的电动自行车。\n"
    "附图说明\n[0004] 图1是侧视图，图2是俯视图。\n"
    "具体实施方式\n[0005] 如图1所示，车架中部设有折叠机构。\n"
)


@pytest.fixture
def person(world: Any) -> Person:
    return world.person("张三")


@pytest.fixture
def web(client: Any, world: Any, person: Person, settings: Any) -> Browser:
    return Browser(client, world.token(person), settings.data)


def case_with_claims(folder: Path) -> Path:
    path = folder / "case.zip"
    new_package("invention", path)
    set_fields(
        path,
        [
            "title=一种折叠式电动自行车",
            "applicants.0.name=杭州某某科技有限公司",
            f"applicants.0.uscc={VALID_USCC}",
            "applicants.0.address=浙江省杭州市西湖区文三路1号",
            "applicants.0.postal_code=310012",
            "inventors.0.name=张三",
        ],
    )
    add_attachment(path, "claims", CLAIMS.encode(), filename="claims.txt")
    add_attachment(path, "description", DESCRIPTION.encode(), filename="description.txt")
    add_attachment(path, "abstract", "一种折叠式电动自行车。\n".encode(), filename="abstract.txt")
    add_attachment(path, "drawings", png_bytes(), filename="fig1.png")
    return path


def claim_item(html: str, number: int) -> str:
    """The markup of one claim of the tree up to the next claim's start."""
    start = html.index(f'id="claim-{number}"')
    following = html.find('<li class="claim-node', start)
    return html[start : following if following > 0 else len(html)]


def test_claim_tree_and_findings_at_their_claim(web: Browser, tmp_path: Path) -> None:
    r = web.post(
        "/drafts/import", files={"package": ("case.zip", case_with_claims(tmp_path).read_bytes())}
    )
    assert r.status_code == 303, r.text
    url = r.headers["location"]

    page = web.get(url).text
    assert 'id="claim-tree"' in page and "权利要求树" in page
    assert 'data-count="6"' in page and "共 6 项权利要求" in page
    assert "产品 1" in page and "方法 5" in page
    # Nesting: 2, 3 under 1 (4 under 1 too: its first reference), 6 under 5.
    tree = page[page.index('id="claim-tree"') :]
    one = tree[tree.index('id="claim-1"') : tree.index('id="claim-5"')]
    assert all(f'id="claim-{n}"' in one for n in (2, 3, 4))
    assert 'id="claim-6"' in tree[tree.index('id="claim-5"') :]
    assert "独立权利要求 · 产品" in claim_item(page, 1)
    assert "多项从属 · 引用 1或2" in claim_item(page, 3)
    # The r. 25 finding sits at claim 4, the antecedent warning nowhere else.
    four = claim_item(page, 4)
    assert 'data-rule="claims.multiple_alternative"' in four and "第二十五条" in four
    assert 'data-rule="claims.multiple_basis"' in four
    assert 'data-rule="claims.multiple_alternative"' not in claim_item(page, 3)
    # The validation list links to the claim, labelled by it.
    assert 'href="#claim-4">权利要求书 · 权利要求 4</a>' in page
    # The description: figure 2 is mentioned at [0004] but not supplied.
    assert 'id="desc-0004"' in page and 'data-rule="description.figure_missing"' in page
    assert 'href="#desc-0004">说明书 · [0004]</a>' in page
    # A finding on the whole description is listed with the description's, not as an
    # error of the attachments.
    whole = page[page.index('id="description-all"') : page.index('id="desc-0004"')]
    assert 'data-rule="description.sections"' in whole and "背景技术" in whole
    attachments = page[page.index('id="attachments-section"') :]
    assert "背景技术" not in attachments[: attachments.index("</section>")]
    # No command-line hints on the page.
    assert "package add" not in page and "abstract_figure)" not in page

    english = web.get(f"{url}/validation?lang=en").text
    assert "Claim tree" in english and "6 claim(s)" in english
    assert "Multiple dependent · on 1 or 2" in english
    assert "Independent · method" in english
    assert "Implementing Regulations r. 25" in claim_item(english, 4)
    assert 'href="#claim-4">Claims · claim 4</a>' in english
    assert 'href="#desc-0004">Description · [0004]</a>' in english


def test_abstract_figure_is_set_in_the_form(web: Browser, tmp_path: Path) -> None:
    r = web.post(
        "/drafts/import", files={"package": ("case.zip", case_with_claims(tmp_path).read_bytes())}
    )
    url = r.headers["location"]
    page = web.get(url).text
    assert 'name="abstract_figure"' in page
    assert 'data-rule="abstract.figure"' in page
    r = web.save(url, {"abstract_figure": "3"})
    assert r.status_code in (200, 303), r.text
    page = web.get(url).text
    assert 'data-rule="abstract.figure_number"' in page and "图3" in page
    assert 'data-rule="abstract.figure"' not in page
    r = web.save(url, {"abstract_figure": "1"})
    with read_package(web.file_of(url)) as package:
        assert package.form["abstract_figure"] == 1
    page = web.get(url).text
    assert not re.search(r'data-rule="abstract\.figure(_number)?"', page)
