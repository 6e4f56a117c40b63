"""A browser that asks for a page gets an error page in its language, never raw JSON; the API
and scripts keep the JSON error document."""

from __future__ import annotations

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_mistyped_address_is_a_page_in_the_users_language(client):
    r = client.get("/no-such-page", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "页面不存在" in r.text and 'id="error-home"' in r.text
    r = client.get("/no-such-page", params={"lang": "en"}, headers=HTML)
    assert "There is no such page" in r.text
    # The API and scripts keep JSON.
    assert client.get("/api/v1/no-such-thing", headers=HTML).json()["detail"] == "Not Found"
    assert client.get("/no-such-page").headers["content-type"].startswith("application/json")


def test_an_expired_form_is_explained_on_a_page(client, world):
    token = world.token(world.person())
    r = client.post(
        "/account/password",
        data={"csrf": "stale", "current_password": "x", "new_password": "y"},
        headers={**HTML, "Authorization": f"Bearer {token}"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "表单已过期" in r.text and r.headers["content-type"].startswith("text/html")
