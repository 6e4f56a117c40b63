"""业务采集 (business collection) over HTTP, the way the pages post: imports, deletions,
bad input refused with a clear message and nothing written.

SQLite only: drafts are files in the data folder; the database only holds the login.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from patentdesk.packages.container import add_signature, read_package
from patentdesk.packages.editing import add_attachment, add_related, new_package, set_fields
from tests.support.factories import Person, auth
from tests.unit.packages.helpers import VALID_USCC, has_cjk_font, png_bytes

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed"),
]

CSRF = "test-csrf-token"
CLAIMS = "1. 一种折叠式电动自行车，包括车架。\n2. 根据权利要求1所述的电动自行车，其特征在于车架可折叠。\n"


class Browser:
    """One logged-in user posting the portal's forms (with or without htmx)."""

    def __init__(self, client: Any, token: str, data_dir: Path) -> None:
        self.client = client
        self.headers = {**auth(token), "x-csrf-token": CSRF}
        self.data_dir = data_dir
        client.cookies.set("pd_csrf", CSRF)

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers, follow_redirects=False, **kw)

    def post(self, url: str, htmx: bool = False, **kw: Any) -> Any:
        headers = {**self.headers, **({"hx-request": "true"} if htmx else {})}
        return self.client.post(url, headers=headers, follow_redirects=False, **kw)

    def create(self, business_type: str) -> str:
        r = self.post("/drafts", data={"business_type": business_type})
        assert r.status_code == 303, r.text
        return str(r.headers["location"])

    def rev(self, url: str) -> str:
        match = re.search(r'name="rev" value="([0-9a-f]*)"', self.get(url).text)
        assert match
        return match.group(1)

    def save(self, url: str, fields: dict[str, str], htmx: bool = False, **extra: str) -> Any:
        data = {"rev": self.rev(url), "action": "save", **fields, **extra}
        return self.post(f"{url}/form", htmx=htmx, data=data)

    def file_of(self, url: str) -> Path:
        draft_id = url.rsplit("/", 1)[-1]
        found = list((self.data_dir / "drafts").glob(f"*/*/{draft_id}.zip"))
        assert len(found) == 1
        return found[0]


def error_in(html: str, element: str = "error") -> str:
    match = re.search(rf'id="{element}"[^>]*>([^<]*)<', html)
    assert match, f"no #{element} in the page"
    return match.group(1)


@pytest.fixture
def person(world: Any) -> Person:
    return world.person("张三")


@pytest.fixture
def web(client: Any, world: Any, person: Person, settings: Any) -> Browser:
    return Browser(client, world.token(person), settings.data)


def signed_invention(folder: Path) -> Path:
    path = folder / "imported.zip"
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
    for role, text in (("claims", CLAIMS), ("description", "技术领域\n本发明。\n")):
        add_attachment(path, role, text.encode(), filename=f"{role}.txt")
    add_attachment(path, "abstract", "一种折叠式电动自行车。\n".encode(), filename="abstract.txt")
    add_attachment(path, "other", png_bytes(), filename="defect.png")
    add_related(path, "substantive_examination")
    add_signature(path, b"0\x03\x02\x01\x00")  # a signature slot: dropped by any edit
    return path


@pytest.mark.seed("C9")
def test_an_imported_case_loses_a_defective_file_and_related_business(
    web: Browser, tmp_path: Path
) -> None:
    source = signed_invention(tmp_path)
    r = web.post("/drafts/import", files={"package": ("case.zip", source.read_bytes())})
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    listed = web.get("/drafts").text
    assert "一种折叠式电动自行车" in listed and "导入" in listed
    page = web.get(url).text
    assert 'id="draft-signatures"' in page and "1 个签名" in page
    assert 'data-related="substantive_examination"' in page

    r = web.post(
        f"{url}/attachments/delete", htmx=True, data={"entry": "attachments/other/defect.png"}
    )
    assert r.status_code == 200
    assert r.headers["hx-trigger"] == "draft-changed"
    assert "defect.png" not in r.text and 'id="attachments-section"' in r.text
    r = web.post(f"{url}/related/delete", htmx=True, data={"kind": "substantive_examination"})
    assert 'data-related="substantive_examination"' not in r.text

    downloaded = tmp_path / "resubmit.zip"
    r = web.get(f"{url}/download")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"
    downloaded.write_bytes(r.content)
    assert not list(web.data_dir.glob("drafts/*/*/.tmp/*"))  # the exported copy is gone
    with read_package(downloaded) as package, read_package(source) as original:
        assert package.package_id == original.package_id
        assert package.related == []
        assert package.attachments("other") == []
        assert package.signatures == []  # sign again before resubmitting
    assert 'data-ok="true"' in web.get(f"{url}/validation").text


def test_a_hostile_or_foreign_upload_is_refused_and_nothing_is_kept(
    web: Browser, tmp_path: Path
) -> None:
    import zipfile

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("mimetype", "application/vnd.patentdesk.case+zip")
        zf.writestr("/etc/cron.d/x", "boom")
    r = web.post("/drafts/import", files={"package": ("evil.zip", evil.read_bytes())})
    assert r.status_code == 422
    assert "案卷包" in error_in(r.text)
    r = web.post("/drafts/import", files={"package": ("notes.txt", "不是案卷包".encode())})
    assert r.status_code == 422
    assert "ZIP" in error_in(r.text)
    r = web.post("/drafts/import", data={})
    assert error_in(r.text) == "请选择要上传的文件"
    assert 'data-draft="' not in web.get("/drafts").text
    assert not list((web.data_dir / "drafts").glob("*/*/*.zip"))


def test_bad_input_gets_a_clear_error_and_changes_nothing(web: Browser) -> None:
    url = web.create("design")
    path = web.file_of(url)
    before = path.read_bytes()

    r = web.save(url, {"title": "一种椅子", "similar_designs": "很多"})
    assert r.status_code == 422
    assert "similar_designs" in error_in(r.text, "form-error")
    assert 'value="很多"' in r.text and 'value="一种椅子"' in r.text  # kept as typed
    r = web.save(url, {"similar_designs": "0"}, htmx=True)
    assert r.status_code == 200  # htmx swaps only successful answers: the error is inside
    assert "similar_designs" in error_in(r.text, "form-error")
    assert "HX-Trigger" not in r.headers

    # A natural person cannot write agency data, even by posting the field (C8).
    r = web.save(url, {"agency.name": "某某专利代理事务所"})
    assert r.status_code == 403
    assert "代理机构经办人或子账户" in error_in(r.text, "form-error")
    r = web.post(f"{url}/form", data={"rev": "0" * 64, "title": "x"})
    assert r.status_code == 409
    assert "其他页面" in error_in(r.text, "form-error")
    r = web.save(url, {}, action="remove:title")
    assert r.status_code == 422
    assert "remove:title" in error_in(r.text, "form-error")

    uploads = [
        ({"role": "design_views"}, ("views.bin", b"\x00\x01\x02binary"), "只接受 PDF"),
        ({"role": "claims"}, ("claims.txt", CLAIMS.encode()), "不接受附件角色 claims"),
        ({"role": "design_views"}, None, "请选择要上传的文件"),
    ]
    for data, file, message in uploads:
        files = {"file": file} if file else None
        r = web.post(f"{url}/attachments", data=data, files=files)
        assert r.status_code >= 400
        assert message in error_in(r.text, "attachments-error"), message
    r = web.post(f"{url}/attachments/delete", data={"entry": "attachments/x/none.pdf"})
    assert r.status_code == 404
    assert "none.pdf" in error_in(r.text, "attachments-error")
    r = web.post(f"{url}/related/delete", data={"kind": "design_views"})
    assert r.status_code == 404
    r = web.post(f"{url}/related", data={"kind": "substantive_examination"})
    assert "substantive_examination" in error_in(r.text, "related-error")
    assert path.read_bytes() == before

    # Without the CSRF token nothing happens either.
    r = web.client.post(
        f"{url}/form", headers=auth(web.headers["Authorization"][7:]), data={"title": "x"}
    )
    assert r.status_code == 403
    assert path.read_bytes() == before


def test_same_name_needs_replace(web: Browser) -> None:
    url = web.create("invention")
    claims = {"file": ("claims.txt", CLAIMS.encode())}
    assert web.post(f"{url}/attachments", data={"role": "claims"}, files=claims).status_code == 303
    r = web.post(f"{url}/attachments", data={"role": "claims"}, files=claims)
    assert r.status_code == 409
    assert "替换同名文件" in error_in(r.text, "attachments-error")
    r = web.post(f"{url}/attachments", data={"role": "claims", "replace": "true"}, files=claims)
    assert r.status_code == 303


def test_entries_are_added_and_removed_without_javascript(web: Browser) -> None:
    url = web.create("invention")
    r = web.save(url, {"title": "折叠车"}, action="add:inventors")
    assert r.status_code == 303
    assert r.headers["location"] == f"{url}?add=inventors#f-inventors"
    page = web.get(f"{url}?add=inventors").text
    assert 'data-entry="inventors.0"' in page and "新增，尚未保存" in page
    web.save(url, {"inventors.0.name": "张三", "inventors.1.name": "李四"})
    r = web.save(
        url, {"inventors.0.name": "张三", "inventors.1.name": "李四"}, action="remove:inventors.0"
    )
    assert r.status_code == 303
    with read_package(web.file_of(url)) as package:
        assert package.form["title"] == "折叠车"
        assert [i["name"] for i in package.form["inventors"]] == ["李四"]


@pytest.mark.seed("C4")
def test_a_change_starts_with_the_current_login_and_messages_follow_the_language(
    web: Browser, person: Person
) -> None:
    url = web.create("change")
    page = web.get(url).text
    assert f'name="efiling_user_after.name" value="{person.name}"' in page
    assert f'name="efiling_user_after.user_id" value="{person.user_id}"' in page
    r = web.save(url, {"efiling_user_after.name": "杭州某某科技有限公司"})
    assert r.status_code == 303
    zh = web.get(f"{url}/validation").text
    en = web.get(f"{url}/validation?lang=en").text
    assert 'data-rule="application_number.required"' in zh
    assert 'data-rule="change.efiling_user"' not in zh  # pre-filled, then edited: still given
    # In words, at the field's label: the offline client's field path stays in the CLI.
    assert "请填写申请号" in zh and "（application_number）" not in zh
    assert "The application number is required" in en
    assert "(application_number)" not in en
    assert "请填写申请号" not in en


@pytest.mark.seed("C9")
def test_a_legacy_package_with_a_defective_file_is_repaired_on_the_page(
    web: Browser, tmp_path: Path
) -> None:
    from tests.unit.packages.helpers import legacy_package

    source = legacy_package(tmp_path / "legacy.zip", defective_poa=True)
    r = web.post("/drafts/import", files={"package": ("legacy.zip", source.read_bytes())})
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    assert "导入（旧版 CPC）" in web.get("/drafts").text
    findings = web.get(f"{url}/validation").text
    defect = re.search(
        r'data-rule="([\w.]+)" data-field="(attachments/power_of_attorney/[^"]+)"', findings
    )
    assert defect, findings
    r = web.post(f"{url}/attachments/delete", htmx=True, data={"entry": defect.group(2)})
    assert defect.group(2) not in r.text
    assert defect.group(2) not in web.get(f"{url}/validation").text


def test_a_legacy_package_hiding_entities_behind_utf7_is_refused_at_once(
    web: Browser, tmp_path: Path
) -> None:
    """The review's 789-byte upload: a UTF-7 declaration hid a billion-laughs DTD from the
    entity check and the import spent 30 s of CPU expanding it."""
    import io
    import zipfile

    levels = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    body = f'<!DOCTYPE d [<!ENTITY e0 "lol">{levels}]><data-bus>&e9;</data-bus>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("list.xml", b'<?xml version="1.0" encoding="UTF-7"?>' + body.encode("utf-7"))
    assert len(buffer.getvalue()) < 1024
    r = web.post("/drafts/import", files={"package": ("legacy.zip", buffer.getvalue())})
    assert r.status_code == 422
    assert "UTF-7" in error_in(r.text)
    assert 'data-draft="' not in web.get("/drafts").text
