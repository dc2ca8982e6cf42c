"""The assessor's attacks in a real browser: a page on another port of the same host (the same
site, so the SameSite=Lax session cookie goes with its requests) posts a form to the approval API
while the coordinator is signed in; a link to /logout/ tries to sign the user out."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

REFUSED_ORIGIN = "已拒绝：该请求来自其他网站"


@pytest.fixture
def evil_site() -> Iterator[Any]:
    """``evil_site(html)``: serves one page from another port of 127.0.0.1; returns its URL."""
    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def _serve(html: str) -> str:
        pages["/"] = html.encode()
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield _serve
    server.shutdown()
    server.server_close()


def _pending_request_id(page: Any, username: str) -> int:
    page.goto("/accountrequestview/list/")
    link = page.locator("tr", has_text=username).locator("a[href*='/accountrequestview/show/']")
    return int(re.search(r"/show/(\d+)", link.first.get_attribute("href")).group(1))


def _state(page: Any, live_server: str, pk: int) -> str:
    response = page.request.get(f"{live_server}/api/v1/account_request/{pk}")
    assert response.ok, response.text()
    return response.json()["result"]["state"]


def _version(page: Any, live_server: str, pk: int) -> int:
    response = page.request.get(f"{live_server}/api/v1/account_request/{pk}")
    return response.json()["result"]["version"]


def test_a_page_on_another_port_cannot_approve_an_account_with_the_cookie(
    sign_in, page, live_server, evil_site, tmp_path
):
    sign_in("county_coordinator")
    pk = _pending_request_id(page, "huang_hai")
    url = evil_site(
        f"""<!doctype html><html><body>
        <form id="attack" method="post" action="{live_server}/api/v1/account_request/{pk}/approve">
          <input type="hidden" name="x" value="1">
        </form>
        <script>document.getElementById("attack").submit();</script>
        </body></html>"""
    )
    with page.expect_response(lambda r: r.url.endswith(f"/{pk}/approve")) as answer:
        page.goto(url)
    response = answer.value
    # The cookie went with the request (same site): the refusal is ours, not FAB's 401.
    assert response.status == 403, response.text()
    assert response.json()["message"] == REFUSED_ORIGIN
    assert "initial_password" not in response.text()
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)
    assert _state(page, live_server, pk) == "pending"

    # The application's own page, sending the token it carries, may use the API with the cookie.
    page.goto("/")
    result = page.evaluate(
        """async ([url, version]) => {
            const token = document.querySelector("#logout-form input[name=csrf_token]").value;
            const bare = await fetch(url, {method: "POST", credentials: "same-origin"});
            const withToken = await fetch(url, {
                method: "POST", credentials: "same-origin",
                headers: {"X-CSRFToken": token, "Content-Type": "application/json"},
                body: JSON.stringify({version: version}),
            });
            return {bare: bare.status, withToken: withToken.status, body: await withToken.json()};
        }""",
        [f"/api/v1/account_request/{pk}/approve", _version(page, live_server, pk)],
    )
    assert result["bare"] == 400
    assert result["withToken"] == 200, result
    assert result["body"]["result"]["initial_password"]
    assert _state(page, live_server, pk) == "approved"


def test_a_link_to_logout_does_not_sign_out_but_the_menu_does(
    sign_in, sign_out, page, live_server, evil_site
):
    sign_in("county_coordinator")
    # Another page of the same site embeds the logout URL (the cookie goes with it).
    url = evil_site(f'<!doctype html><img src="{live_server}/logout/">')
    with page.expect_request(lambda r: r.url.endswith("/logout/")):
        page.goto(url)  # waits for the load event: the image request has been answered
    page.goto("/accountrequestview/list/")
    assert "/login" not in page.url
    # Opening the URL only asks.
    page.goto("/logout/")
    assert page.locator("#logout-confirm").is_visible()
    page.goto("/accountrequestview/list/")
    assert "/login" not in page.url

    sign_out()
    page.goto("/accountrequestview/list/")
    assert "/login" in page.url
