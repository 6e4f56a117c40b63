"""Advanced query, statistics and the My Desk panel in a real headless Chromium."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patentdesk.timeutil import beijing_date
from tests.support.browser import web_login
from tests.support.cases import add_case, add_notice, agency_desk
from tests.support.factories import PASSWORD
from tests.support.fees import paid_month, paid_online

pytestmark = pytest.mark.browser


def _as_sub_account(page, settings, desk) -> None:
    """Logs in on the web and takes the sub-account role, as the user does."""
    web_login(page, settings.data, desk.sub_person.phone, PASSWORD)
    page.select_option("#role", f"sub:{desk.sub['account_id']}")
    page.click("#role-submit")
    page.wait_for_selector("text=子账户")


@pytest.mark.seed("D1")
def test_query_by_internal_number_in_the_portal(page, world, db, settings):
    ours = agency_desk(world, "甲")
    theirs = agency_desk(world, "乙")
    mine = add_case(
        db,
        ours.main_domain,
        ours.sub_person.user_id,
        title="一种折叠式电动自行车",
        internal_number="AG-2026-0001",
    )
    add_case(db, ours.main_domain, ours.sub_person.user_id, internal_number="AG-2026-0002")
    add_case(db, theirs.main_domain, theirs.sub_person.user_id, internal_number="AG-2026-0001")
    add_case(db, ours.branch_domain, ours.branch_person.user_id, internal_number="AG-2026-0001")

    _as_sub_account(page, settings, ours)
    page.click("a[href='/query']")  # 高级查询 in the navigation
    page.fill("#q-internal_number", "AG-2026-0001")
    page.click("#query-submit")
    page.wait_for_selector("#results")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1
    assert rows.first.locator(".application-number").inner_text() == mine.application_number
    assert rows.first.locator(".internal-number").inner_text() == "AG-2026-0001"
    assert rows.first.locator(".title").inner_text() == "一种折叠式电动自行车"
    # The address is the API's query string: bookmarkable, and the same for the CLI.
    assert "internal_number=AG-2026-0001" in page.url

    # Save it, run it again from the saved list, then delete it.
    page.fill("#save-name", "内部编号 0001")
    page.click("#save-query")
    page.wait_for_selector("tr[data-saved='内部编号 0001']")
    page.goto("/query")
    page.click("tr[data-saved='内部编号 0001'] a.saved-run")
    page.wait_for_selector("#results")
    assert page.locator("#results tbody tr").count() == 1
    page.click("tr[data-saved='内部编号 0001'] button.saved-delete")
    page.wait_for_selector("#saved-queries")
    assert page.locator("tr[data-saved='内部编号 0001']").count() == 0


def test_desk_panel_and_statistics(page, world, db, settings):
    desk = agency_desk(world)
    soon = beijing_date() + dt.timedelta(days=5)
    owed = {"items": [{"code": "application_invention", "amount": 13245.6}], "total": 13245.6}
    for i in range(3):
        c = add_case(
            db,
            desk.main_domain,
            desk.sub_person.user_id,
            title=f"一种电池{i}",
            status="accepted" if i else "granted",
            sub_account=desk.sub["account_id"],
            business_type="invention",
            # The last one owes fees (paid below): payments are taken only for fees owed.
            fee_sheet=owed if i == 2 else None,
        )
        add_notice(db, c, "210401", deadline=soon, confirmed=i == 0)
    # Fees paid through the API: two confirmed, one the bank refused; and the branch's own.
    sub = desk.tokens["sub"]
    paid_online(world.client, sub, str(c.id), "50", decision="fail")
    first = paid_online(world.client, sub, str(c.id), "900")
    paid_online(world.client, sub, str(c.id), "12345.6")  # all it owes: nothing due now
    branch = add_case(db, desk.branch_domain, desk.branch_person.user_id, fee_sheet=owed)
    paid_online(world.client, desk.tokens["branch_sub"], str(branch.id), "777")

    _as_sub_account(page, settings, desk)
    panel = page.locator("#desk-attention")
    assert panel.locator("#unconfirmed-count").inner_text() == "2"
    assert panel.locator("#deadlines-count").inner_text() == "3"
    assert "剩 5 天" in panel.locator("#deadline-next").inner_text()
    # Drafts and payments due come from the drafts and fees domains: none here yet.
    assert panel.locator("#drafts-count").inner_text() == "0"
    assert panel.locator("#payments-count").inner_text() == "0"

    page.click("#deadlines-all")
    page.wait_for_selector("#results")
    assert page.locator("#results tbody tr").count() == 3
    page.goto("/desk")
    page.click("#unconfirmed-all")  # the cases whose notices wait for 接收确认
    page.wait_for_selector("#results")
    assert page.locator("#results tbody tr").count() == 2
    assert page.locator("#q-notice_unconfirmed").is_checked()

    page.click("a[href='/stats']")
    page.wait_for_selector("#total-cases")
    assert page.locator("#total-cases").inner_text() == "3"
    bars = page.locator("#chart-status rect")
    assert {bars.nth(i).get_attribute("data-label") for i in range(bars.count())} == {
        "已受理",
        "已授权",
    }
    assert page.locator("#chart-sub-accounts rect").first.get_attribute("data-count") == "3"
    fees = page.locator("#table-fees_paid")
    assert fees.locator("thead").inner_text().split() == ["项目", "笔数", "金额（元）"]
    total = fees.locator("tr[data-key='total']")
    assert total.locator(".label").inner_text() == "合计（已到账）"
    assert total.locator(".count").inner_text() == "2"
    assert total.locator(".amount").inner_text() == "13,245.60"
    method = fees.locator("tr[data-key='method:online-banking']")
    assert method.locator(".label").inner_text() == "网银缴费"
    month = fees.locator(f"tr[data-key='month:{paid_month(first)}'] .amount")
    assert month.inner_text() == "13,245.60"
    assert fees.locator("tbody tr").count() == 3  # total, one method, one month
    assert "尚未接入" not in page.content()
    with page.expect_download() as info:
        page.click("#stats-export")
    text = Path(info.value.path()).read_text("utf-8-sig")
    assert "by_status,accepted,已受理,2," in text.splitlines()
    assert "fees_paid,total,合计（已到账）,2,13245.60" in text.splitlines()
    # The same figures in English.
    page.goto("/stats?lang=en")
    total = page.locator("#table-fees_paid tr[data-key='total']")
    assert total.locator(".label").inner_text() == "Total (confirmed)"
    assert total.locator(".amount").inner_text() == "13,245.60"
