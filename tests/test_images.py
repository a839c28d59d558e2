"""analyse_image on real camera files, every format we accept, and the ways files arrive broken."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from jobs.errors import MediaError
from jobs.hashing import hamming, image_hashes
from jobs.images import ImageFacts, analyse_image
from tests.corpus import CORPUS as REAL

CORPUS = REAL
ORIENTATION = CORPUS / "jpg/orientation"
HEIC = CORPUS / "heic/IMG_5195.HEIC"


def thumbnail_of(facts: ImageFacts) -> Image.Image:
    image = Image.open(io.BytesIO(facts.thumbnail))
    assert image.format == "WEBP"
    image.load()
    return image


def assert_close(a: dict[str, int], b: dict[str, int], limit: int = 6) -> None:
    assert hamming(a["phash"], b["phash"]) <= limit
    assert hamming(a["dhash"], b["dhash"]) <= limit


def picture(size: tuple[int, int] = (600, 450)) -> Image.Image:
    """A real photo at `size`, so hashes behave as they do on a library."""
    with Image.open(ORIENTATION / "landscape_1.jpg") as image:
        return image.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def exif_with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# Orientation: the corpus holds one picture in the eight EXIF orientations.


@pytest.mark.parametrize("shape, size", [("landscape", (600, 450)), ("portrait", (450, 600))])
def test_every_exif_orientation_shows_and_hashes_like_the_upright_picture(shape, size):
    upright = analyse_image(ORIENTATION / f"{shape}_1.jpg", "jpeg")
    for n in range(1, 9):
        facts = analyse_image(ORIENTATION / f"{shape}_{n}.jpg", "jpeg")
        assert facts.orientation == n
        assert (facts.width, facts.height) == size
        assert thumbnail_of(facts).size == ((400, 300) if shape == "landscape" else (300, 400))
        assert_close(facts.hashes, upright.hashes)
        assert facts.hash_source == "image"


def test_a_picture_left_as_stored_would_not_match_its_upright_copy():
    # Shows the test above can fail: orientation 6 pixels, unturned, hash far from the upright picture.
    with Image.open(ORIENTATION / "landscape_6.jpg") as stored:
        as_stored = image_hashes(stored.convert("RGB"))
    upright = analyse_image(ORIENTATION / "landscape_1.jpg", "jpeg")
    assert hamming(as_stored["phash"], upright.hashes["phash"]) > 16


# JPEG at camera size: decoded scaled down, but reported at full size.


def test_a_large_rotated_jpeg_reports_its_full_displayed_size(tmp_path):
    path = tmp_path / "big.jpg"
    picture((3200, 2400)).save(path, quality=90, exif=exif_with_orientation(6))
    facts = analyse_image(path, "jpeg")
    assert (facts.width, facts.height, facts.orientation) == (2400, 3200, 6)
    assert thumbnail_of(facts).size == (300, 400)
    upright = picture((3200, 2400)).transpose(Image.Transpose.ROTATE_270)
    assert_close(facts.hashes, image_hashes(upright))


def test_camera_jpegs_of_the_corpus_decode_with_their_sizes():
    for path in sorted((CORPUS / "jpg").glob("*.jpg")):
        facts = analyse_image(path, "jpeg")
        with Image.open(path) as image:
            assert (facts.width, facts.height) == image.size, path.name
        assert max(thumbnail_of(facts).size) == min(400, max(image.size)), path.name


# HEIC through pi-heif.


def test_iphone_heic_is_decoded_upright_and_matches_a_jpeg_copy(tmp_path):
    facts = analyse_image(HEIC, "heic")
    assert (facts.width, facts.height) == (2566, 3313)
    assert facts.orientation is None
    assert facts.hash_source == "image"  # this file carries no embedded thumbnail
    assert thumbnail_of(facts).size == (310, 400)
    with Image.open(HEIC) as image:
        copy = tmp_path / "copy.jpg"
        image.convert("RGB").save(copy, quality=60)
    assert_close(analyse_image(copy, "jpeg").hashes, facts.hashes)


def test_a_heic_is_not_turned_again_by_its_exif_orientation(tmp_path):
    # iPhones store a turned shot with a HEIF rotation (irot), which libheif applies, and the same
    # turn as EXIF Orientation; applying that too would leave the photo sideways. This copy gets an
    # EXIF Orientation of 6 by rewriting its ResolutionUnit entry (same size, big-endian IFD0).
    data = HEIC.read_bytes()
    resolution_unit = bytes.fromhex("0128 0003 00000001 0002 0000")  # tag, SHORT, count 1, inches
    orientation_6 = bytes.fromhex("0112 0003 00000001 0006 0000")
    assert data.count(resolution_unit) == 1
    turned = write(tmp_path / "turned.heic", data.replace(resolution_unit, orientation_6))
    facts = analyse_image(turned, "heic")
    assert facts.orientation == 6
    assert (facts.width, facts.height) == (2566, 3313)
    assert facts.hashes == analyse_image(HEIC, "heic").hashes


# Other formats and colour modes: all end as an upright RGB thumbnail that hashes like the source.


def save_as(image: Image.Image, path: Path, **options) -> Path:
    image.save(path, **options)
    return path


def sixteen_bit(image: Image.Image) -> Image.Image:
    grey = np.asarray(image.convert("L"), dtype=np.uint16) * 257
    return Image.frombytes("I;16", image.size, grey.astype("<u2").tobytes())


# name: (real_type, suffix, how the RGB picture is stored, save options)
FORMAT_CASES = {
    "png-rgba": ("png", ".png", lambda im: im.convert("RGBA"), {}),
    "png-palette": ("png", ".png", lambda im: im.convert("P", palette=Image.Palette.ADAPTIVE), {}),
    "png-16-bit-grey": ("png", ".png", sixteen_bit, {}),
    "png-grey-alpha": ("png", ".png", lambda im: im.convert("LA"), {}),
    "gif": ("gif", ".gif", lambda im: im, {}),
    "webp": ("webp", ".webp", lambda im: im, {"quality": 85}),
    "tiff-cmyk": ("tiff", ".tif", lambda im: im.convert("CMYK"), {}),
    "tiff-lzw": ("tiff", ".tif", lambda im: im, {"compression": "tiff_lzw"}),
    "bmp": ("bmp", ".bmp", lambda im: im, {}),
    "avif": ("avif", ".avif", lambda im: im, {"quality": 70}),
}


@pytest.mark.parametrize("case", FORMAT_CASES)
def test_every_accepted_format_gives_a_thumbnail_and_matching_hashes(tmp_path, case):
    real_type, suffix, store, options = FORMAT_CASES[case]
    source = picture()
    facts = analyse_image(save_as(store(source), tmp_path / f"picture{suffix}", **options), real_type)
    assert (facts.width, facts.height) == (600, 450)
    thumb = thumbnail_of(facts)
    assert thumb.size == (400, 300)
    assert thumb.mode == "RGB"
    # 16-bit grey must be scaled, not clipped to white: the thumbnail keeps the photo's mid-tones.
    assert 60 < np.asarray(thumb.convert("L")).mean() < 200
    reference = source.convert("L").convert("RGB") if "grey" in case else source
    assert_close(facts.hashes, image_hashes(reference), limit=8)


@pytest.mark.parametrize(
    "real_type, suffix", [("png", ".png"), ("webp", ".webp"), ("tiff", ".tif"), ("avif", ".avif")]
)
def test_exif_orientation_is_applied_once_in_every_format(tmp_path, real_type, suffix):
    # Pillow's TIFF plugin turns the picture itself while loading; the others leave it to us.
    path = save_as(picture(), tmp_path / f"turned{suffix}", exif=exif_with_orientation(6))
    facts = analyse_image(path, real_type)
    assert (facts.width, facts.height, facts.orientation) == (450, 600, 6)
    assert thumbnail_of(facts).size == (300, 400)
    assert_close(facts.hashes, image_hashes(picture().transpose(Image.Transpose.ROTATE_270)), limit=8)


def test_transparency_is_shown_on_white(tmp_path):
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, 99, 99), fill=(200, 0, 0, 255))
    facts = analyse_image(save_as(image, tmp_path / "half.png"), "png")
    thumb = thumbnail_of(facts)
    assert thumb.getpixel((50, 50))[0] > 150 and thumb.getpixel((50, 50))[1] < 60  # the red half
    assert min(thumb.getpixel((150, 50))) > 240  # the transparent half, white rather than black


def test_animated_gif_uses_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (120, 80), colour) for colour in ("white", "black", "black")]
    ImageDraw.Draw(frames[0]).ellipse((30, 10, 90, 70), fill="blue")
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    thumb = thumbnail_of(analyse_image(path, "gif"))
    assert thumb.getpixel((5, 5))[0] > 200 and thumb.getpixel((60, 40))[2] > 150


# Broken files: every one ends in a sentence, never another exception or a wrong picture.


def png_claiming(width: int, height: int) -> bytes:
    """A real 8x8 PNG whose header (IHDR, with a valid CRC) claims another size."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (10_000, 10_000)])
def test_decompression_bombs_are_refused_before_decoding(tmp_path, width, height):
    # 10^10 pixels is past Pillow's error limit; 10^8 only past its warning limit (89.5 M).
    with pytest.raises(MediaError) as caught:
        analyse_image(write(tmp_path / "bomb.png", png_claiming(width, height)), "png")
    assert caught.value.reason == f"image is too large to decode safely ({width} x {height} pixels)"


def test_an_empty_file_says_so(tmp_path):
    with pytest.raises(MediaError, match=r"^empty file \(0 bytes\)$"):
        analyse_image(write(tmp_path / "empty.jpg", b""), "jpeg")


@pytest.mark.parametrize("real_type", ["jpeg", "png", "heic", "avif", "webp", "tiff"])
def test_random_bytes_cannot_be_decoded(tmp_path, real_type):
    data = random.Random(real_type).randbytes(4096)
    with pytest.raises(MediaError, match=r"cannot be decoded as an image|ends early|damaged"):
        analyse_image(write(tmp_path / "noise", data), real_type)


def test_a_truncated_jpeg_is_reported_as_truncated(tmp_path):
    data = (CORPUS / "jpg/gps/DSCN0010.jpg").read_bytes()
    with pytest.raises(MediaError) as caught:
        analyse_image(write(tmp_path / "cut.jpg", data[: len(data) // 2]), "jpeg")
    assert caught.value.reason == "JPEG data ends early: the file is truncated or damaged"


def test_a_truncated_heic_is_refused_rather_than_painted_green(tmp_path):
    # libheif decodes the tiles it has and fills the rest with green, without an error.
    data = HEIC.read_bytes()
    with pytest.raises(MediaError) as caught:
        analyse_image(write(tmp_path / "cut.heic", data[: len(data) // 2]), "heic")
    assert caught.value.reason == "HEIC data ends early: the file is truncated or damaged"


@pytest.mark.parametrize(
    "real_type, suffix", [("png", ".png"), ("webp", ".webp"), ("gif", ".gif"), ("avif", ".avif")]
)
def test_other_truncated_formats_are_reported_as_truncated(tmp_path, real_type, suffix):
    data = save_as(picture(), tmp_path / f"whole{suffix}").read_bytes()
    with pytest.raises(MediaError, match="data ends early: the file is truncated or damaged"):
        analyse_image(write(tmp_path / f"cut{suffix}", data[: len(data) * 3 // 4]), real_type)


def test_a_jpeg_sniffed_as_png_is_not_handed_to_another_decoder(tmp_path):
    path = write(tmp_path / "x.png", (CORPUS / "jpg/gps/DSCN0010.jpg").read_bytes())
    with pytest.raises(MediaError, match=r"^cannot be decoded as an image \(not valid PNG data\)$"):
        analyse_image(path, "png")


def test_a_type_outside_the_accepted_list_is_never_guessed_at():
    # Pillow would try every plugin, including EPS, which runs Ghostscript.
    with pytest.raises(MediaError, match=r"^EPS pictures cannot be decoded here$"):
        analyse_image(CORPUS / "jpg/gps/DSCN0010.jpg", "eps")


def test_a_missing_file_says_it_is_gone(tmp_path):
    with pytest.raises(MediaError, match="the file is gone"):
        analyse_image(tmp_path / "nope.jpg", "jpeg")


@pytest.mark.parametrize(
    "name, size",
    [
        ("corrupted.jpg", (3648, 2736)),
        ("invalid/image00971.jpg", (636, 227)),
        ("invalid/image01088.jpg", (425, 120)),
        ("invalid/image01137.jpg", (88, 64)),
    ],
)
def test_the_corpus_broken_files_still_decode(name, size):
    # Their damage is in the EXIF (odd offsets), not the pixels: the picture itself is whole.
    facts = analyse_image(CORPUS / "jpg" / name, "jpeg")
    assert (facts.width, facts.height) == size
    assert thumbnail_of(facts).size[0] == min(400, size[0])


def test_damaged_jpegs_end_in_a_sentence_or_a_picture_never_a_crash(tmp_path):
    original = (CORPUS / "jpg/gps/DSCN0010.jpg").read_bytes()
    rng = random.Random(11)
    outcomes = {"decoded": 0, "refused": 0}
    for n in range(120):
        data = bytearray(original)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if n % 3 == 0:
            data = data[: rng.randrange(len(data))]
        try:
            analyse_image(write(tmp_path / "fuzz.jpg", bytes(data)), "jpeg")
            outcomes["decoded"] += 1
        except MediaError as error:
            assert error.reason and "Error" not in error.reason and "<" not in error.reason
            outcomes["refused"] += 1
    assert outcomes["decoded"] and outcomes["refused"]


def test_a_108_megapixel_phone_jpeg_is_analysed_at_reduced_scale_not_refused(tmp_path):
    # Past Pillow's 89.5 MP warning limit, but JPEG decodes at 1/8 scale: only ~1.7 MP are decoded.
    path = tmp_path / "samsung_108mp.jpg"
    Image.new("RGB", (12000, 9000), (90, 140, 200)).save(path, "JPEG", quality=50)
    facts = analyse_image(path, "jpeg")
    assert (facts.width, facts.height) == (12000, 9000)
    assert max(Image.open(io.BytesIO(facts.thumbnail)).size) <= 400
