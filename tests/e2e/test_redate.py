"""Dates are decided again from stored evidence: after an engine upgrade, and on `mediaparser redate`."""

from __future__ import annotations

import json
import shutil
import sqlite3

from tests.polling import wait_for
from tests.trees import corpus


def test_a_new_engine_version_redates_the_library_when_workers_start(app, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copyfile(corpus("jpg/Canon_40D.jpg"), photos / "Canon_40D.jpg")
    worker = app.start_worker(processes=1)
    assert app.cli("import", str(photos), "--wait").returncode == 0
    [before] = app.query("SELECT taken_local, confidence FROM files")
    assert tuple(before) == ("2008-05-30T15:56:01", "high")
    app.stop()
    app.procs.remove(worker)

    conn = sqlite3.connect(app.data / "mediaparser.sqlite3")
    conn.execute("UPDATE files SET taken_local = NULL, confidence = NULL, engine_version = 0")
    conn.commit()
    conn.close()
    (photos / "Canon_40D.jpg").unlink()  # nothing may be read again: the evidence is stored
    app.start_worker(processes=1)
    wait_for(lambda: app.query("SELECT taken_local FROM files")[0][0] == "2008-05-30T15:56:01")


def test_redate_command_is_idempotent_and_reads_no_file(app, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("Canon_40D.jpg", "gps/DSCN0010.jpg", "Nikon_D70.jpg"):
        shutil.copyfile(corpus(f"jpg/{name}"), photos / name.rsplit("/", 1)[-1])
    app.start_worker(processes=1)
    assert app.cli("import", str(photos), "--wait").returncode == 0
    columns = "rel_path, taken_local, taken_offset, taken_zone, confidence, conflict, reasons"
    before = [tuple(r) for r in app.query(f"SELECT {columns} FROM files ORDER BY id")]
    shutil.rmtree(photos)
    result = app.cli("redate")
    assert result.returncode == 0 and "Dated 3 files again" in result.stdout
    assert [tuple(r) for r in app.query(f"SELECT {columns} FROM files ORDER BY id")] == before
    assert all(json.loads(r[-1]) for r in before), "every decision shows its reasons"


XMP_SIDECAR = """<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x='adobe:ns:meta/'>
 <rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>
  <rdf:Description rdf:about='' xmlns:exif='http://ns.adobe.com/exif/1.0/'>
   <exif:DateTimeOriginal>2019-07-04T18:30:45+09:00</exif:DateTimeOriginal>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end='w'?>
"""


def test_an_xmp_sidecar_dates_a_photo_without_its_own_date(app, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copyfile(corpus("jpg/orientation/landscape_1.jpg"), photos / "scan_0042.jpg")  # no date inside
    (photos / "scan_0042.xmp").write_text(XMP_SIDECAR)
    app.start_worker(processes=1)
    assert app.cli("import", str(photos), "--wait").returncode == 0
    [row] = app.query(
        "SELECT taken_local, taken_offset, confidence, reasons FROM files WHERE rel_path = ?", "scan_0042.jpg"
    )
    assert (row["taken_local"], row["taken_offset"], row["confidence"]) == (
        "2019-07-04T18:30:45",
        "+09:00",
        "medium",
    )
    assert "Sidecar" in json.loads(row["reasons"])[0]
    [sidecar] = app.query("SELECT status, status_reason FROM files WHERE rel_path = 'scan_0042.xmp'")
    assert sidecar["status"] == "skipped"
