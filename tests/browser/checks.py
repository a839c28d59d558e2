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


def assert_fits_width(page: Page) -> None:
    """A phone page must not scroll sideways (a wide table scrolls inside its own wrapper instead)."""
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{page.url} is {wide} px wide in a {window} px window"
