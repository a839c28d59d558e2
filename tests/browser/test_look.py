"""Light and dark, as the system prefers: the review pages stay readable in both (WCAG AA contrast for
text, links, buttons and badges), and each page is saved in dark too for a person to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.checks import expect_page_chrome
from tests.browser.test_review import build_tree
from tests.polling import wait_for

# The first visible element of each kind, with the colour behind it (the nearest painted background).
COLOURS = """selectors => selectors.map(selector => {
    const element = [...document.querySelectorAll(selector)].find(e => e.getClientRects().length > 0);
    if (!element) return null;
    let back = element, background = "rgba(0, 0, 0, 0)";
    while (back && (background === "rgba(0, 0, 0, 0)" || background === "transparent")) {
        background = getComputedStyle(back).backgroundColor;
        back = back.parentElement;
    }
    return [selector, getComputedStyle(element).color, background];
}).filter(Boolean)"""
ELEMENTS = [
    "main h1", "main p", "main a", "nav a", ".muted", ".source", "button.primary, button:not(.secondary)",
    "button.secondary", ".badge.conf-low", ".badge.conf-high", ".badge.warn", ".tile-body p", "table.data td",
]


def luminance(css: str) -> float:
    parts = [float(v) for v in css[css.index("(") + 1:css.index(")")].replace(",", " ").split()[:3]]

    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in parts)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_review_pages_are_readable_in_light_and_dark(server, page: Page, shot, viewport, scheme: str) -> None:
    folder = server.new_folder(f"look-{scheme}-{viewport.name}")
    build_tree(folder)
    import_id = server.import_folder(folder)
    wait_for(lambda: server.query(
        "SELECT 1 FROM dup_groups g JOIN dup_members m ON m.group_id = g.id JOIN files f ON f.id = m.file_id"
        " WHERE f.import_id = ? AND g.class = 'exact'", import_id))
    any_file = server.query("SELECT id FROM files WHERE import_id = ? ORDER BY id LIMIT 1", import_id)[0]["id"]
    page.emulate_media(color_scheme=scheme)
    pages = {
        "home": "/",
        "library": f"/library?import={import_id}",
        "review-dates": f"/review/dates?import={import_id}",
        "review-duplicates": "/review/duplicates?class=exact",
        "file": f"/files/{any_file}",
    }
    backgrounds = set()
    for name, url in pages.items():
        page.goto(url)
        expect_page_chrome(page)
        backgrounds.add(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        for selector, colour, background in page.evaluate(COLOURS, ELEMENTS):
            ratio = contrast(colour, background)
            assert ratio >= 4.5, f"{scheme} {url}: {selector} is {colour} on {background}, contrast {ratio:.2f}"
        if scheme == "dark":
            shot(page, f"dark-{name}")
    body = luminance(backgrounds.pop())
    assert not backgrounds, "every page has the same background"
    assert (body < 0.05) if scheme == "dark" else (body > 0.8), f"the {scheme} scheme's background is {body:.2f}"
