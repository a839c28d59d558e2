"""Export names: the layout, real extensions, same-second order and never reusing a name."""

from __future__ import annotations

import pytest

from jobs.naming import BadTemplate, Item, check_template, plan, stamp


def item(i: int, local: str | None = "2019-07-14T15:03:09", **kw) -> Item:
    values = {"precision": "second", "real_type": "jpeg", "name": f"IMG_{i:04d}.JPG", "sha256": f"sha{i}"}
    values.update(kw)
    return Item(id=i, local=local, **values)


def test_default_layout_is_year_then_capture_time():
    assert plan([item(1)]) == {1: "2019/20190714_150309.jpg"}


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("YYYY/YYYY-MM/", "2019/2019-07/20190714_150309.jpg"),
        ("", "20190714_150309.jpg"),
        ("YYYY/MM/DD", "2019/07/14/20190714_150309.jpg"),
    ],
)
def test_folder_templates(template, path):
    assert plan([item(1)], template) == {1: path}


@pytest.mark.parametrize("template", ["/etc/", "YYYY/../../x/", "YYYY//", "a\\b/", "YYYY/\x00/"])
def test_unsafe_templates_are_refused(template):
    with pytest.raises(BadTemplate):
        check_template(template)


def test_extensions_follow_the_real_type_lower_cased():
    found = plan(
        [
            item(1, real_type="png", name="x.JPG"),
            item(2, local="2019-07-14T15:03:10", real_type="mov", name="clip.MOV"),
            item(3, local="2019-07-14T15:03:11", real_type=None, name="odd.XYZ"),
        ]
    )
    assert found == {
        1: "2019/20190714_150309.png",
        2: "2019/20190714_150310.mov",
        3: "2019/20190714_150311.xyz",
    }


def test_same_second_ordered_by_subseconds_then_burst_then_id():
    found = plan([item(1, subsec="9"), item(2, subsec="10"), item(3, burst=2), item(4, burst=1), item(5)])
    assert found == {
        2: "2019/20190714_150309.jpg",  # .10 s
        1: "2019/20190714_150309_1.jpg",  # .9 s
        4: "2019/20190714_150309_2.jpg",
        3: "2019/20190714_150309_3.jpg",
        5: "2019/20190714_150309_4.jpg",
    }


def test_a_name_taken_by_other_bytes_is_skipped_and_the_same_bytes_are_reused():
    existing = {"2019/20190714_150309.jpg": "someone else", "2019/20190714_150309_1.jpg": "sha2"}
    found = plan([item(1), item(2)], existing=existing)
    assert found == {2: "2019/20190714_150309_1.jpg", 1: "2019/20190714_150309_2.jpg"}


def test_identical_files_share_one_output():
    assert plan([item(1, sha256="same"), item(2, sha256="same")]) == {
        1: "2019/20190714_150309.jpg",
        2: "2019/20190714_150309.jpg",
    }


def test_files_without_a_date_keep_a_safe_name_in_the_no_date_folder():
    found = plan(
        [item(1, local=None, name="scan 1.JPG"), item(2, local=None, name='a:b?"c.png', real_type="png")]
    )
    assert found == {1: "no date/scan 1.jpg", 2: "no date/a_b__c.png"}


@pytest.mark.parametrize(
    ("local", "precision", "text"),
    [
        ("2019-07-14T15:03:09", "second", "20190714_150309"),
        ("2019-07-14T15:03", "minute", "20190714_1503"),
        ("2019-07-14", "day", "20190714"),
        ("2019-07", "month", "201907"),
        ("2019", "year", "2019"),
    ],
)
def test_coarse_times_are_named_as_coarse_as_they_are_known(local, precision, text):
    assert stamp(local, precision) == text
