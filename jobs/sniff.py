"""What a file really is, from its first bytes: phones and chat apps rename files freely, so the
extension is only a hint (and the tie-breaker for TIFF-based RAW formats, which share TIFF's magic)."""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass

# MPEG-TS is only recognisable by a sync byte every 188 bytes (192 for M2TS), so the head must hold
# three packets; every other signature, ftyp brand list and EBML doctype sits in the first 64 bytes.
HEAD_BYTES = 512


@dataclass(frozen=True)
class Sniffed:
    kind: str  # 'image' | 'video' | 'raw' | 'other'
    real_type: str  # short lowercase id: 'jpeg', 'heic', 'mov', 'pdf', 'unknown', ...
    mime: str
    ext: str  # canonical extension for exports, e.g. '.jpg'; '' when there is none
    description: str  # fits in a sentence: "looks like a PDF document"


# real_type: (kind, mime, ext, description)
_TYPES: dict[str, tuple[str, str, str, str]] = {
    "jpeg": ("image", "image/jpeg", ".jpg", "a JPEG image"),
    "png": ("image", "image/png", ".png", "a PNG image"),
    "gif": ("image", "image/gif", ".gif", "a GIF image"),
    "webp": ("image", "image/webp", ".webp", "a WebP image"),
    "heic": ("image", "image/heic", ".heic", "a HEIC image"),
    "heif": ("image", "image/heif", ".heif", "a HEIF image"),
    "avif": ("image", "image/avif", ".avif", "an AVIF image"),
    "tiff": ("image", "image/tiff", ".tif", "a TIFF image"),
    "bmp": ("image", "image/bmp", ".bmp", "a BMP image"),
    "dng": ("raw", "image/x-adobe-dng", ".dng", "an Adobe DNG raw photo"),
    "cr2": ("raw", "image/x-canon-cr2", ".cr2", "a Canon CR2 raw photo"),
    "cr3": ("raw", "image/x-canon-cr3", ".cr3", "a Canon CR3 raw photo"),
    "nef": ("raw", "image/x-nikon-nef", ".nef", "a Nikon NEF raw photo"),
    "nrw": ("raw", "image/x-nikon-nrw", ".nrw", "a Nikon NRW raw photo"),
    "arw": ("raw", "image/x-sony-arw", ".arw", "a Sony ARW raw photo"),
    "srf": ("raw", "image/x-sony-srf", ".srf", "a Sony SRF raw photo"),
    "sr2": ("raw", "image/x-sony-sr2", ".sr2", "a Sony SR2 raw photo"),
    "orf": ("raw", "image/x-olympus-orf", ".orf", "an Olympus ORF raw photo"),
    "rw2": ("raw", "image/x-panasonic-rw2", ".rw2", "a Panasonic RW2 raw photo"),
    "pef": ("raw", "image/x-pentax-pef", ".pef", "a Pentax PEF raw photo"),
    "srw": ("raw", "image/x-samsung-srw", ".srw", "a Samsung SRW raw photo"),
    "raf": ("raw", "image/x-fuji-raf", ".raf", "a Fujifilm RAF raw photo"),
    "mp4": ("video", "video/mp4", ".mp4", "an MP4 video"),
    "mov": ("video", "video/quicktime", ".mov", "a QuickTime (MOV) video"),
    "m4v": ("video", "video/x-m4v", ".m4v", "an M4V video"),
    "3gp": ("video", "video/3gpp", ".3gp", "a 3GP phone video"),
    "avi": ("video", "video/x-msvideo", ".avi", "an AVI video"),
    "mkv": ("video", "video/x-matroska", ".mkv", "a Matroska (MKV) video"),
    "webm": ("video", "video/webm", ".webm", "a WebM video"),
    "mts": ("video", "video/mp2t", ".mts", "an MPEG transport stream (AVCHD) video"),
    "mpeg": ("video", "video/mpeg", ".mpg", "an MPEG video"),
    "wmv": ("video", "video/x-ms-asf", ".wmv", "a Windows Media (WMV/ASF) video"),
    "pdf": ("other", "application/pdf", ".pdf", "a PDF document"),
    "zip": ("other", "application/zip", ".zip", "a ZIP archive"),
    "gzip": ("other", "application/gzip", ".gz", "a gzip archive"),
    "mp3": ("other", "audio/mpeg", ".mp3", "an MP3 audio file"),
    "m4a": ("other", "audio/mp4", ".m4a", "an M4A audio file"),
    "wav": ("other", "audio/wav", ".wav", "a WAV audio file"),
    "json": ("other", "application/json", ".json", "JSON data"),
    "xmp": ("other", "application/rdf+xml", ".xmp", "an XMP metadata sidecar"),
    "xml": ("other", "application/xml", ".xml", "an XML document"),
    "html": ("other", "text/html", ".html", "a web page (HTML)"),
    "text": ("other", "text/plain", ".txt", "plain text"),
    "empty": ("other", "application/x-empty", "", "an empty file"),
    "unknown": ("other", "application/octet-stream", "", "data of an unknown type"),
}

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"FUJIFILMCCD-RAW", "raf"),
    (b"IIRO", "orf"),
    (b"IIRS", "orf"),
    (b"MMOR", "orf"),
    (b"IIU\x00", "rw2"),
    (bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"), "wmv"),
    (b"\x00\x00\x01\xba", "mpeg"),  # program stream pack header
    (b"\x00\x00\x01\xb3", "mpeg"),  # bare MPEG-1/2 video sequence header
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b\x08", "gzip"),
    (b"ID3", "mp3"),
)

# Plain TIFF, DNG, NEF, ARW... all open with the TIFF magic; telling them apart means walking maker
# notes, so the name decides between these (a .jpg with TIFF magic is still just a TIFF).
_TIFF_RAW = {"dng", "cr2", "nef", "nrw", "arw", "srf", "sr2", "orf", "rw2", "pef", "srw"}

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_MP4_BRANDS = {b"isom", b"mp41", b"mp42", b"avc1", b"dash", b"mmp4", b"f4v ", b"MSNV", b"XAVC"}
_MP4_BRANDS |= {b"iso%d" % n for n in range(2, 10)}
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}  # QuickTime files older than ftyp

# Extensions that name the same thing as the sniffed type; anything else is a mismatch.
_SAME: dict[str, set[str]] = {
    "jpeg": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "tiff": {".tif", ".tiff"},
    "heic": {".heic", ".heif", ".hif"},
    "heif": {".heic", ".heif", ".hif"},
    "mov": {".mov", ".qt"},
    "mp4": {".mp4", ".m4v"},
    "m4v": {".mp4", ".m4v"},
    "3gp": {".3gp", ".3g2", ".3gpp"},
    "mkv": {".mkv", ".mk3d"},
    "webm": {".webm", ".mkv"},  # WebM is a subset of Matroska
    "mts": {".mts", ".m2ts", ".ts", ".m2t"},
    "mpeg": {".mpg", ".mpeg", ".mpe", ".m2v", ".vob"},
    "wmv": {".wmv", ".asf"},
}
_MEDIA_EXTS = {
    ext
    for real_type, (kind, _, canonical, _) in _TYPES.items()
    if kind != "other"
    for ext in _SAME.get(real_type, {canonical})
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_JSON_START = re.compile(r'\s*(\{\s*["}]|\[\s*[\[{"\d\-tfn\]])')


def sniff(head: bytes, name: str) -> Sniffed:
    """Identify a file from its first HEAD_BYTES bytes; `name` only settles TIFF-based RAW formats."""
    real_type = _real_type(head, _extension(name))
    kind, mime, ext, description = _TYPES[real_type]
    return Sniffed(kind, real_type, mime, ext, description)


def extension_mismatch(name: str, sniffed: Sniffed) -> bool:
    """True when the file's extension promises something other than what its bytes are."""
    ext = _extension(name)
    if not ext or sniffed.real_type == "empty":
        return False
    if sniffed.kind == "other":
        # Only a photo or video extension is a broken promise; a .docx that is a ZIP is fine.
        return ext in _MEDIA_EXTS
    return ext not in _SAME.get(sniffed.real_type, {sniffed.ext})


def _extension(name: str) -> str:
    return os.path.splitext(os.path.basename(name))[1].lower()


def _real_type(head: bytes, ext: str) -> str:
    if not head:
        return "empty"
    for prefix, real_type in _PREFIXES:
        if head.startswith(prefix):
            return real_type
    if head[4:8] == b"ftyp":
        return _ftyp_type(head)
    if head[4:8] in _QT_ATOMS:
        return "mov"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        if head[8:10] == b"CR":
            return "cr2"  # the one TIFF-based RAW that marks itself in the header
        return ext[1:] if ext[1:] in _TIFF_RAW else "tiff"
    if head.startswith(b"RIFF"):
        return {b"WEBP": "webp", b"AVI ": "avi", b"WAVE": "wav"}.get(head[8:12], "unknown")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if _ebml_doctype(head) == b"webm" else "mkv"
    if _is_transport_stream(head):
        return "mts"
    if head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in {12, 40, 52, 56, 64, 108, 124}:
        return "bmp"  # "BM" alone is too common in text; the DIB header size makes it sure
    return _text_type(head, ext) or "unknown"


def _ftyp_type(head: bytes) -> str:
    size = int.from_bytes(head[:4], "big")
    end = min(size, len(head)) if size >= 16 else len(head)
    # Major brand first, then the compatible brands, in the order the file lists them.
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, end - 3, 4)]
    for brand in brands:
        if brand == b"crx ":
            return "cr3"
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in _HEIC_BRANDS:
            return "heic"
        if brand == b"qt  ":
            return "mov"
        if brand in (b"M4V ", b"M4VH", b"M4VP"):
            return "m4v"
        if brand in (b"M4A ", b"M4B "):
            return "m4a"
        if brand.startswith((b"3gp", b"3g2")):
            return "3gp"
        if brand in _MP4_BRANDS:
            return "mp4"
    if b"mif1" in brands or b"msf1" in brands or b"miaf" in brands:
        return "heif"  # an image container whose codec brand we do not know
    return "mp4"  # ISO media with a vendor brand (cameras invent their own) is a video in practice


def _ebml_doctype(head: bytes) -> bytes:
    at = head.find(b"\x42\x82")  # DocType element id, then a one-byte size
    if at < 0 or at + 3 > len(head) or not head[at + 2] & 0x80:
        return b""
    length = head[at + 2] & 0x7F
    return head[at + 3 : at + 3 + length]


def _is_transport_stream(head: bytes) -> bool:
    # MPEG-TS: 188-byte packets starting 0x47; M2TS (AVCHD .mts) prefixes each with a 4-byte clock.
    for first, stride in ((0, 188), (4, 192)):
        syncs = range(first, len(head), stride)
        if len(syncs) >= 2 and all(head[i] == 0x47 for i in syncs):
            return True
    return False


def _text_type(head: bytes, ext: str) -> str | None:
    try:
        # Not final: the head may cut a multi-byte character in half.
        text = codecs.getincrementaldecoder("utf-8")().decode(head.removeprefix(b"\xef\xbb\xbf"))
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text):
        return None
    start = text.lstrip().lower()
    if "<x:xmpmeta" in start or start.startswith("<?xpacket"):
        return "xmp"
    if start.startswith("<?xml"):
        return "xmp" if ext == ".xmp" else "xml"
    if start.startswith(("<!doctype html", "<html")):
        return "html"
    if _JSON_START.match(text):
        return "json"
    return "text"
