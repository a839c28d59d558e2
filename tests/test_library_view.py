"""The library's View: query strings in and out, and the SQL it reads with (on a real database)."""

from __future__ import annotations

import pytest

from storage.db import open_database, utc_now
from storage.library import BadFilter, View, count_sql, page_sql, parse_view, query_string
from tests.review_fixtures import add_file


def test_a_view_survives_the_round_trip_through_its_url():
    params = {
        "import": "3",
        "problem": "dates",
        "tag": "Rome, 2019",
        "from": "2019-07-01",
        "to": "2019-07-31",
        "type": "image",
        "q": "IMG_%",
        "sort": "name",
        "order": "desc",
        "after": "a/b,c.jpg,17",
        "per": "30",
    }
    view = parse_view(params)
    assert parse_view(dict(p.split("=", 1) for p in _decoded(query_string(view)))) == view


def _decoded(query: str) -> list[str]:
    from urllib.parse import parse_qsl

    return [f"{k}={v}" for k, v in parse_qsl(query)]


def test_defaults_stay_out_of_the_url():
    assert query_string(View()) == ""
    assert query_string(parse_view({"sort": "date", "order": "asc", "q": " "})) == ""


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "colour"},
        {"from": "2019-13-01"},
        {"import": "one"},
        {"after": "no-id"},
        {"per": "x"},
        {"type": "raw"},
    ],
)
def test_bad_values_say_what_is_expected(params):
    with pytest.raises(BadFilter, match="must be"):
        parse_view(params)


def test_per_page_is_bounded():
    assert parse_view({"per": "100000"}).per == 500
    assert parse_view({"per": "0"}).per == 1


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "files_taken_key"),
        ({"after": "2019-07-14T10:00:00,99"}, "files_taken_key"),
        ({"sort": "name", "after": "a/b.jpg,5"}, "files_name"),
        ({"sort": "size", "order": "desc", "after": "1000,5"}, "files_size_key"),
        ({"import": "2"}, "files_import_taken_key"),
    ],
)
def test_grid_pages_read_an_index_in_order(tmp_path, params, index):
    """No page sorts the whole library: each reads its sort key's index from the cursor on."""
    conn = open_database(tmp_path / "lib.sqlite3")
    sql, args = page_sql(parse_view(params))
    plan = " ".join(r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))
    # The page's ids come from the index in order; only the page itself (61 rows) is sorted again.
    choosing = plan.split("SCAN page")[0]
    assert index in choosing and "TEMP B-TREE" not in choosing, plan


def test_the_date_queue_counts_through_its_partial_index(tmp_path):
    conn = open_database(tmp_path / "lib.sqlite3")
    sql, args = count_sql(parse_view({"problem": "dates"}))
    plan = " ".join(r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))
    assert "files_date_review" in plan, plan


@pytest.mark.parametrize(
    ("range_", "expected"),
    [
        # A date known to the month or the year is in every range its period overlaps.
        ({"from": "2019-07-01", "to": "2019-07-31"}, {"2019", "2019-07", "2019-07-14T10:00:00"}),
        ({"from": "2019-07-15", "to": "2019-07-20"}, {"2019", "2019-07"}),
        ({"from": "2019-01-01"}, {"2019", "2019-07", "2019-07-14T10:00:00", "2020"}),
        ({"to": "2018-12-31"}, {"2018-12-31T23:00:00"}),
        ({"to": "2019-06-30"}, {"2018-12-31T23:00:00", "2019"}),
        ({"from": "2020-01-01", "to": "2020-12-31"}, {"2020"}),
    ],
)
def test_a_date_range_holds_dates_known_only_to_the_month_or_year(tmp_path, range_, expected):
    conn = open_database(tmp_path / "lib.sqlite3")
    import_id = conn.execute(
        "INSERT INTO imports (kind, root, label, state, created_at) VALUES ('folder', '/x', 'x', 'done', ?)",
        (utc_now(),),
    ).lastrowid
    for n, taken in enumerate(["2018-12-31T23:00:00", "2019", "2019-07", "2019-07-14T10:00:00", "2020"]):
        add_file(conn, import_id, f"f{n}.jpg", taken=taken)
    sql, args = page_sql(parse_view(range_))
    ids = [r[0] for r in conn.execute(sql, args)]
    found = {conn.execute("SELECT taken_local FROM files WHERE id = ?", (i,)).fetchone()[0] for i in ids}
    assert found == expected
