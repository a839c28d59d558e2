"""The file page, its JSON twin and the media served by file id (web/file_pages.py, web/media.py),
through the real app and SQLite file, with real pictures made by Pillow.

Rows are inserted directly; the POST endpoints the page's forms target (/selection, /decisions/N/undo)
belong to other modules, so only the forms themselves are checked here.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from storage.datadir import THUMBS
from storage.db import transaction, utc_now
from storage.settings import Settings
from web import media
from web.file_pages import file_routes

try:  # HEIC encoding is test-only (pillow-heif bundles a GPL encoder); the app decodes with pi-heif.
    import pillow_heif
except ImportError:
    pillow_heif = None


@pytest.fixture(autouse=True)
def wired(web_client: TestClient) -> None:
    # The lead wires `*file_routes` into web/routes.py; until then (and harmlessly after) add them here.
    routes = web_client.app.router.routes
    known = {getattr(route, "path", None) for route in routes}
    routes.extend(route for route in file_routes if route.path not in known)


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u202f", " ").split())


def insert(conn: sqlite3.Connection, table: str, **fields: Any) -> int:
    with transaction(conn):
        cursor = conn.execute(
            f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            tuple(fields.values()),
        )
    return cursor.lastrowid


@pytest.fixture
def import_id(library: sqlite3.Connection, import_root: Path) -> int:
    return insert(library, "imports", kind="folder", root=str(import_root), label="Summer 2019",
                  state="done", created_at=utc_now())  # fmt: skip


def picture(path: Path, fmt: str, size: tuple[int, int] = (64, 48), **save: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (200, 80, 40))
    if fmt == "HEIC":
        assert pillow_heif is not None
        # from_pillow, not register_heif_opener: pi-heif stays the decoder the app uses.
        pillow_heif.from_pillow(image).save(path, quality=60)
    else:
        image.save(path, fmt, **save)
    return path


def add_file(
    conn: sqlite3.Connection,
    import_id: int,
    source: Path,
    rel_path: str | None = None,
    real_type: str = "jpeg",
    mime: str = "image/jpeg",
    status: str = "processed",
    **fields: Any,
) -> int:
    row = {
        "import_id": import_id,
        "rel_path": rel_path or source.name,
        "source_path": str(source),
        "origin": str(source),
        "status": status,
        "real_type": real_type,
        "mime": mime,
        "size": source.stat().st_size if source.exists() else 10,
        "created_at": utc_now(),
        **fields,
    }
    return insert(conn, "files", **row)


def add_thumb(conn: sqlite3.Connection, settings: Settings, file_id: int) -> bytes:
    """A real little WebP where the analysis would have put it, recorded on the row."""
    relative = f"{THUMBS}/{file_id % 256:02x}/{file_id}.webp"
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 200, 10)).save(buffer, "WEBP")
    target = settings.data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue())
    with transaction(conn):
        conn.execute("UPDATE files SET thumb_path = ? WHERE id = ?", (relative, file_id))
    return buffer.getvalue()


def tag(conn: sqlite3.Connection, file_id: int, name: str, origin: str = "user") -> None:
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
        conn.execute(
            "INSERT INTO file_tags (file_id, tag_id, origin) SELECT ?, id, ? FROM tags WHERE name = ?",
            (file_id, origin, name),
        )


def decide(conn: sqlite3.Connection, kind: str, file_id: int | None, **fields: Any) -> int:
    payload = json.dumps(fields.pop("payload", {}))
    return insert(conn, "decisions", kind=kind, file_id=file_id, payload=payload, actor=fields.pop("actor", "anna"),
                  created_at=utc_now(), **fields)  # fmt: skip


def pixels(response: Any) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(response.content)) as image:
        return image.format, image.size


# A file with a bit of everything -----------------------------------------------------------------


@pytest.fixture
def rich(
    library: sqlite3.Connection, web_settings: Settings, import_id: int, import_root: Path
) -> dict[str, int]:
    jpeg = picture(import_root / "2019" / "IMG_0001.jpg", "JPEG")
    other = picture(import_root / "2019" / "IMG_0001 (1).jpg", "JPEG")
    file_id = add_file(
        library, import_id, jpeg, rel_path="2019/IMG_0001.jpg", width=64, height=48,
        camera_make="Canon", camera_model="EOS 80D", sha256="ab" * 32,
        taken_local="2019-07-14T10:30:00", taken_offset="+02:00", taken_zone="Europe/Paris",
        taken_precision="second", taken_source="EXIF:DateTimeOriginal", offset_source="gps zone",
        confidence="low", conflict=1,
        reasons=json.dumps(["The camera clock and the file name disagree by 3 hours."]),
    )  # fmt: skip
    other_id = add_file(library, import_id, other, rel_path="2019/IMG_0001 (1).jpg", thumb_path=None)
    add_thumb(library, web_settings, file_id)
    add_thumb(library, web_settings, other_id)
    insert(library, "evidence", file_id=file_id, source="EXIF:DateTimeOriginal", raw="2019:07:14 10:30:00",
           local_time="2019-07-14T10:30:00", precision="second")  # fmt: skip
    insert(library, "evidence", file_id=file_id, source="name", raw="IMG_20190714_073000",
           local_time="2019-07-14T07:30:00", utc_offset="+00:00", is_utc=1, precision="second",
           merged_from=other_id)  # fmt: skip
    metadata = {"EXIF:Make": "Canon", "EXIF:Model": "EOS 80D", "File:FileSize": "12 kB",
                "MakerNotes:Blob": "x" * 1000, "SourceFile": "/somewhere"}  # fmt: skip
    insert(library, "file_metadata", file_id=file_id, tags=json.dumps(metadata))
    tag(library, file_id, "Holiday")
    tag(library, file_id, "2019", "folder")
    dated = decide(library, "date", file_id, payload={"local": "2019-07-14T10:30", "offset": "+02:00"})
    tagged = decide(library, "tag", file_id, payload={"tag": "Beach"}, batch="b1")
    undo = decide(library, "undo", file_id, undoes=tagged, batch="b2")
    now = utc_now()
    group = insert(library, "dup_groups", **{"class": "exact"}, representative_id=file_id, keeper_id=other_id,
                   keeper_reason="the larger file", created_at=now, updated_at=now)  # fmt: skip
    insert(library, "dup_members", group_id=group, file_id=file_id, **{"class": "exact"}, distance=0)
    insert(library, "dup_members", group_id=group, file_id=other_id, **{"class": "exact"}, distance=0)
    kept = decide(library, "keep", None, group_id=group, payload={"file": other_id}, actor="ben")
    insert(library, "job_events", import_id=import_id, file_id=file_id, level="warning",
           message="The GPS block is damaged.", created_at=now)  # fmt: skip
    return {"id": file_id, "other": other_id, "dated": dated, "tagged": tagged, "undo": undo,
            "group": group, "kept": kept, "import": import_id}  # fmt: skip


def test_file_page_shows_everything_known(web_client: TestClient, rich: dict[str, int]) -> None:
    fid = rich["id"]
    response = web_client.get(f"/files/{fid}")
    assert response.status_code == 200
    html = response.text
    text = visible_text(html)
    assert "2019/IMG_0001.jpg" in text
    assert f'<img class="media-preview" src="/files/{fid}/preview" alt="Preview of IMG_0001.jpg">' in html
    assert f'<a href="/imports/{rich["import"]}">#{rich["import"]} Summer 2019</a>' in html
    assert "Summer 2019" in text
    # The decided date, with its confidence, conflict and reasons.
    assert "2019-07-14 10:30:00" in text
    assert 'class="badge conf-low"' in html
    assert "sources disagree" in text
    assert "The camera clock and the file name disagree by 3 hours." in text
    assert "Europe/Paris" in text and "+02:00" in text
    assert f'href="/review/dates?file={fid}"' in html
    assert "Canon EOS 80D" in text and "64 × 48 pixels" in text
    # Evidence, one row merged from the duplicate.
    assert "2019:07:14 10:30:00" in text and "IMG_20190714_073000" in text
    assert f'<a href="/files/{rich["other"]}">file #{rich["other"]}</a>' in html
    # Tags, each with a remove button, and the add form.
    assert "Holiday" in text and "(folder)" in text
    assert '<button class="tag-remove" aria-label="Remove tag Holiday">×</button>' in html
    assert 'list="tag-options"' in html and '<datalist id="tag-options">' in html
    assert '<input type="hidden" name="action" value="tag">' in html
    assert f'<input type="hidden" name="back" value="/files/{fid}">' in html
    assert "Set aside (discard)" in text
    # History: the date decision can be undone; the undone tag decision and the undo cannot.
    assert f'action="/decisions/{rich["dated"]}/undo"' in html
    assert f'action="/decisions/{rich["tagged"]}/undo"' not in html
    assert f'action="/decisions/{rich["undo"]}/undo"' not in html
    assert f"undone by #{rich['undo']}" in text
    assert f"undoes #{rich['tagged']}" in text
    # The group's decision shows on the member's page too.
    assert f'action="/decisions/{rich["kept"]}/undo"' in html and "ben" in text
    # The duplicate group, the other member and its thumbnail.
    assert f'href="/review/duplicates?class=exact&amp;group={rich["group"]}"' in html
    assert f'href="/files/{rich["other"]}"' in html and f'src="/files/{rich["other"]}/thumb"' in html
    assert "suggested keeper" in text and "the larger file" in text
    # Import problems and metadata, grouped, long values cut.
    assert "The GPS block is damaged." in text
    for group in ("EXIF", "File", "MakerNotes", "Other"):
        assert f"<summary>{group} " in html
    assert "x" * 300 + "…" in html and "x" * 301 not in html


def test_page_escapes_names_tags_and_reasons(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path
) -> None:
    evil = "<script>alert(1)</script>"
    source = picture(import_root / "evil.jpg", "JPEG")
    fid = add_file(library, import_id, source, rel_path=f"{evil}.jpg", status="error",
                   status_reason=f"{evil} is broken", reasons=json.dumps([evil]))  # fmt: skip
    tag(library, fid, '<b onmouseover="x">bold</b>')
    insert(library, "file_metadata", file_id=fid, tags=json.dumps({f"EXIF:{evil}": evil}))
    decide(library, "tag", fid, payload={"tag": evil}, actor=evil)
    html = web_client.get(f"/files/{fid}").text
    assert "<script>" not in html
    assert "<b onmouseover" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.jpg" in html
    assert 'aria-label="Remove tag &lt;b onmouseover=&#34;x&#34;&gt;bold&lt;/b&gt;"' in html


def test_api_twin_has_the_same_facts(web_client: TestClient, rich: dict[str, int]) -> None:
    body = web_client.get(f"/api/files/{rich['id']}").json()
    f = body["file"]
    assert f["id"] == rich["id"] and f["path"] == "2019/IMG_0001.jpg" and f["name"] == "IMG_0001.jpg"
    assert f["taken"] == "2019-07-14T10:30:00" and f["confidence"] == "low" and f["conflict"] is True
    assert f["needs_review"] is True and f["kind"] == "image" and f["has_thumb"] is True
    assert f["exact_group"] == rich["group"]
    assert sorted(f["tags"]) == ["2019", "Holiday"]
    assert body["tags"] == [{"name": "2019", "origin": "folder"}, {"name": "Holiday", "origin": "user"}]
    assert [e["source"] for e in body["evidence"]] == ["EXIF:DateTimeOriginal", "name"]
    assert body["evidence"][1]["merged_from"] == rich["other"] and body["evidence"][1]["is_utc"] is True
    by_id = {d["id"]: d for d in body["decisions"]}
    assert [d["id"] for d in body["decisions"]] == sorted(by_id, reverse=True)
    assert by_id[rich["tagged"]]["undone_by"] == rich["undo"] and not by_id[rich["tagged"]]["can_undo"]
    assert by_id[rich["dated"]]["can_undo"] and by_id[rich["dated"]]["payload"]["offset"] == "+02:00"
    [group] = body["duplicate_groups"]
    assert group["class"] == "exact" and group["resolution"] is None
    assert [m["id"] for m in group["members"]] == [rich["other"]] and group["members"][0]["is_keeper"]
    assert body["events"][0]["message"] == "The GPS block is damaged."
    assert body["metadata"]["MakerNotes:Blob"] == "x" * 1000, "the JSON keeps full values"


def test_batch_decision_says_undo_reverses_the_batch(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path
) -> None:
    ids = [add_file(library, import_id, import_root / f"{n}.jpg") for n in range(3)]
    made = [decide(library, "shift", i, payload={"minutes": 60}, batch="shift-1") for i in ids]
    html = web_client.get(f"/files/{ids[0]}").text
    assert f'action="/decisions/{made[0]}/undo"' in html
    assert "Undo all 3" in visible_text(html)


def test_unknown_files_are_404_with_a_sentence(web_client: TestClient) -> None:
    page = web_client.get("/files/999")
    assert page.status_code == 404 and "There is no file #999." in visible_text(page.text)
    api = web_client.get("/api/files/999")
    assert api.status_code == 404 and api.json()["error"].startswith("There is no file #999.")
    for part in ("thumb", "preview", "original"):
        assert web_client.get(f"/files/999/{part}").status_code == 404
    assert web_client.get("/files/abc").status_code == 404


def test_error_file_page_shows_the_reason(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path
) -> None:
    source = import_root / "broken.jpg"
    source.write_bytes(b"\xff\xd8\xff" + b"\0" * 20)
    fid = add_file(library, import_id, source, status="error",
                   status_reason="JPEG data ends early: the file is truncated or damaged")  # fmt: skip
    response = web_client.get(f"/files/{fid}")
    text = visible_text(response.text)
    assert response.status_code == 200
    assert "could not be analysed: JPEG data ends early: the file is truncated or damaged" in text
    assert "Review this date" not in text, "an error file is not in the date queue"
    assert "No picture to show" in text


def test_discarded_file_offers_to_bring_it_back(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path
) -> None:
    fid = add_file(library, import_id, picture(import_root / "a.jpg", "JPEG"), discarded=1, confidence="none")
    html = web_client.get(f"/files/{fid}").text
    assert '<input type="hidden" name="action" value="undiscard">' in html
    assert "Bring back (undiscard)" in visible_text(html)
    assert "/review/dates?file=" not in html, "set-aside files are not in the date queue"


# Media -------------------------------------------------------------------------------------------


def test_thumbnail_is_served_from_the_thumbs_folder_only(
    web_client: TestClient, library: sqlite3.Connection, web_settings: Settings, import_id: int,
    import_root: Path,
) -> None:  # fmt: skip
    fid = add_file(library, import_id, picture(import_root / "a.jpg", "JPEG"))
    assert web_client.get(f"/files/{fid}/thumb").status_code == 404, "no thumbnail yet"
    data = add_thumb(library, web_settings, fid)
    response = web_client.get(f"/files/{fid}/thumb")
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "private, max-age=86400"
    assert response.headers["x-content-type-options"] == "nosniff"
    # A row pointing outside data_dir/thumbs (the database is not trusted with paths) gets nothing.
    (web_settings.data_dir / "secret.webp").write_bytes(data)
    for bad in ("secret.webp", f"{THUMBS}/../secret.webp", str(web_settings.data_dir / "secret.webp")):
        with transaction(library):
            library.execute("UPDATE files SET thumb_path = ? WHERE id = ?", (bad, fid))
        assert web_client.get(f"/files/{fid}/thumb").status_code == 404, bad


def test_original_is_served_inline_with_ranges(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path
) -> None:
    source = picture(import_root / "Été 2019" / 'IMG "1".jpg', "JPEG")
    fid = add_file(library, import_id, source, rel_path='Été 2019/IMG "1".jpg')
    response = web_client.get(f"/files/{fid}/original")
    assert response.status_code == 200 and response.content == source.read_bytes()
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("inline; ") and '"1"' not in disposition and "/" not in disposition
    ranged = web_client.get(f"/files/{fid}/original", headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged.content == source.read_bytes()[:10]
    assert ranged.headers["content-range"] == f"bytes 0-9/{source.stat().st_size}"


def test_original_of_a_video_supports_seeking(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path
) -> None:
    source = import_root / "clip.mp4"
    source.write_bytes(bytes(range(256)) * 40)
    fid = add_file(library, import_id, source, real_type="mp4", mime="video/mp4")
    ranged = web_client.get(f"/files/{fid}/original", headers={"Range": "bytes=1000-"})
    assert ranged.status_code == 206 and ranged.headers["content-type"] == "video/mp4"
    assert ranged.content == source.read_bytes()[1000:]


def test_original_refuses_symlinks_missing_and_unanalysed_files(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path, tmp_path: Path
) -> None:
    real = picture(tmp_path / "elsewhere" / "real.jpg", "JPEG")
    link = import_root / "link.jpg"
    os.symlink(real, link)
    linked = add_file(library, import_id, link)
    assert web_client.get(f"/files/{linked}/original").status_code == 404
    assert web_client.get(f"/files/{linked}/preview").status_code == 404, "nor followed for the preview"
    gone = add_file(library, import_id, import_root / "gone.jpg")
    assert web_client.get(f"/files/{gone}/original").status_code == 404
    pending = add_file(library, import_id, picture(import_root / "new.jpg", "JPEG"), status="pending")
    assert web_client.get(f"/files/{pending}/original").status_code == 404
    folder = add_file(library, import_id, import_root, rel_path="folder")
    assert web_client.get(f"/files/{folder}/original").status_code == 404


def test_original_that_is_not_media_is_a_download(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path
) -> None:
    # Named like a photo, but a web page inside: it must never render on our origin.
    source = import_root / "page.jpg"
    source.write_text("<html><script>alert(1)</script></html>")
    fid = add_file(library, import_id, source, real_type="html", mime="text/html", status="error")
    response = web_client.get(f"/files/{fid}/original")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment; ")


@pytest.mark.parametrize(
    ("name", "fmt", "real_type", "mime"),
    [("a.jpg", "JPEG", "jpeg", "image/jpeg"), ("b.png", "PNG", "png", "image/png"),
     ("png-named.jpg", "PNG", "png", "image/png"), ("c.gif", "GIF", "gif", "image/gif")],
)  # fmt: skip
def test_preview_of_a_browser_format_is_the_original(
    web_client: TestClient, library: sqlite3.Connection, web_settings: Settings, import_id: int,
    import_root: Path, name: str, fmt: str, real_type: str, mime: str,
) -> None:  # fmt: skip
    source = picture(import_root / name, fmt)
    fid = add_file(library, import_id, source, real_type=real_type, mime=mime)
    response = web_client.get(f"/files/{fid}/preview")
    assert response.status_code == 200 and response.content == source.read_bytes()
    assert response.headers["content-type"] == mime
    assert not media.preview_path(web_settings.data_dir, fid).exists()


@pytest.mark.skipif(pillow_heif is None, reason="pillow-heif (test extra) encodes the HEIC")
def test_heic_preview_is_made_once_then_reused(
    web_client: TestClient, library: sqlite3.Connection, web_settings: Settings, import_id: int,
    import_root: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    source = picture(import_root / "IMG_5195.HEIC", "HEIC", size=(2000, 1000))
    fid = add_file(library, import_id, source, real_type="heic", mime="image/heic")
    cached = media.preview_path(web_settings.data_dir, fid)
    assert cached.parent == web_settings.data_dir / "previews" and cached.parent.is_dir()
    first = web_client.get(f"/files/{fid}/preview")
    assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
    assert pixels(first) == ("WEBP", (1600, 800))
    assert cached.read_bytes() == first.content
    assert not [p for p in cached.parent.iterdir() if p != cached], "no temporary file left behind"

    def must_not_decode(*args: Any) -> bool:
        raise AssertionError("the cached preview should have been served")

    monkeypatch.setattr(media, "make_preview", must_not_decode)
    again = web_client.get(f"/files/{fid}/preview")
    assert again.status_code == 200 and again.content == first.content


def test_preview_applies_orientation(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path
) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # turned a quarter: shown upright, it is taller than wide
    source = picture(import_root / "scan.tif", "TIFF", size=(40, 20), exif=exif)
    fid = add_file(library, import_id, source, real_type="tiff", mime="image/tiff")
    response = web_client.get(f"/files/{fid}/preview")
    assert pixels(response) == ("WEBP", (20, 40))


def test_large_browser_pictures_get_a_preview_too(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(media, "DIRECT_MAX_BYTES", 100)
    exif = Image.Exif()
    exif[0x0112] = 8
    source = picture(import_root / "big.jpg", "JPEG", size=(3200, 2400), exif=exif)
    fid = add_file(library, import_id, source)
    assert pixels(web_client.get(f"/files/{fid}/preview")) == ("WEBP", (1200, 1600))


def test_preview_falls_back_to_the_thumbnail(
    web_client: TestClient, library: sqlite3.Connection, web_settings: Settings, import_id: int,
    import_root: Path,
) -> None:  # fmt: skip
    broken = import_root / "broken.heic"
    broken.write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 100)
    fid = add_file(library, import_id, broken, real_type="heic", mime="image/heic", status="error")
    assert web_client.get(f"/files/{fid}/preview").status_code == 404, "nothing to show at all"
    thumb = add_thumb(library, web_settings, fid)
    response = web_client.get(f"/files/{fid}/preview")
    assert response.status_code == 200 and response.content == thumb
    assert not media.preview_path(web_settings.data_dir, fid).exists()
    raw = import_root / "a.cr2"
    raw.write_bytes(b"II*\0" + b"\0" * 100)  # no RAW decoder: the thumbnail from its embedded JPEG
    raw_id = add_file(library, import_id, raw, real_type="cr2", mime="image/x-canon-cr2")
    thumb = add_thumb(library, web_settings, raw_id)
    assert web_client.get(f"/files/{raw_id}/preview").content == thumb


def test_video_preview_is_its_thumbnail_and_page_has_a_player(
    web_client: TestClient, library: sqlite3.Connection, web_settings: Settings, import_id: int,
    import_root: Path,
) -> None:  # fmt: skip
    source = import_root / "clip.mov"
    source.write_bytes(b"\0" * 64)
    fid = add_file(library, import_id, source, real_type="mov", mime="video/quicktime", duration=75.4)
    thumb = add_thumb(library, web_settings, fid)
    assert web_client.get(f"/files/{fid}/preview").content == thumb
    html = web_client.get(f"/files/{fid}").text
    assert f'<video class="media-preview" controls preload="metadata" src="/files/{fid}/original"' in html
    assert f'poster="/files/{fid}/thumb"' in html
    assert "1:15" in visible_text(html)


def test_the_page_forms_work_with_the_shared_endpoints(
    web_client: TestClient, library: sqlite3.Connection, import_id: int, import_root: Path
) -> None:
    # The page's forms post to /selection and /decisions/N/undo (web/selection.py, web/history.py)
    # and come back here with done=BATCH, which the page turns into a message with Undo.
    fid = add_file(library, import_id, picture(import_root / "a.jpg", "JPEG"), confidence="high")
    back = f"/files/{fid}"
    tagged = web_client.post("/selection", data={"action": "tag", "ids": fid, "tag": "Beach", "back": back})
    assert tagged.status_code == 200 and tagged.url.path == back
    text = visible_text(tagged.text)
    assert "Beach (user)" in text and "Tagged a.jpg with “Beach”." in text
    removed = web_client.post(
        "/selection", data={"action": "untag", "ids": fid, "tag": "Beach", "back": back}
    )
    assert "Beach (user)" not in visible_text(removed.text)
    discarded = web_client.post("/selection", data={"action": "discard", "ids": fid, "back": back})
    assert "Bring back (undiscard)" in visible_text(discarded.text)
    [(decision,)] = library.execute(
        "SELECT id FROM decisions WHERE file_id = ? AND kind = 'discard'", (fid,)
    ).fetchall()
    undone = web_client.post(f"/decisions/{decision}/undo", data={"back": back})
    assert undone.url.path == back and "Set aside (discard)" in visible_text(undone.text)
    assert "undone by #" in visible_text(undone.text)
