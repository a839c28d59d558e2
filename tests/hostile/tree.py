"""The hostile import tree: every kind of bad input a folder can hold, beside a few good files.

`build_hostile_tree` returns, per relative path (as the scan records it), the status a person
should see and a fragment of the reason. Everything is made by code: the real camera corpus,
ffmpeg, and byte-level surgery for the damaged and hostile files.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

from PIL import Image

from tests.trees import corpus, jpeg_bytes, make_video, place

Expected = dict[str, tuple[str, str]]

PATH_MAX = 4096
SPARSE_SIZE = 10 << 30  # 10 GiB, all holes but the first bytes

GOOD = {
    "good/Canon_40D.jpg": "jpeg",
    "good/DSCN0010.jpg": "jpeg",
    "good/IMG_5195.HEIC": "heic",
    "good/clip.mp4": "mp4",
}
# Names an argument list or a line-based protocol could misread; every one must be read as a name.
ODD_NAMES = [
    "names/-ver.jpg",
    "names/-execute.jpg",
    "names/-@ list.jpg",
    "names/-o -.jpg",
    "names/#comment.jpg",
    "names/new\nline.jpg",
    "names/carriage\rreturn.jpg",
    "names/tab\there.jpg",
    "names/trailing space.jpg ",
    "names/ leading space.jpg",
    "names/Ünïcödé 照片 😀.jpg",
    "names/right\u202egpj.jpg",
    "names/-folder/-inside.jpg",
    "names/" + "L" * 251 + ".jpg",  # 255 bytes, the longest name ext4 allows
    "names/" + "é" * 125 + ".jpg",  # 254 bytes of two-byte characters
]
ODD_VIDEOS = ["names/-i.mp4", "names/video\nline.mp4"]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but holds a few bytes of pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is rewritten to claim width x height."""
    data = bytearray(jpeg_bytes((200, 30, 30), (64, 48)))
    at = data.index(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def build_hostile_tree(root: Path, outside: Path) -> Expected:
    expected: Expected = {}

    def put(rel: str, content: bytes | Path, status: str, reason: str = "") -> Path:
        expected[rel] = (status, reason)
        return place(root / rel, content)

    for rel in GOOD:
        if rel.endswith(".mp4"):
            make_video(root / rel)
            expected[rel] = ("processed", "")
        else:
            put(
                rel,
                corpus(
                    ("heic/" if rel.endswith("HEIC") else "jpg/")
                    + rel.split("/")[-1].replace("DSCN", "gps/DSCN")
                ),
                "processed",
            )

    put("zero/empty.jpg", b"", "error", "empty file (0 bytes)")
    put("zero/empty.mp4", b"", "error", "empty file (0 bytes)")
    put("zero/empty.HEIC", b"", "error", "empty file (0 bytes)")

    jpeg = corpus("jpg/Canon_40D.jpg").read_bytes()
    put("truncated/cut.jpg", jpeg[: len(jpeg) // 3], "error", "JPEG data")
    heic = corpus("heic/IMG_5195.HEIC").read_bytes()
    put("truncated/cut.HEIC", heic[: len(heic) // 2], "error", "HEIC data ends early")
    video = make_video(root / "truncated/full.mp4", seconds=2.0).read_bytes()
    (root / "truncated/full.mp4").unlink()
    put("truncated/cut.mp4", video[: len(video) // 2], "error", "video")

    random = os.urandom(20_000)
    put("random/noise.jpg", random, "error", "named like a photo or video (.jpg) but the contents are data")
    put("random/noise.HEIC", random[::-1], "error", "named like a photo or video (.HEIC) but the contents")
    put("random/noise.mp4", random[1:], "error", "named like a photo or video (.mp4) but the contents")

    png = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(png, "PNG")
    put("wrong/really-a-png.jpg", png.getvalue(), "processed")

    put("bomb/huge.png", png_header_only(100_000, 100_000), "error", "too large to decode safely")
    put("bomb/huge.jpg", jpeg_claiming(65_000, 65_000), "error", "too large to decode safely")

    deep = "/".join(["deep"] * 150) + "/bottom.jpg"
    put(deep, jpeg_bytes((5, 5, 200)), "processed")
    expected[_too_deep(root)] = ("skipped", "file name too long")

    for n, rel in enumerate(ODD_NAMES):
        put(rel, jpeg_bytes((n * 13 % 256, 90, 160), (64 + n, 48)), "processed")
    for rel in ODD_VIDEOS:
        make_video(root / rel)
        expected[rel] = ("processed", "")
    (root / "names").joinpath(os.fsdecode(b"latin1-\xe9t\xe9.jpg")).write_bytes(jpeg_bytes((1, 1, 1)))
    expected["names/latin1-\\xe9t\\xe9.jpg"] = ("skipped", "not valid UTF-8")

    links = root / "links"
    links.mkdir()
    os.symlink("loop-b", links / "loop-a.jpg")
    os.symlink("loop-a.jpg", links / "loop-b")
    os.symlink("self.jpg", links / "self.jpg")
    os.symlink("..", links / "up")
    os.symlink(outside / "secret.jpg", links / "out.jpg")
    os.symlink(outside, links / "outdir")
    expected.update(
        {
            "links/loop-a.jpg": ("skipped", "loops back on itself"),
            "links/loop-b": ("skipped", "loops back on itself"),
            "links/self.jpg": ("skipped", "loops back on itself"),
            "links/up": ("skipped", "its target is imported where it lives"),
            "links/out.jpg": ("skipped", "pointing outside the imported folder"),
            "links/outdir": ("skipped", "pointing outside the imported folder"),
        }
    )
    (root / "special").mkdir()
    os.mkfifo(root / "special/pipe.jpg")
    expected["special/pipe.jpg"] = ("skipped", "not a regular file (named pipe)")

    with open(put("sparse/zeros.jpg", b"", "error", "named like a photo or video (.jpg)"), "r+b") as handle:
        handle.truncate(SPARSE_SIZE)
    with open(put("sparse/header.jpg", jpeg[:4096], "error", "mostly empty space"), "r+b") as handle:
        handle.truncate(SPARSE_SIZE)

    put("takeout/IMG_20190704_183045.jpg", corpus("jpg/Nikon_D70.jpg"), "processed", "sidecar")
    put(
        "takeout/IMG_20190704_183045.jpg.json",
        b'{"title": "IMG_20190704_183045.jpg", "photoTak',
        "skipped",
        "",
    )
    put("takeout/metadata.json", b"\x00\x01not json at all\xff", "skipped", "not a photo or video")
    return expected


def _too_deep(root: Path) -> str:
    """Folders nested past PATH_MAX, made relative to open folders as a copy tool would; the
    scan must report the folder it cannot open rather than fail. Returns that folder's rel_path."""
    name = "n" * 200
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    depth = 0
    try:
        while (depth + 1) * (len(name) + 1) + len(str(root)) < PATH_MAX + 600:
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
            depth += 1
        with open(os.open("photo.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as handle:
            handle.write(jpeg_bytes((9, 9, 9)))
    finally:
        os.close(fd)
    # The first folder whose absolute path no longer fits is the one the scan cannot list.
    fits = (PATH_MAX - 1 - len(str(root)) - 1) // (len(name) + 1)
    return "/".join([name] * (fits + 1))
