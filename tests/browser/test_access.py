"""Signing in and out in the real browser, under the real Content-Security-Policy (a violation is a
console error, which fails the test)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PAGE_ERRORS, Server

pytestmark = pytest.mark.signed_out


def test_a_signed_out_visitor_signs_in_lands_on_the_page_asked_for_and_signs_out(
    page: Page, server: Server, shot
) -> None:
    page.goto("/review/dates")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # Nothing of the library shows before signing in, not even the navigation.
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    shot(page, "login")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/review/dates")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/library")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_form_from_another_site_is_refused(page: Page, server: Server, request: pytest.FixtureRequest) -> None:
    """A page elsewhere (here: a data: URL, an opaque origin) posting to MediaParser is refused even
    when the browser is signed in, and the import it asked for is not created."""
    page.goto("/login")
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.base_url}/")
    before = server.query("SELECT count(*) FROM imports")[0][0]
    folder = server.new_folder("csrf")
    page.set_content(
        f'<form method="post" action="{server.base_url}/imports">'
        f'<input name="path" value="{folder}"><button>Win a prize</button></form>'
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Win a prize").click()
    expect(page.locator("body")).to_contain_text("did not come from a MediaParser page")
    assert server.query("SELECT count(*) FROM imports")[0][0] == before
    # The one error expected here: the browser logs the refusal (403) itself.
    errors = request.node.stash[PAGE_ERRORS]
    errors[:] = [e for e in errors if "status of 403" not in e]
