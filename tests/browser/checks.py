"""Checks every browser test may want on any page."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def expect_page_chrome(page: Page) -> None:
    """One visible main heading, the main navigation, and nothing wider than the window."""
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Imports")).to_be_visible()
    sign_out = nav.get_by_role("button", name="Sign out")
    if sign_out.count():
        # Signing out sits in the navigation as one of its links: same colour, no underline, same line.
        link = nav.get_by_role("link", name="Account")
        looks = "e => [getComputedStyle(e).color, getComputedStyle(e).textDecorationLine]"
        assert sign_out.evaluate(looks) == [link.evaluate(looks)[0], "none"]
        a, b = link.bounding_box(), sign_out.bounding_box()
        assert abs((a["y"] + a["height"] / 2) - (b["y"] + b["height"] / 2)) < 4 or b["y"] > a["y"] + a["height"]
    assert_fits_width(page)
    assert_everything_named(page)


# Form controls a screen reader cannot name, and images with no alt attribute (alt="" is a choice).
UNNAMED = """() => {
    const visible = e => e.getClientRects().length > 0;
    const controls = [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
        .filter(visible)
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
                     && !e.getAttribute("aria-labelledby") && !(e.tagName === "BUTTON" && e.innerText.trim()));
    const images = [...document.querySelectorAll("img")].filter(e => !e.hasAttribute("alt"));
    return [...controls, ...images].map(e => e.outerHTML.slice(0, 120));
}"""


def assert_everything_named(page: Page) -> None:
    """Every visible form control has a label (or an aria name) and every image an alt attribute."""
    unnamed = page.evaluate(UNNAMED)
    assert not unnamed, f"{page.url}: unnamed controls or images: {unnamed}"


def assert_fits_width(page: Page) -> None:
    """A phone page must not scroll sideways (a wide table scrolls inside its own wrapper instead)."""
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{page.url} is {wide} px wide in a {window} px window"
