"""Scenario trees for import tests, built by code from the real corpus and ffmpeg.

Each builder returns what a person should see after importing the tree: for every relative path,
the status and a fragment of the reason.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

from PIL import Image

from tests.corpus import CORPUS

Expected = dict[str, tuple[str, str]]


def corpus(relative: str) -> Path:
    path = CORPUS / relative
    assert path.is_file(), f"missing corpus file {path}"
    return path


def make_video(target: Path, seconds: float = 1.0, size: str = "320x240") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size={size}:rate=10",
            "-t",
            str(seconds),
            "-pix_fmt",
            "yuv420p",
            f"file:{target}",
        ],
        check=True,
        timeout=60,
    )
    return target


def jpeg_bytes(color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def place(target: Path, source: Path | bytes) -> Path:
    """Write these bytes (or a copy of that file) at `target`, making its folders."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, bytes):
        target.write_bytes(source)
    else:
        shutil.copyfile(source, target)
    return target


def build_mixed_tree(root: Path, outside: Path) -> Expected:
    """Nested folders, real camera files, a video, and every kind of bad or hostile input."""
    expected: Expected = {}

    def put(rel: str, source: Path | bytes, status: str, reason: str = "") -> None:
        place(root / rel, source)
        expected[rel] = (status, reason)

    put("2019/Summer 2019/Canon_40D.jpg", corpus("jpg/Canon_40D.jpg"), "processed")
    put("2019/Summer 2019/DSCN0010.jpg", corpus("jpg/gps/DSCN0010.jpg"), "processed")
    put("phone/IMG_5195.HEIC", corpus("heic/IMG_5195.HEIC"), "processed")
    put("phone/portrait_6.jpg", corpus("jpg/orientation/portrait_6.jpg"), "processed")
    put("names/with space é ü.jpg", corpus("jpg/Nikon_D70.jpg"), "processed")
    put("names/-leading-dash.jpg", corpus("jpg/Sony_HDR-HC3.jpg"), "processed")
    put("names/new\nline.jpg", corpus("jpg/Pentax_K10D.jpg"), "processed")
    make_video(root / "videos/clip.mp4")
    expected["videos/clip.mp4"] = ("processed", "")
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(png, "PNG")
    put("wrong/actually-png.jpg", png.getvalue(), "processed")
    put("bad/zero.jpg", b"", "error", "empty file")
    data = corpus("jpg/Canon_40D.jpg").read_bytes()
    put("bad/truncated.jpg", data[: len(data) // 3], "error", "")
    put("bad/random.jpg", os.urandom(5000), "error", "named like a photo or video (.jpg) but the contents")
    put("bad/notes.txt", b"shopping list\n", "skipped", "not a photo or video")
    put(".DS_Store", b"\0\0\0\1Bud1", "skipped", "macOS folder view")
    put("phone/._IMG_5195.HEIC", b"\0\5\26\7", "skipped", "AppleDouble")
    put("phone/Thumbs.db", b"\xd0\xcf\x11\xe0", "skipped", "system file")
    (root / "@eaDir" / "x").mkdir(parents=True)
    (root / "@eaDir" / "x" / "thumb.jpg").write_bytes(jpeg_bytes((1, 2, 3)))
    expected["@eaDir"] = ("skipped", "Synology")
    outside.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(corpus("jpg/Canon_40D.jpg"), outside / "secret.jpg")
    os.symlink(outside / "secret.jpg", root / "link-out.jpg")
    expected["link-out.jpg"] = ("skipped", "outside")
    return expected


def build_flat_tree(root: Path, count: int) -> list[str]:
    """`count` small distinct JPEGs in a few folders, for kill-and-resume runs."""
    names = []
    for n in range(count):
        rel = f"batch{n % 5}/img_{n:05d}.jpg"
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(jpeg_bytes(((n * 37) % 256, (n * 91) % 256, (n * 13) % 256), (320, 240)))
        names.append(rel)
    return names
