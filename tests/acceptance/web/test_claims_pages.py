"""The claim tree in a real headless Chromium (issue 16): an imported case shows each claim
nested under the claim it refers to and the findings at their claim, readable at 390 px and
1280 px, in Chinese and in English (screenshots with PATENTDESK_SCREENSHOTS=dir)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.test_claims_web import case_with_claims
from tests.acceptance.web.test_drafts_pages import SHOTS, shot
from tests.support.browser import web_login
from tests.support.factories import PASSWORD, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def live_world(live_server, settings):
    import httpx

    with httpx.Client(base_url=live_server.url) as http:
        yield World(http, settings.data)


def test_claim_tree_at_phone_and_desktop_width(page, live_world, settings, tmp_path: Path):
    person = live_world.person("张三")
    web_login(page, settings.data, person.phone, PASSWORD)
    page.goto("/drafts")
    page.set_input_files("#import-file", str(case_with_claims(tmp_path)))
    page.click("#import-submit")
    page.wait_for_selector("#claim-tree")
    url = page.url.split("?")[0]

    for lang, title in (("zh", "权利要求树"), ("en", "Claim tree")):
        page.goto(f"{url}?lang={lang}")
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            tree = page.locator("#claim-tree")
            assert title in page.locator("#claim-tree-section h3").inner_text()
            # Claim 4 is nested inside claim 1's item; its finding is inside claim 4.
            assert (
                page.locator("#claim-1 #claim-4 [data-rule='claims.multiple_alternative']").count()
                == 1
            )
            assert page.locator("#claim-5 > ul > #claim-6").count() == 1
            # Readable: nothing wider than the window, the finding's text wraps in view.
            box = tree.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{lang} {width}px: the page scrolls sideways ({overflow})"
            finding = page.locator("#claim-4 .claim-finding").first.bounding_box()
            assert finding is not None and finding["x"] + finding["width"] <= width
            page.locator("#claim-tree-section").scroll_into_view_if_needed()
            shot(page, f"claims-{lang}-{width}")
            if SHOTS:
                page.locator("#validation").screenshot(
                    path=str(Path(SHOTS) / f"claims-{lang}-{width}-panel.png")
                )
    # The validation list links to the claim: following it shows the claim.
    page.click("a[href='#claim-4']")
    assert page.url.endswith("#claim-4")
    assert page.locator("#claim-4").is_visible()
