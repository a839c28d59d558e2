"""The library grid, the selection actions, the date and duplicate queues and undo, through real
HTTP on the real app and database (tests/review_fixtures.py arranges the library)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from storage.db import transaction
from tests.review_fixtures import add_file, build


@pytest.fixture
def lib(library):
    return build(library)


def file_row(library, file_id):
    return library.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()


def tiles(html: str) -> list[str]:
    return re.findall(r'class="tile-name" title="([^"]+)"', html)


def done_batch(response) -> str:
    return parse_qs(urlsplit(response.headers["location"]).query)["done"][0]


# The grid ----------------------------------------------------------------------------------------


def test_grid_hides_set_aside_and_skipped_and_sorts_by_date(web_client, lib):
    html = web_client.get("/library").text
    names = tiles(html)
    assert len(names) == 12
    assert names[0] in ("Scans/scan 1.jpg", "Broken/bad.jpg")  # undated first, oldest to newest after
    assert names[-1] == "Video/clip.mp4"
    desc = tiles(web_client.get("/library?order=desc").text)
    assert desc[0] == "Video/clip.mp4"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "problem=dates",
            {"Holiday/IMG_0002.jpg", "Holiday/IMG_0003.jpg", "Scans/scan 1.jpg", "Scans/<b>bold</b>.jpg"},
        ),
        ("problem=errors", {"Broken/bad.jpg"}),
        ("problem=exact", {"Holiday/IMG_0001.jpg", "Copies/IMG_0001.jpg"}),
        ("problem=similar", {"Similar/a.jpg", "Similar/b.jpg"}),
        ("confidence=none", {"Scans/scan 1.jpg"}),
        ("type=video", {"Video/clip.mp4"}),
        ("tag=holiday", {f"Holiday/IMG_000{i}.jpg" for i in range(1, 5)}),
        ("from=2019-07-15&to=2019-07-15", {"Holiday/IMG_0004.jpg", "Copies/IMG_0004 small.jpg"}),
        ("q=small", {"Copies/IMG_0004 small.jpg"}),
        ("q=%25", set()),  # a literal %, not a wildcard
    ],
)
def test_grid_filters(web_client, lib, query, expected):
    assert set(tiles(web_client.get(f"/library?{query}").text)) == {
        e.replace("<", "&lt;").replace(">", "&gt;") for e in expected
    }
    api = web_client.get(f"/api/library?{query}").json()
    assert {f["path"] for f in api["files"]} == expected
    assert api["total"] == len(expected)


def test_keyset_pages_cover_every_file_once_in_every_sort(web_client, lib):
    for sort in ("date", "name", "size"):
        for order in ("asc", "desc"):
            seen, url = [], f"/api/library?per=5&sort={sort}&order={order}"
            while url:
                body = web_client.get(url).json()
                seen += [f["id"] for f in body["files"]]
                url = body["next"]
            assert sorted(seen) == sorted(lib.ids[p] for p in lib.ids if p != "nothing"), (sort, order)
            assert len(seen) == 12


def test_bookmarked_filter_reloads_the_same_view_with_the_form_filled(web_client, lib):
    url = "/library?problem=dates&q=Holiday&sort=name&order=desc"
    first, again = web_client.get(url), web_client.get(url)
    assert tiles(first.text) == tiles(again.text) == ["Holiday/IMG_0003.jpg", "Holiday/IMG_0002.jpg"]
    assert '<option value="dates" selected>' in first.text
    assert 'value="Holiday"' in first.text


def test_html_in_a_file_name_is_text(web_client, lib):
    html = web_client.get("/library").text
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "query", ["sort=colour", "from=yesterday", "import=x", "after=garbage", "problem=all"]
)
def test_a_bad_filter_is_a_400_that_says_why(web_client, lib, query):
    page = web_client.get(f"/library?{query}")
    assert page.status_code == 400
    assert "must be" in page.text
    assert "error" in web_client.get(f"/api/library?{query}").json()


def test_show_more_answers_htmx_with_tiles_and_plain_requests_with_a_page(web_client, lib):
    first = web_client.get("/library?per=5").text
    next_url = re.search(r'href="(/library\?[^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    fragment = web_client.get(next_url, headers={"HX-Request": "true", "HX-Target": "more-tiles"}).text
    assert "<html" not in fragment and len(tiles(fragment)) == 5
    assert "<html" in web_client.get(next_url).text


# Selection actions and undo ---------------------------------------------------------------------


def test_shift_a_selection_then_undo_it_in_one_step(web_client, lib, library):
    ids = [lib.ids["Holiday/IMG_0001.jpg"], lib.ids["Holiday/IMG_0004.jpg"]]
    form = {
        "action": "shift",
        "minutes": "+1h03m",
        "ids": [str(i) for i in ids],
        "back": "/library?q=Holiday",
    }
    phone = {"User-Agent": "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0"}
    response = web_client.post("/selection", data=form, headers=phone, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/library?q=Holiday&done=")
    # "Who" in the history is the device, as the household knows it.
    assert "Firefox on Android, testclient" in web_client.get(f"/files/{ids[0]}").text
    assert file_row(library, ids[0])["taken_local"] == "2019-07-14T11:03:00"
    assert file_row(library, ids[1])["taken_local"] == "2019-07-15T09:03:00"
    assert file_row(library, ids[0])["confidence"] == "high"
    page = web_client.get(response.headers["location"]).text
    assert "Shifted 2 files by +1 h 03 min." in page
    undo_id = re.search(r'action="/decisions/(\d+)/undo"', page).group(1)
    undone = web_client.post(
        f"/decisions/{undo_id}/undo", data={"back": "/library?q=Holiday"}, follow_redirects=False
    )
    assert undone.status_code == 303
    assert file_row(library, ids[0])["taken_local"] != "2019-07-14T11:03:00"
    assert file_row(library, ids[1])["taken_local"] != "2019-07-15T09:03:00"
    kinds = [r[0] for r in library.execute("SELECT kind FROM decisions ORDER BY id")]
    assert kinds == ["shift", "shift", "undo", "undo"]  # the history keeps both
    assert "Undone" in web_client.get(undone.headers["location"]).text


def test_select_all_matching_tags_every_file_of_the_filter(web_client, lib, library):
    form = {"action": "tag", "tag": "Copies, to check", "all": "1", "filter": "q=Copies", "back": "/library"}
    web_client.post("/selection", data=form)
    tagged = library.execute(
        "SELECT f.rel_path, t.name FROM file_tags ft JOIN tags t ON t.id = ft.tag_id JOIN files f ON f.id = ft.file_id"
        " WHERE ft.origin = 'user' ORDER BY 1, 2"
    ).fetchall()
    assert [tuple(r) for r in tagged] == [
        ("Copies/IMG_0001.jpg", "Copies"),
        ("Copies/IMG_0001.jpg", "to check"),
        ("Copies/IMG_0004 small.jpg", "Copies"),
        ("Copies/IMG_0004 small.jpg", "to check"),
    ]
    assert set(tiles(web_client.get("/library?tag=to check").text)) == {
        "Copies/IMG_0001.jpg",
        "Copies/IMG_0004 small.jpg",
    }
    web_client.post("/selection", data={**form, "action": "untag", "tag": "to check"})
    assert tiles(web_client.get("/library?tag=to check").text) == []


def test_discard_moves_files_out_of_the_grid_and_undiscard_brings_them_back(web_client, lib, library):
    target = lib.ids["Similar/b.jpg"]
    web_client.post("/selection", data={"action": "discard", "ids": str(target), "back": "/library"})
    assert file_row(library, target)["discarded"] == 1
    assert "Similar/b.jpg" not in tiles(web_client.get("/library").text)
    assert tiles(web_client.get("/library?problem=discarded").text) == ["Similar/b.jpg"]
    web_client.post("/selection", data={"action": "undiscard", "ids": str(target), "back": "/library"})
    assert file_row(library, target)["discarded"] == 0


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"action": "shift", "minutes": "soon"}, "Type the shift like"),
        ({"action": "shift", "minutes": "0"}, "A shift of zero"),
        ({"action": "tag", "tag": " , "}, "Type the tag"),
        ({"action": "explode"}, "Choose what to do"),
    ],
)
def test_a_refused_action_changes_nothing_and_says_why(web_client, lib, library, form, message):
    ids = str(lib.ids["Holiday/IMG_0001.jpg"])
    page = web_client.post("/selection", data={**form, "ids": ids, "back": "/library"})
    assert message in page.text
    assert library.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_back_never_leaves_the_site(web_client, lib):
    for back in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = web_client.post(
            "/selection", data={"action": "discard", "ids": "1", "back": back}, follow_redirects=False
        )
        assert response.headers["location"].startswith("/library")


# The date queue ---------------------------------------------------------------------------------


def queue_file(html: str) -> str:
    return re.search(r'<h2 class="path">([^<]+)</h2>', html).group(1)


def test_date_queue_walks_files_in_folder_order_and_says_where_it_is(web_client, lib):
    page = web_client.get("/review/dates").text
    assert queue_file(page) == "Holiday/IMG_0002.jpg"
    assert "1 of 4" in page
    nxt = re.search(r'href="([^"]+)" data-key="next"', page).group(1).replace("&amp;", "&")
    page2 = web_client.get(nxt).text
    assert queue_file(page2) == "Holiday/IMG_0003.jpg" and "2 of 4" in page2
    assert 'data-key="prev"' in page2


def test_picking_a_candidate_sets_that_time_and_moves_on_then_offers_the_folder(web_client, lib, library):
    two = lib.ids["Holiday/IMG_0002.jpg"]
    page = web_client.get(f"/review/dates?file={two}").text
    # The name's candidate is the second in the list, so it is key 2.
    assert re.search(r'name="evidence" value="(\d+)">\s*<button[^>]*data-key="2"', page)
    evidence = library.execute(
        "SELECT id FROM evidence WHERE file_id = ? AND source LIKE 'Name:%'", (two,)
    ).fetchone()[0]
    response = web_client.post(
        f"/review/dates/{two}", data={"action": "accept", "evidence": evidence}, follow_redirects=False
    )
    assert f"file={lib.ids['Holiday/IMG_0003.jpg']}" in response.headers["location"]
    row = file_row(library, two)
    assert (row["taken_local"], row["confidence"], row["taken_source"]) == (
        "2019-07-14T11:05:00",
        "high",
        "User",
    )
    page = web_client.get(response.headers["location"]).text
    assert "Date of Holiday/IMG_0002.jpg set to 2019-07-14 11:05:00 +02:00." in page
    offer = re.search(r"Use file name \(YYYYMMDD_HHMMSS\) for the 1 other file in this folder", page)
    assert offer
    applied = web_client.post(
        f"/review/dates/{two}", data={"action": "apply", "source": "Name:YYYYMMDD_HHMMSS", "scope": "folder"}
    )
    assert file_row(library, lib.ids["Holiday/IMG_0003.jpg"])["taken_local"] == "2019-07-14T11:09:00"
    assert "Holiday/" not in queue_file(applied.text)


def test_this_date_is_right_offers_its_source_for_the_rest_of_the_folder(web_client, lib, library):
    two = lib.ids["Holiday/IMG_0002.jpg"]
    moved_on = web_client.post(f"/review/dates/{two}", data={"action": "accept_current"}, follow_redirects=False)
    page = web_client.get(moved_on.headers["location"]).text
    assert re.search(r"Use EXIF DateTimeOriginal for the 1 other file in this folder", page), page


def test_a_video_plays_in_the_queue_with_a_way_out_when_the_browser_cannot(web_client, lib, library):
    with transaction(library):
        video = add_file(library, lib.import_id, "Holiday/VID_0001.mp4", mime="video/mp4", confidence="low")
    page = web_client.get(f"/review/dates?file={video}").text
    assert f'<video class="media-preview" controls preload="metadata" src="/files/{video}/original"' in page
    assert "poster=" not in page  # it has no thumbnail: no request that can only 404
    assert f'<a href="/files/{video}/original" hx-boost="false">open the original</a>' in page


def test_undo_in_the_date_queue_shows_the_file_whose_date_it_undid(web_client, lib, library):
    two = lib.ids["Holiday/IMG_0002.jpg"]
    moved_on = web_client.post(f"/review/dates/{two}", data={"action": "accept_current"}, follow_redirects=False)
    assert f"file={lib.ids['Holiday/IMG_0003.jpg']}" in moved_on.headers["location"]
    page = web_client.get(moved_on.headers["location"]).text
    undo_id = re.search(r'action="/decisions/(\d+)/undo"', page).group(1)
    back = re.search(r'name="back" value="([^"]+)"', page).group(1).replace("&amp;", "&")
    undone = web_client.post(f"/decisions/{undo_id}/undo", data={"back": back}, follow_redirects=False)
    assert f"file={two}" in undone.headers["location"]
    assert queue_file(web_client.get(undone.headers["location"]).text) == "Holiday/IMG_0002.jpg"


def test_a_utc_candidate_is_set_in_the_files_zone(web_client, lib, library):
    two = lib.ids["Holiday/IMG_0002.jpg"]
    gps = library.execute("SELECT id FROM evidence WHERE file_id = ? AND is_utc = 1", (two,)).fetchone()[0]
    web_client.post(f"/review/dates/{two}", data={"action": "accept", "evidence": gps})
    row = file_row(library, two)
    assert (row["taken_local"], row["taken_offset"]) == ("2019-07-14T11:05:00", "+02:00")


def test_typing_a_date_with_a_zone_and_a_wrong_date_is_explained(web_client, lib, library):
    scan = lib.ids["Scans/scan 1.jpg"]
    bad = web_client.post(f"/review/dates/{scan}", data={"action": "set", "local": "1987-02-30 10:00"})
    assert (
        bad.status_code == 400
        and "not a real date" in bad.text
        and queue_file(bad.text) == "Scans/scan 1.jpg"
    )
    # The same refusal to the queue's boosted form: shown in place (200, so the browser's console
    # stays clean) with the location bar on the file's queue address, not the form's action.
    boosted = web_client.post(
        f"/review/dates/{scan}?q=scan",
        data={"action": "set", "local": "1987-02-30 10:00"},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )
    assert boosted.status_code == 200 and "not a real date" in boosted.text
    assert boosted.headers["HX-Push-Url"] == f"/review/dates?q=scan&file={scan}"
    # That action's address opened with Back or a reload is the file in its queue, not a 405.
    again = web_client.get(f"/review/dates/{scan}?q=scan", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/review/dates?q=scan&file={scan}"
    web_client.post(
        f"/review/dates/{scan}",
        data={"action": "set", "local": "1987-06-01 10:30", "zone": "America/New_York"},
    )
    row = file_row(library, scan)
    assert (row["taken_local"], row["taken_offset"], row["taken_zone"]) == (
        "1987-06-01T10:30",
        "-04:00",
        "America/New_York",
    )
    assert row["taken_precision"] == "minute" and row["confidence"] == "high"


def test_shift_the_whole_folder_from_the_queue(web_client, lib, library):
    two = lib.ids["Holiday/IMG_0002.jpg"]
    page = web_client.get(f"/review/dates?file={two}").text
    assert "all 4 files in this folder" in page
    web_client.post(f"/review/dates/{two}", data={"action": "shift", "minutes": "-30", "scope": "folder"})
    assert file_row(library, lib.ids["Holiday/IMG_0001.jpg"])["taken_local"] == "2019-07-14T09:30:00"
    assert file_row(library, lib.ids["Holiday/IMG_0004.jpg"])["taken_local"] == "2019-07-15T07:30:00"
    assert file_row(library, lib.ids["Copies/IMG_0001.jpg"])["taken_local"] == "2019-07-14T10:00:00"


def test_the_queue_url_keeps_its_filter_through_a_decision(web_client, lib):
    scan = lib.ids["Scans/scan 1.jpg"]
    response = web_client.post(
        f"/review/dates/{scan}?q=Scans", data={"action": "set", "local": "1987-06-01"}, follow_redirects=False
    )
    location = response.headers["location"]
    assert location.startswith("/review/dates?q=Scans")
    assert queue_file(web_client.get(location).text) == "Scans/<b>bold</b>.jpg".replace("<", "&lt;").replace(
        ">", "&gt;"
    )


def test_an_empty_queue_says_so(web_client, lib):
    page = web_client.get("/review/dates?q=Video")
    assert "Nothing left to review" in page.text
    assert web_client.get("/api/review/dates?q=Video").json() == {"total": 0, "file": None}


def test_boosted_navigation_gets_its_url_pushed(web_client, lib):
    response = web_client.get("/review/dates?q=Scans", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.headers["HX-Push-Url"] == "/review/dates?q=Scans"


# Duplicates -------------------------------------------------------------------------------------


def test_duplicate_group_side_by_side_with_differences_marked(web_client, lib):
    page = web_client.get("/review/duplicates?class=same").text
    assert "Suggested keeper" in page
    assert page.index("Holiday/IMG_0004.jpg") < page.index("Copies/IMG_0004 small.jpg")
    assert re.search(r"<dt>File size</dt><dd class=\"differs\">", page)
    assert not re.search(r"<dt>Taken</dt><dd class=\"differs\">", page)
    api = web_client.get("/api/review/duplicates?class=same").json()
    assert api["group"]["suggested_keeper"] == lib.ids["Holiday/IMG_0004.jpg"]
    assert "File size" in api["group"]["differs"] and "Taken" not in api["group"]["differs"]


def test_keep_one_sets_the_others_aside_and_undo_brings_them_back(web_client, lib, library):
    group, keeper, copy = lib.groups["exact"], lib.ids["Holiday/IMG_0001.jpg"], lib.ids["Copies/IMG_0001.jpg"]
    response = web_client.post(
        f"/review/duplicates/{group}", data={"action": "keep", "file": keeper}, follow_redirects=False
    )
    assert file_row(library, copy)["discarded"] == 1
    page = web_client.get(response.headers["location"]).text
    assert "Kept one file; set aside 1 other." in page
    assert "Nothing left here" in page
    undo_id = re.search(r'action="/decisions/(\d+)/undo"', page).group(1)
    web_client.post(f"/decisions/{undo_id}/undo", data={"back": "/review/duplicates?class=exact"})
    assert file_row(library, copy)["discarded"] == 0
    assert library.execute("SELECT resolution FROM dup_groups WHERE id = ?", (group,)).fetchone()[0] is None
    assert "Copies/IMG_0001.jpg" in web_client.get("/review/duplicates?class=exact").text


@pytest.mark.parametrize("action", ["keep_all", "not_duplicates"])
def test_keep_all_and_not_duplicates_close_the_group_and_set_nothing_aside(web_client, lib, library, action):
    group = lib.groups["similar"]
    web_client.post(f"/review/duplicates/{group}", data={"action": action})
    assert library.execute("SELECT resolution FROM dup_groups WHERE id = ?", (group,)).fetchone()[0] == action
    assert library.execute("SELECT count(*) FROM files WHERE discarded = 1").fetchone()[0] == 0


def test_accept_all_suggested_exact_keepers_asks_first_with_the_count(web_client, lib, library):
    confirm = web_client.get("/review/duplicates/accept-suggested?class=exact").text
    assert "In <strong>1</strong> group, the suggested file is kept and" in confirm
    assert "<strong>1</strong> other file will be set aside" in confirm
    assert library.execute("SELECT count(*) FROM files WHERE discarded = 1").fetchone()[0] == 0
    web_client.post("/review/duplicates/accept-suggested?class=exact")
    assert [r[0] for r in library.execute("SELECT rel_path FROM files WHERE discarded = 1")] == [
        "Copies/IMG_0001.jpg"
    ]
    assert web_client.get("/review/duplicates/accept-suggested?class=similar").status_code == 400


# Home ------------------------------------------------------------------------------------------


def test_home_counts_what_needs_attention_with_links(web_client, lib):
    html = web_client.get("/").text
    for count, label, href in [
        (4, "dates to review", "/review/dates"),
        (1, "exact duplicate group", "/review/duplicates?class=exact"),
        (1, "same-picture group", "/review/duplicates?class=same"),
        (1, "similar-picture group", "/review/duplicates?class=similar"),
        (1, "file with errors", "/library?problem=errors"),
    ]:
        assert re.search(rf'href="{re.escape(href)}"><span class="count">{count}</span> {label}', html), label


def test_home_counts_agree_with_the_pages_they_link_to(web_client, lib, library):
    # An error file set aside is out of the grid the count links to; a group left without members
    # (a regroup after a decision) is not waiting for anyone.
    with transaction(library):
        library.execute("UPDATE files SET discarded = 1 WHERE status = 'error'")
        library.execute("DELETE FROM dup_members WHERE group_id = ?", (lib.groups["similar"],))
    html = web_client.get("/").text
    assert re.search(r'<span class="count">0</span> files with errors', html)
    assert re.search(r'<span class="count">0</span> similar-picture groups', html)
    assert "0 files match" in web_client.get("/library?problem=errors").text.replace("<strong>", "").replace(
        "</strong>", "")


def test_tag_suggestions_for_htmx_and_a_tags_page_for_people(web_client, lib):
    options = web_client.get("/tags/suggest?tag=hol", headers={"HX-Request": "true"}).text
    assert options.strip() == '<option value="Holiday"></option>'
    assert web_client.get("/api/tags?q=HOL").json() == {"tags": [{"name": "Holiday", "files": 4}]}
    page = web_client.get("/tags/suggest?q=hol").text
    assert "<h1>Tags</h1>" in page and 'href="/library?tag=Holiday"' in page
