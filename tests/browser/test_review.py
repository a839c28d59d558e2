"""The review flows in a real browser, at desktop and phone size: a generated tree is imported, then
a person walks the date queue by keyboard, accepts, types a date, shifts and tags a selection in
the grid, resolves an exact and a same-picture group, and reloads a bookmarked filtered view."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.checks import expect_page_chrome
from tests.polling import wait_for
from tests.scenarios import exiftool, photo

CAMERA = ("-Make=Canon", "-Model=Canon EOS 80D")


def build_tree(root: Path) -> None:
    """Trip/: two photos whose names disagree with their camera time by an hour (date review),
    one plain photo, an exact copy and a re-encoded copy; Scans/: two photos with no date at all.
    Each tree's bytes are its own, so the desktop and phone runs do not find each other's copies."""
    own = f"-ImageDescription={root.name}"
    (root / "Trip").mkdir()
    (root / "Scans").mkdir()
    photo("-DateTimeOriginal=2019:07:14 10:05:00", own, *CAMERA)(root / "Trip" / "IMG_20190714_110500.jpg")
    photo("-DateTimeOriginal=2019:07:14 10:10:00", own, *CAMERA)(root / "Trip" / "IMG_20190714_111000.jpg")
    plain = root / "Trip" / "beach.jpg"
    photo("-DateTimeOriginal=2019:07:15 09:00:00", "-OffsetTimeOriginal=+02:00", own, *CAMERA)(plain)
    shutil.copyfile(plain, root / "Trip" / "beach copy.jpg")
    smaller = root / "Trip" / "beach small.jpg"
    with Image.open(plain) as image:
        image.save(smaller, "JPEG", quality=60)
    exiftool(smaller, "-tagsFromFile", str(plain), "-all:all")
    photo(own)(root / "Scans" / "scan_001.jpg")
    photo(own)(root / "Scans" / "scan_002.jpg")


def flash(page: Page):
    return page.locator(".flash[role=status]").first


def test_review_flows(server, page: Page, shot, viewport) -> None:
    folder = server.new_folder(f"review-{viewport.name}")
    build_tree(folder)
    import_id = server.import_folder(folder)
    # Grouping runs after the import ends, in its own message.
    wait_for(lambda: {"exact", "same"} <= {r["class"] for r in server.query(
        "SELECT g.class FROM dup_groups g JOIN dup_members m ON m.group_id = g.id JOIN files f ON f.id = m.file_id"
        " WHERE f.import_id = ? AND f.rel_path LIKE 'Trip/beach%'", import_id)})

    # Home: what needs attention, linking into the queues.
    page.goto("/")
    expect(page.get_by_role("heading", name="Needs your attention")).to_be_visible()
    expect(page.locator(".attention")).to_contain_text("dates to review")
    shot(page, "home-attention")

    # The date queue, narrowed to this import's photos named by time, walked by keyboard.
    page.goto(f"/review/dates?import={import_id}&q=IMG_")
    expect_page_chrome(page)
    heading = page.locator("#queue h2.path")
    first = heading.inner_text()
    assert first.startswith("Trip/IMG_")
    expect(page.locator(".queue-nav")).to_contain_text("1 of 2")
    shot(page, "review-dates")
    # Candidates read as dates, not as a file time's seconds since 1970; the camera is named once.
    queue_text = page.locator("#queue").inner_text()
    assert not re.search(r"\b\d{10}(\.\d+)?\b", queue_text), queue_text
    assert "Canon EOS 80D" in queue_text and "Canon Canon" not in queue_text
    # Each clock-shift choice is one line: the radio button beside its words, not stacked above them.
    first_line = """label => {
        const text = [...label.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
        const range = document.createRange();
        range.selectNodeContents(text);
        const box = range.getClientRects()[0];
        return {left: box.left, top: box.top};
    }"""
    for choice in page.locator("#queue fieldset label").all():
        radio, text = choice.locator("input[type=radio]").bounding_box(), choice.evaluate(first_line)
        assert text["left"] >= radio["x"] + radio["width"], f"{choice.inner_text()!r} is not beside its button"
        assert text["top"] < radio["y"] + radio["height"], f"{choice.inner_text()!r} starts below its button"
    page.keyboard.press("j")
    expect(heading).not_to_have_text(first)
    expect(page).to_have_url(re.compile(r"file=\d+"))
    page.keyboard.press("k")
    expect(heading).to_have_text(first)

    # Pick the second candidate with its number key, then undo it with U.
    page.keyboard.press("2")
    expect(flash(page)).to_contain_text(f"Date of {first} set to")
    page.keyboard.press("u")
    expect(flash(page)).to_contain_text("Undone")
    assert server.query("SELECT confidence FROM files WHERE import_id = ? AND rel_path = ?", import_id,
                        first)[0]["confidence"] != "high"

    # Enter: the machine's date is right; the queue moves on.
    page.goto(f"/review/dates?import={import_id}&q=IMG_&file={file_id(server, import_id, first)}")
    page.keyboard.press("Enter")
    expect(flash(page)).to_contain_text(f"Date of {first} set to")
    expect(heading).not_to_have_text(first)

    # Type a date and a zone for a scan with no date at all.
    page.goto(f"/review/dates?import={import_id}&q=scan_001")
    expect(heading).to_have_text("Scans/scan_001.jpg")
    # A mistyped date is said in the queue, where it was typed (a 400 answer, shown in place).
    page.get_by_label("Date and time").fill("1987-13-45 10:30")
    page.get_by_role("button", name="Set this date").click()
    expect(page.locator("#queue [role=alert]")).to_contain_text("1987-13-45")
    expect(heading).to_have_text("Scans/scan_001.jpg")
    # A link out of the queue opens its page whole, and Back returns to the queue.
    page.get_by_role("link", name="Everything about this file").click()
    expect(page).to_have_url(re.compile(r"/files/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("scan_001.jpg")
    page.go_back()
    expect(heading).to_have_text("Scans/scan_001.jpg")
    page.get_by_label("Date and time").fill("1987-06-01 10:30")
    page.get_by_label("Time zone or offset").fill("Europe/Rome")
    page.get_by_role("button", name="Set this date").click()
    expect(flash(page)).to_contain_text("Date of Scans/scan_001.jpg set to 1987-06-01 10:30 +02:00")
    row = server.query("SELECT taken_local, taken_zone FROM files WHERE id = ?",
                       file_id(server, import_id, "Scans/scan_001.jpg"))[0]
    assert (row["taken_local"], row["taken_zone"]) == ("1987-06-01T10:30", "Europe/Rome")

    # The grid: select the two Trip photos named by time (click, then shift-click), shift them.
    page.goto(f"/library?import={import_id}&q=IMG_2019&sort=name")
    expect_page_chrome(page)
    boxes = page.locator('.tile input[name="ids"]')
    expect(boxes).to_have_count(2)
    # While nothing is picked the selection bar is one line; its actions appear with the first pick.
    expect(page.get_by_role("button", name="Shift dates")).to_be_hidden()
    boxes.nth(0).click()
    expect(page.get_by_role("button", name="Shift dates")).to_be_visible()
    boxes.nth(1).click(modifiers=["Shift"])
    expect(page.locator("[data-selected-count]")).to_contain_text("2 selected")
    before = times(server, import_id, "Trip/IMG_%")
    page.get_by_label("Shift the selected dates by").fill("+1h03m")
    page.get_by_role("button", name="Shift dates").click()
    expect(flash(page)).to_contain_text("Shifted 2 files by +1 h 03 min.")
    after = times(server, import_id, "Trip/IMG_%")
    assert [t[11:16] for t in after] != [t[11:16] for t in before]
    shot(page, "library-selection")

    # Tag everything matching "beach", then filter by the tag.
    page.goto(f"/library?import={import_id}&q=beach")
    page.get_by_label(re.compile("All .*matching")).check()
    page.get_by_label("Tag to add or remove").fill("Summer 2019")
    page.get_by_role("button", name="Add tag").click()
    expect(flash(page)).to_contain_text("Added 3 tags.")

    # A bookmarked, filtered URL shows the same view after a reload, with the form filled in.
    bookmark = f"/library?import={import_id}&tag=Summer+2019&sort=name&order=desc"
    page.goto(bookmark)
    names = page.locator(".tile-name").all_inner_texts()
    assert names == ["beach.jpg", "beach small.jpg", "beach copy.jpg"]
    page.reload()
    assert page.locator(".tile-name").all_inner_texts() == names
    expect(page.get_by_label("Sort by")).to_have_value("name")
    if viewport.name == "phone":
        # The filters fold away on a phone so the tiles come first; the fold says what is on.
        expect(page.get_by_label("Sort by")).to_be_hidden()
        page.get_by_text("Filters and order · 2 on").click()
    expect(page.get_by_label("Sort by")).to_be_visible()
    expect(page.get_by_role("search").get_by_label("Tag", exact=True)).to_have_value("Summer 2019")
    shot(page, "library-bookmark")
    # "Show more" adds the next page below and puts it in the address; a reload comes back to it.
    page.goto(f"/library?import={import_id}&sort=name&per=2")
    expect(page.locator(".tile")).to_have_count(2)
    page.get_by_role("link", name="Show more").click()
    expect(page.locator(".tile")).to_have_count(4)
    expect(page).to_have_url(re.compile(r"after="))
    third = page.locator(".tile-name").nth(2).inner_text()
    page.reload()
    expect(page.locator(".tile-name").first).to_have_text(third)
    expect(page.get_by_role("link", name="Back to the first page")).to_be_visible()

    # Duplicates: keep the suggested file of the beach photos' exact group, then of their same-picture group.
    for kind in ("exact", "same"):
        group = server.query(
            "SELECT g.id, g.keeper_id FROM dup_groups g JOIN dup_members m ON m.group_id = g.id"
            " JOIN files f ON f.id = m.file_id WHERE g.class = ? AND f.import_id = ? AND f.rel_path LIKE 'Trip/beach%'"
            " AND g.resolution IS NULL LIMIT 1", kind, import_id)[0]
        page.goto(f"/review/duplicates?class={kind}&group={group['id']}")
        expect_page_chrome(page)
        keeper = page.locator(".member.keeper")
        expect(keeper).to_contain_text("Suggested keeper")
        expect(keeper).to_contain_text("Canon EOS 80D")
        expect(keeper).not_to_contain_text("Canon Canon")
        shot(page, f"review-duplicates-{kind}")
        keeper.get_by_role("button", name="Keep this one").click()
        expect(flash(page)).to_contain_text("Kept one file; set aside")
        assert server.query("SELECT resolution FROM dup_groups WHERE id = ?", group["id"])[0]["resolution"] == "kept"
        members = server.query(
            "SELECT f.id, f.discarded FROM dup_members m JOIN files f ON f.id = m.file_id WHERE m.group_id = ?",
            group["id"])
        assert {m["id"] for m in members if m["discarded"]} == {m["id"] for m in members} - {group["keeper_id"]}

    # The file page shows the history, with the decisions just made.
    aside = server.query("SELECT id FROM files WHERE import_id = ? AND discarded = 1", import_id)[0]["id"]
    page.goto(f"/files/{aside}")
    expect_page_chrome(page)
    expect(page.locator("main")).to_contain_text("keep")
    shot(page, "file")
    page.goto("/tags")
    expect(page.get_by_role("link", name="Summer 2019")).to_be_visible()
    shot(page, "tags")


def file_id(server, import_id: int, rel_path: str) -> int:
    return server.query("SELECT id FROM files WHERE import_id = ? AND rel_path = ?", import_id, rel_path)[0]["id"]


def times(server, import_id: int, pattern: str) -> list[str]:
    rows = server.query(
        "SELECT taken_local FROM files WHERE import_id = ? AND rel_path LIKE ? ORDER BY rel_path", import_id, pattern
    )
    return [r["taken_local"] for r in rows]
