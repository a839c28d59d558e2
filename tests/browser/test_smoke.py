"""The first pages a person sees, at desktop and phone size, and one folder import through the form."""

from __future__ import annotations

import re
import zlib

from playwright.sync_api import Page, expect

from tests.browser.checks import expect_page_chrome
from tests.trees import jpeg_bytes


def test_home_page(page: Page, shot) -> None:
    page.goto("/")
    expect_page_chrome(page)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator("#health")).to_contain_text("Worker running")
    shot(page, "home")


def test_imports_page(page: Page, shot) -> None:
    page.goto("/imports")
    expect(page.get_by_role("heading", name="Imports", level=1)).to_be_visible()
    expect_page_chrome(page)
    expect(page.get_by_label("Full path of the folder")).to_be_visible()
    expect(page.get_by_role("button", name="Import this folder")).to_be_visible()
    shot(page, "imports")


def test_skip_link_is_the_first_tab_stop(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_folder_import_through_the_form_reaches_done(page: Page, server, shot, viewport) -> None:
    folder = server.new_folder(f"form-{viewport.name}")
    # Colours from the folder name: the two viewports import different files, so neither is "already known".
    seed = zlib.crc32(folder.name.encode())
    for n in range(3):
        color = ((seed >> 8 * n) & 0xFF, (n * 80) & 0xFF, (seed >> 3) & 0xFF)
        (folder / f"IMG_{n:04d}.jpg").write_bytes(jpeg_bytes(color))

    page.goto("/imports")
    page.get_by_label("Full path of the folder").fill(str(folder))
    page.get_by_role("button", name="Import this folder").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    expect(page.locator("#progress .badge")).to_have_text("Done", timeout=60_000)
    expect(page.locator("#progress-count")).to_contain_text("3 of 3 files finished")
    shot(page, "import-done")

    import_id = int(page.url.rsplit("/", 1)[1])
    rows = server.query("SELECT status FROM files WHERE import_id = ?", import_id)
    assert [r["status"] for r in rows] == ["processed"] * 3
