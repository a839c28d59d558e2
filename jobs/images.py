"""Decoding one photo: its displayed size, orientation, perceptual hashes and a small WebP thumbnail.

Speed is the point of most choices here. A 12-megapixel JPEG is decoded DCT-scaled (Pillow's
`draft`), so libjpeg never produces the full-size pixels; everything after the decode (orientation,
colour conversion, hashing, encoding) works on a thumbnail-sized picture. Every failure becomes a
MediaError with a sentence for a person.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pi_heif
from PIL import Image

from jobs.errors import MediaError
from jobs.hashing import image_hashes

# Decode-only HEIC/HEIF (LGPL). Pillow decodes AVIF itself.
pi_heif.register_heif_opener()

THUMB_SIDE = 400  # longest side of the stored thumbnail, in pixels
# libjpeg scales by 1/2, 1/4 or 1/8 while decoding; ask for the smallest scale that still covers the
# thumbnail. On a 3 MB 12 MP JPEG, 1/8 (500x375) then Lanczos takes 39 ms in all, 1/4 (asking for
# twice the thumbnail) 47 ms; at 400 px the two differ by 37.6 vs 40.4 dB PSNR against a full decode,
# which is not visible, and entropy decoding, the part no scale avoids, is already 27 ms of it.
JPEG_DRAFT_SIDE = THUMB_SIDE
# A HEIF file's own thumbnail is used when its longest side reaches this. Apple's Image I/O writes
# 320 px ones, so iPhone photos can take the fast path (15 ms instead of ~600 ms for 12 MP); 320 is
# ample for the 32x32 the hashes look at and costs a little sharpness in a 400 px grid cell. Sony and
# Canon 160x120 ones are too soft. Needs a pi-heif whose plugin has draft() (pillow_heif PR #477);
# pi-heif 1.4 has none, so until then every HEIF picture is decoded in full.
HEIF_THUMB_MIN_SIDE = 320
WEBP_QUALITY = 80
WEBP_METHOD = 0  # 0 (fastest) .. 6 (smallest); see encode_webp

# Pillow's plugin names for each sniffed type: a file is only ever handed to the decoder its bytes
# say it is, never to whichever plugin happens to accept it.
FORMATS: dict[str, tuple[str, ...]] = {
    "jpeg": ("JPEG",),
    "png": ("PNG",),
    "gif": ("GIF",),
    "webp": ("WEBP",),
    "heic": ("HEIF",),
    "heif": ("HEIF",),
    "avif": ("AVIF",),
    "tiff": ("TIFF",),
    "bmp": ("BMP", "DIB"),
}
LABELS = {"webp": "WebP"}  # for sentences; the others read well upper-cased
ISOBMFF_TYPES = {"heic", "heif", "avif"}

# What Pillow's decoders raise on damaged data; none of them is a bug of ours.
DECODER_ERRORS = (OSError, SyntaxError, ValueError, struct.error, EOFError, ZeroDivisionError, IndexError,
                  KeyError, TypeError, RuntimeError)  # fmt: skip

# EXIF orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
QUARTER_TURNS = {UPRIGHT[5], UPRIGHT[6], UPRIGHT[7], UPRIGHT[8]}  # these swap width and height


@dataclass(frozen=True)
class ImageFacts:
    width: int  # full size as displayed, i.e. after orientation
    height: int
    orientation: int | None  # the EXIF value seen, None when absent
    hashes: dict[str, int]  # {"phash": ..., "dhash": ...}, signed 64-bit
    thumbnail: bytes  # WebP, upright, longest side THUMB_SIDE (or less for smaller pictures)
    hash_source: str  # 'image' | 'embedded-thumbnail'


def analyse_image(path: Path, real_type: str) -> ImageFacts:
    """Decode the picture at `path`, whose bytes were sniffed as `real_type` ('jpeg', 'heic', ...)."""
    label = LABELS.get(real_type, real_type.upper())
    if real_type not in FORMATS:  # never let Pillow guess: some plugins (EPS) run other programs
        raise MediaError(f"{label} pictures cannot be decoded here")
    try:
        size = path.stat().st_size
        if size == 0:
            raise MediaError("empty file (0 bytes)")
        if _ends_early(path, real_type, size):
            raise MediaError(f"{label} data ends early: the file is truncated or damaged")
        # Pillow warns between 1x and 2x MAX_IMAGE_PIXELS (and refuses above). The limit is applied
        # in _analyse to the pixels actually decoded instead: a 108 MP phone JPEG decodes at 1/8
        # scale and is fine, a 108 MP PNG would decode whole and is refused.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on broken EXIF tags
            return _analyse(path, real_type)
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(f"image is too large to decode safely ({_claimed_size(path, real_type)})") from None
    except FileNotFoundError:
        raise MediaError("the file is gone (moved or deleted since the scan)") from None
    except PermissionError:
        raise MediaError("the file cannot be read: permission denied") from None
    except Image.UnidentifiedImageError:
        raise MediaError(f"cannot be decoded as an image (not valid {label} data)") from None
    except OSError as error:
        if error.errno is not None:  # the disk or the file system, not the picture
            raise MediaError(f"reading the file failed: {error.strerror or error}") from None
        raise MediaError(_damage_reason(label, error, path)) from None
    except DECODER_ERRORS as error:
        raise MediaError(_damage_reason(label, error, path)) from None


def _analyse(path: Path, real_type: str) -> ImageFacts:
    with Image.open(path, formats=FORMATS[real_type]) as image:
        width, height = image.size
        orientation = _orientation(image)
        # The smallest decode that still gives a sharp thumbnail: libjpeg scales while decoding, a
        # HEIF plugin that can decode embedded thumbnails picks one; other formats ignore draft.
        embedded = False
        if image.format == "HEIF":
            embedded = image.draft("RGB", _fit(image.size, HEIF_THUMB_MIN_SIDE)) is not None
        else:
            image.draft("RGB", _fit(image.size, JPEG_DRAFT_SIDE))
        decoded = image.size[0] * image.size[1]
        if Image.MAX_IMAGE_PIXELS and decoded > Image.MAX_IMAGE_PIXELS:
            raise MediaError(f"image is too large to decode safely ({width} x {height} pixels)")
        image.load()
        turn = UPRIGHT.get(_orientation_left(image))
        small = _to_rgb(_shrink(image), image.format or real_type)
        icc_profile = image.info.get("icc_profile") if image.mode == "RGB" else None
    if turn is not None:  # on the small copy, far cheaper than turning the decoded picture
        small = small.transpose(turn)
        if turn in QUARTER_TURNS:
            width, height = height, width
    return ImageFacts(
        width=width,
        height=height,
        orientation=orientation,
        hashes=image_hashes(small),
        thumbnail=encode_webp(small, icc_profile),
        hash_source="embedded-thumbnail" if embedded else "image",
    )


def _orientation(image: Image.Image) -> int | None:
    """The EXIF (or XMP) orientation as stored, None when absent or unreadable."""
    if image.format == "HEIF":
        value = image.info.get("original_orientation")  # pi-heif's copy before it reset EXIF to 1
    else:
        try:
            value = image.getexif().get(0x0112)
        except DECODER_ERRORS:
            return None  # broken EXIF costs the orientation, not the picture
    return value if isinstance(value, int) else None


def _orientation_left(image: Image.Image) -> int:
    """The orientation still to apply after loading. Some decoders turn the picture themselves and
    then drop or reset the tag: libheif applies the HEIF rotation (irot/imir) and pi-heif sets EXIF
    to 1, Pillow's TIFF plugin transposes and deletes it; their size is already as displayed."""
    try:
        value = image.getexif().get(0x0112, 1)
    except DECODER_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled down so its longest side is `side` (never up), at least 1x1."""
    scale = min(1.0, side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _shrink(image: Image.Image) -> Image.Image:
    """A copy at thumbnail size; palette pictures are expanded first as they only resize by nearest."""
    if image.mode == "P":
        image = image.convert("RGBA")
    elif image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # Pillow clips 16-bit values to 0..255 when converting; scale them instead.
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).clip(0, 255).astype(np.uint8))
    if max(image.size) <= THUMB_SIDE:
        return image.copy()
    return image.resize(_fit(image.size, THUMB_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)


def _to_rgb(image: Image.Image, label: str) -> Image.Image:
    """RGB for hashing and WebP; transparency is flattened on white, as a viewer would show it."""
    if image.mode == "RGB":
        return image
    try:
        if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, rgba).convert("RGB")
        return image.convert("RGB")
    except ValueError:
        raise MediaError(f"{label} image uses a colour mode ({image.mode}) that cannot be shown") from None


def encode_webp(image: Image.Image, icc_profile: bytes | None) -> bytes:
    # On a 400x300 photo method 0 takes 5 ms, Pillow's default 4 takes 15 ms for 6% fewer bytes.
    # The source's colour profile is kept so a browser shows wide-gamut (Display P3) photos right.
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD, icc_profile=icc_profile or None)
    return buffer.getvalue()


def _damage_reason(label: str, error: BaseException, path: Path) -> str:
    detail = str(error).replace(str(path), "the file").splitlines()[0][:120] if str(error) else ""
    if isinstance(error, EOFError) or "truncated" in detail.lower():
        return f"{label} data ends early: the file is truncated or damaged"
    return f"{label} data is damaged and cannot be decoded" + (f" ({detail})" if detail else "")


def _ends_early(path: Path, real_type: str, size: int) -> bool:
    """Whether the container's own lengths reach past the end of the file. libheif decodes a HEIC
    cut short without an error, painting the missing tiles green, and libwebp only says it cannot
    start; the box and chunk lengths tell a truncated copy apart cheaply."""
    if real_type in ISOBMFF_TYPES:
        return boxes_end_early(path, size)
    if real_type == "webp":
        with open(path, "rb") as handle:
            head = handle.read(8)  # "RIFF", then the length of everything after these 8 bytes
        return len(head) == 8 and 8 + int.from_bytes(head[4:], "little") > size
    return False


def boxes_end_early(path: Path, size: int) -> bool:
    """Whether an ISO base media file (HEIF, AVIF, MP4, MOV, 3GP) is shorter than its top-level
    boxes (ftyp, meta, moov, mdat, ...) say it is: the usual mark of an interrupted copy."""
    with open(path, "rb") as handle:
        position = 0
        while position < size:
            handle.seek(position)
            head = handle.read(16)
            length = int.from_bytes(head[:4], "big") if len(head) >= 8 else -1
            if length == 1 and len(head) == 16:
                length = int.from_bytes(head[8:16], "big")  # 64-bit length follows the type
            elif length == 0:
                return False  # "to the end of the file"
            if length < 8:
                return False  # not a box: trailing bytes some writers leave, for the decoder to judge
            position += length
        return position > size


def _claimed_size(path: Path, real_type: str) -> str:
    """The size the header claims, for the refusal sentence. Pillow's bomb check refuses before it
    returns the image, so the plugin is asked directly: it only reads the header."""
    for name in FORMATS[real_type]:
        try:
            with open(path, "rb") as handle:
                width, height = Image.OPEN[name][0](handle, str(path)).size
            return f"{width} x {height} pixels"
        except Exception:  # only a nicer sentence is at stake
            continue
    return "too many pixels"
