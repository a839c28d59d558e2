"""jobs/analyse.py: one streaming read per file, and RAW files hashed from the JPEG they embed."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from jobs.analyse import analyse_preview, read_file
from jobs.errors import MediaError
from jobs.hashing import hamming
from jobs.images import analyse_image
from tests.corpus import CORPUS


def test_read_file_hashes_and_sniffs_in_one_pass(tmp_path):
    path = tmp_path / "photo.dat"
    shutil.copyfile(CORPUS / "jpg" / "Canon_40D.jpg", path)
    reading = read_file(path)
    assert reading.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (reading.sniffed.real_type, reading.size) == ("jpeg", path.stat().st_size)


def test_read_file_refuses_what_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe.jpg")
    with pytest.raises(MediaError, match="not a regular file"):
        read_file(tmp_path / "pipe.jpg")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(MediaError, match="empty file"):
        read_file(tmp_path / "empty.jpg")


def test_an_embedded_preview_hashes_like_the_picture_so_raw_and_jpeg_pairs_match(tmp_path):
    # The corpus has no RAW file; a JPEG's EXIF thumbnail goes through the same extraction path.
    source = CORPUS / "jpg" / "Canon_40D.jpg"
    preview = analyse_preview(source, tmp_path)
    full = analyse_image(source, "jpeg")
    assert hamming(preview.hashes["phash"], full.hashes["phash"]) <= 4
    assert hamming(preview.hashes["dhash"], full.hashes["dhash"]) <= 6
    assert list(tmp_path.iterdir()) == [], "the extracted preview is not left behind"


def test_a_file_without_an_embedded_preview_says_so(tmp_path):
    plain = tmp_path / "plain.png"
    plain.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(MediaError, match="without an embedded preview"):
        analyse_preview(plain, tmp_path / "scratch")
