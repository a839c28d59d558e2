"""jobs/sniff.py on real bytes: images from Pillow, videos from ffmpeg, the camera corpus, sidecars."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from jobs.sniff import HEAD_BYTES, Sniffed, extension_mismatch, sniff
from tests.corpus import CORPUS as REAL

CORPUS = REAL
HEIC = CORPUS / "heic" / "IMG_5195.HEIC"
CORPUS_JPEGS = sorted((CORPUS / "jpg").glob("*.jpg"))


def head_of(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)


def sniff_file(path: Path, name: str | None = None) -> Sniffed:
    return sniff(head_of(path), name or path.name)


@pytest.mark.parametrize(
    ("pil_format", "name", "real_type", "mime", "ext"),
    [
        ("JPEG", "a.jpg", "jpeg", "image/jpeg", ".jpg"),
        ("PNG", "a.png", "png", "image/png", ".png"),
        ("GIF", "a.gif", "gif", "image/gif", ".gif"),
        ("WEBP", "a.webp", "webp", "image/webp", ".webp"),
        ("TIFF", "a.tiff", "tiff", "image/tiff", ".tif"),
        ("BMP", "a.bmp", "bmp", "image/bmp", ".bmp"),
        ("AVIF", "a.avif", "avif", "image/avif", ".avif"),
    ],
)
def test_images_written_by_pillow_are_recognised(tmp_path, pil_format, name, real_type, mime, ext):
    path = tmp_path / name
    Image.new("RGB", (32, 24), (200, 40, 40)).save(path, format=pil_format)
    sniffed = sniff_file(path)
    assert (sniffed.kind, sniffed.real_type, sniffed.mime, sniffed.ext) == ("image", real_type, mime, ext)
    assert not extension_mismatch(name, sniffed)


@pytest.fixture(scope="module")
def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    assert path, "ffmpeg must be installed: the video checks run against files it writes"
    return path


@pytest.mark.parametrize(
    ("name", "args", "real_type", "ext"),
    [
        ("clip.mp4", [], "mp4", ".mp4"),
        ("clip.mov", [], "mov", ".mov"),
        ("clip.m4v", [], "m4v", ".m4v"),
        ("clip.3gp", ["-c:v", "libx264"], "3gp", ".3gp"),
        ("clip.mkv", [], "mkv", ".mkv"),
        ("clip.webm", [], "webm", ".webm"),
        ("clip.avi", [], "avi", ".avi"),
        ("clip.ts", [], "mts", ".mts"),
        ("clip.m2ts", [], "mts", ".mts"),  # 192-byte packets, as AVCHD cameras write .MTS
        ("clip.mpg", ["-r", "25"], "mpeg", ".mpg"),
        ("clip.wmv", [], "wmv", ".wmv"),
    ],
)
def test_videos_written_by_ffmpeg_are_recognised(tmp_path, ffmpeg, name, args, real_type, ext):
    path = tmp_path / name
    source = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-t", "0.4"]
    subprocess.run([ffmpeg, "-v", "error", *source, *args, str(path)], check=True, timeout=60)
    sniffed = sniff_file(path)
    assert (sniffed.kind, sniffed.real_type, sniffed.ext) == ("video", real_type, ext)
    assert sniffed.mime.startswith("video/")
    assert not extension_mismatch(name, sniffed)


def test_an_iphone_heic_is_a_heic_image_even_when_renamed_to_jpg():
    head = head_of(HEIC)
    assert sniff(head, HEIC.name) == Sniffed("image", "heic", "image/heic", ".heic", "a HEIC image")
    assert not extension_mismatch(HEIC.name, sniff(head, HEIC.name))
    renamed = sniff(head, "IMG_5195.jpg")
    assert renamed.real_type == "heic"
    assert extension_mismatch("IMG_5195.jpg", renamed)


def test_the_camera_corpus_is_there():
    assert len(CORPUS_JPEGS) >= 10


@pytest.mark.parametrize("path", CORPUS_JPEGS, ids=lambda p: p.name)
def test_camera_jpegs_are_jpeg(path):
    sniffed = sniff_file(path)
    assert (sniffed.kind, sniffed.real_type, sniffed.description) == ("image", "jpeg", "a JPEG image")


def test_a_png_named_jpg_is_a_png_and_a_mismatch(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (8, 8)).save(path, format="PNG")
    sniffed = sniff_file(path)
    assert sniffed.real_type == "png"
    assert sniffed.ext == ".png"  # the export fixes the name
    assert extension_mismatch("photo.jpg", sniffed)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_bytes_named_jpg_are_unknown(seed):
    head = random.Random(seed).randbytes(HEAD_BYTES)
    sniffed = sniff(head, "x.jpg")
    assert (sniffed.kind, sniffed.real_type, sniffed.ext) == ("other", "unknown", "")
    assert extension_mismatch("x.jpg", sniffed)


XMP = b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
AAE = b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN">'
TAKEOUT = b'{\n  "title": "IMG_0001.jpg",\n  "photoTakenTime": {\n    "timestamp": "1561234567"'


@pytest.mark.parametrize(
    ("head", "name", "real_type", "description"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "scan.pdf", "pdf", "a PDF document"),
        (b"Shopping list:\n- milk\n- bread\n", "notes.txt", "text", "plain text"),
        ("Noël à la plage, été 2019\r\n".encode(), "légende.txt", "text", "plain text"),
        (b"\xef\xbb\xbfA text file saved by Notepad with a BOM", "readme.txt", "text", "plain text"),
        (TAKEOUT, "IMG_0001.jpg.json", "json", "JSON data"),
        (b'[\n  {"a": 1}\n]', "list.json", "json", "JSON data"),
        (XMP, "IMG_0001.xmp", "xmp", "an XMP metadata sidecar"),
        (AAE, "IMG_0001.AAE", "xml", "an XML document"),
        (b"<!DOCTYPE html>\n<html><head>", "index.html", "html", "a web page (HTML)"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "takeout-001.zip", "zip", "a ZIP archive"),
        (b"", "IMG_0002.jpg", "empty", "an empty file"),
    ],
)
def test_documents_and_sidecars_are_other_with_a_readable_description(head, name, real_type, description):
    sniffed = sniff(head, name)
    assert (sniffed.kind, sniffed.real_type, sniffed.description) == ("other", real_type, description)
    assert not extension_mismatch(name, sniffed)


def test_text_cut_in_the_middle_of_a_character_is_still_text():
    head = ("é" * HEAD_BYTES).encode()[: HEAD_BYTES - 1]  # ends on half of a two-byte character
    assert sniff(head, "notes.txt").real_type == "text"


def test_a_pdf_or_text_named_jpg_is_a_mismatch():
    assert extension_mismatch("IMG_1.JPG", sniff(b"%PDF-1.4\n", "IMG_1.JPG"))
    assert extension_mismatch("IMG_2.jpg", sniff(b"not a photo at all\n", "IMG_2.jpg"))


def tiff_head(tmp_path: Path) -> bytes:
    path = tmp_path / "real.tif"
    Image.new("RGB", (8, 8)).save(path, format="TIFF")
    return head_of(path)


@pytest.mark.parametrize("raw", ["dng", "nef", "nrw", "arw", "srf", "sr2", "orf", "rw2", "pef"])
def test_tiff_magic_with_a_tiff_based_raw_extension_is_that_raw(tmp_path, raw):
    name = f"DSC_0001.{raw.upper()}"
    sniffed = sniff(tiff_head(tmp_path), name)
    assert (sniffed.kind, sniffed.real_type, sniffed.ext) == ("raw", raw, f".{raw}")
    assert sniffed.description.endswith("raw photo")
    assert not extension_mismatch(name, sniffed)


@pytest.mark.parametrize("name", ["scan.tif", "scan.TIFF", "scan.jpg", "scan", "scan.raf"])
def test_tiff_magic_with_any_other_name_is_a_tiff(tmp_path, name):
    assert sniff(tiff_head(tmp_path), name).real_type == "tiff"


# Headers written from the formats' published layouts; there are no RAW samples in the corpus.
@pytest.mark.parametrize(
    ("head", "name", "real_type"),
    [
        (b"II*\x00\x10\x00\x00\x00CR\x02\x00", "IMG_0001.tif", "cr2"),  # CR2 marks itself at byte 8
        (b"IIRO\x08\x00\x00\x00", "P1010001.ORF", "orf"),
        (b"IIRS\x08\x00\x00\x00", "P1010001.ORF", "orf"),
        (b"IIU\x00\x18\x00\x00\x00", "P1000001.RW2", "rw2"),
        (b"FUJIFILMCCD-RAW 0201FF383501", "DSCF0001.RAF", "raf"),
        (b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom", "IMG_0001.CR3", "cr3"),
    ],
)
def test_raw_formats_with_their_own_magic(head, name, real_type):
    sniffed = sniff(head, name)
    assert (sniffed.kind, sniffed.real_type) == ("raw", real_type)
    assert extension_mismatch("photo.jpg", sniffed)


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00\x00\x00\x08free"


@pytest.mark.parametrize(
    ("head", "real_type"),
    [
        (ftyp(b"mif1", b"mif1", b"heic"), "heic"),  # Samsung and older iOS put mif1 first
        (ftyp(b"heix", b"mif1", b"heix"), "heic"),
        (ftyp(b"msf1", b"msf1", b"hevc"), "heic"),
        (ftyp(b"mif1", b"mif1", b"miaf"), "heif"),
        (ftyp(b"avis", b"avis", b"msf1"), "avif"),
        (ftyp(b"mp42", b"mp42", b"isom"), "mp4"),
        (ftyp(b"dash", b"iso6", b"mp41"), "mp4"),
        (ftyp(b"3g2a", b"3g2a"), "3gp"),
        (ftyp(b"M4A ", b"M4A ", b"mp42"), "m4a"),
        (b"\x00\x00\x00\x08wide\x00\x00\x01\x00mdat", "mov"),  # QuickTime before ftyp existed
    ],
)
def test_iso_media_brands_decide_the_type(head, real_type):
    assert sniff(head, "file.bin").real_type == real_type


def ebml(doctype: bytes) -> bytes:
    return b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82" + bytes([0x80 | len(doctype)]) + doctype


def transport_stream(packet: int = 188) -> bytes:
    return b"".join(b"\x47\x40\x11\x10".rjust(packet - 184, b"\x00") + b"\xff" * 184 for _ in range(3))


SAMPLE_HEADS = {
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "tiff": b"II*\x00\x08\x00\x00\x00",
    "heic": ftyp(b"heic", b"mif1", b"heic"),
    "mov": ftyp(b"qt  ", b"qt  "),
    "mp4": ftyp(b"isom", b"isom", b"avc1"),
    "m4v": ftyp(b"M4V ", b"M4V ", b"isom"),
    "mkv": ebml(b"matroska"),
    "webm": ebml(b"webm"),
    "mts": transport_stream(192),
    "zip": b"PK\x03\x04\x14\x00",
    "empty": b"",
}


@pytest.mark.parametrize(
    ("name", "real_type", "mismatch"),
    [
        ("IMG_1.JPG", "jpeg", False),
        ("IMG_1.jpeg", "jpeg", False),
        ("IMG_1.png", "jpeg", True),
        ("scan.tif", "tiff", False),
        ("scan.tiff", "tiff", False),
        ("clip.qt", "mov", False),
        ("clip.MOV", "mov", False),
        ("clip.mp4", "mov", True),
        ("clip.m4v", "mp4", False),
        ("clip.mp4", "m4v", False),
        ("clip.mkv", "webm", False),
        ("clip.webm", "mkv", True),
        ("00001.MTS", "mts", False),
        ("00001.m2ts", "mts", False),
        ("IMG_1.heif", "heic", False),
        ("IMG_1", "jpeg", False),  # no extension promises nothing
        ("report.docx", "zip", False),  # a .docx is a ZIP inside
        ("IMG_1.jpg", "empty", False),  # empty is its own problem, not a wrong name
    ],
)
def test_extension_mismatch_treats_aliases_as_the_same_type(name, real_type, mismatch):
    sniffed = sniff(SAMPLE_HEADS[real_type], name)
    assert sniffed.real_type == real_type
    assert extension_mismatch(name, sniffed) is mismatch


def test_short_or_cut_heads_never_raise(tmp_path):
    heads = [head_of(HEIC), tiff_head(tmp_path), ftyp(b"mif1", b"heic"), b"\x1a\x45\xdf\xa3\x42\x82\x84"]
    for head in heads:
        for cut in range(len(head) + 1):
            assert isinstance(sniff(head[:cut], "x.jpg"), Sniffed)
