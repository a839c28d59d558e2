"""Export in a real browser, at desktop and phone size: choose the folder, run a dry run, read the
plan, export, watch it finish, and move the originals to the trash behind a confirmation."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.checks import expect_page_chrome
from tests.polling import wait_for
from tests.scenarios import photo


def build_tree(root: Path) -> None:
    own = f"-ImageDescription={root.name}"
    photo("-DateTimeOriginal=2018:03:04 10:00:00", "-OffsetTimeOriginal=+01:00", own)(root / "IMG_0001.jpg")
    photo("-DateTimeOriginal=2018:03:04 10:05:00", "-OffsetTimeOriginal=+01:00", own)(root / "IMG_0002.jpg")
    photo(own)(root / "IMG-20180305-WA0001.jpg")  # the day only: held back for date review


def test_export_flow(server, page: Page, shot, viewport) -> None:
    folder = server.new_folder(f"export-{viewport.name}")
    build_tree(folder)
    import_id = server.import_folder(folder)
    archive = server.data.parent / f"archive-{viewport.name}"

    page.goto("/export")
    expect_page_chrome(page)
    page.get_by_label("Export folder").fill(str(archive))
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved")

    page.get_by_label("Which files").select_option(str(import_id))
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dry run")
    expect(page.locator("#progress")).to_contain_text("Nothing was written", timeout=30_000)
    expect(page.locator(".plan-sample")).to_contain_text("2018/20180304_100000.jpg")
    expect(page.locator('a[href$="/held"]')).to_have_text("1")
    expect_page_chrome(page)
    shot(page, "export-dry-run")
    assert not archive.exists() or not any(archive.iterdir())

    page.get_by_role("button", name="Export 2 files now").click()
    expect(page.get_by_role("heading", name="Summary")).to_be_visible(timeout=60_000)
    expect(page.locator("#progress")).to_contain_text("2 of 2 files in place")
    expect(page.get_by_role("link", name="manifest.csv")).to_be_visible()
    assert sorted(p.name for p in (archive / "2018").iterdir()) == ["20180304_100000.jpg", "20180304_100500.jpg"]
    expect_page_chrome(page)
    shot(page, "export-done")

    page.get_by_role("link", name="Move 2 originals out of").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move 2 originals to the trash?")
    expect(page.locator("main")).to_contain_text(str(folder))
    shot(page, "export-sources-confirm")
    page.get_by_role("button", name="Yes, move 2 originals").click()
    wait_for(lambda: not (folder / "IMG_0001.jpg").exists() and not (folder / "IMG_0002.jpg").exists())
    assert (folder / "IMG-20180305-WA0001.jpg").exists()  # held back: never touched
    page.reload()
    expect(page.locator("#progress")).to_contain_text("2 moved to MediaParser’s trash")
