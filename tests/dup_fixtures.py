"""The duplicate-detection fixture set: real corpus photos and what a family library does to them.

Each base photo becomes one "original" capture plus files derived from it, each labelled with the
class a person would give it relative to that original:

- exact: the same bytes (a second copy of the file);
- same: the same capture in other bytes, which a person would discard without a second look
  (re-encoded, resized, converted to PNG / WebP / HEIC, metadata stripped, turned in pixels with
  an EXIF orientation that shows it upright, trimmed by 3-5%, framed by a thin border, or sent
  through a messenger app: smaller, recompressed and without any tag);
- similar: another capture of the same moment (burst frames where the camera moved 1-4%), or an
  edit a person would keep apart (a 15-25% crop, to the same shape or another, with a colour
  tweak).

Files derived from different base photos are "different", including the GPS series, nine photos
of one town's streets, churches and park taken within half an hour: the look-alike negatives.

Burst frames are windows of one larger picture at different offsets, so the camera's shift is
known exactly, and carry original times 0.25-1 s apart; every copy keeps its original's time (to
the sub-second), except the stripped and messenger ones, which have none. The corpus pictures are
mostly 100 px wide, so each is first scaled to a 1600 px scene: crops and resizes then work on a
picture the size of a phone photo. Everything is deterministic (one seeded RNG per source), so two
builds give the same pixels and the same expectations.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageEnhance, ImageOps

import jobs.images  # noqa: F401  registers pi-heif, the decoder the analysis itself uses
from tests.corpus import CORPUS

try:  # Encoding HEIC needs pillow-heif (bundles the GPL x265 encoder): a test-only dependency.
    import pillow_heif
except ImportError:  # the set is built without HEIC copies
    pillow_heif = None

ORIGINAL, EXACT, SAME, SIMILAR, DIFFERENT = "original", "exact", "same", "similar", "different"

# (corpus path, source id, scene). Sources sharing a scene are different pictures of one place:
# the negatives most likely to be mistaken for copies of each other.
BASES: tuple[tuple[str, str, str | None], ...] = (
    ("jpg/gps/DSCN0010.jpg", "town-0010", "town"),
    ("jpg/gps/DSCN0012.jpg", "town-0012", "town"),
    ("jpg/gps/DSCN0021.jpg", "town-0021", "town"),
    ("jpg/gps/DSCN0025.jpg", "town-0025", "town"),
    ("jpg/gps/DSCN0027.jpg", "town-0027", "town"),
    ("jpg/gps/DSCN0029.jpg", "town-0029", "town"),
    ("jpg/gps/DSCN0038.jpg", "town-0038", "town"),
    ("jpg/gps/DSCN0040.jpg", "town-0040", "town"),
    ("jpg/gps/DSCN0042.jpg", "town-0042", "town"),
    ("jpg/Canon_40D.jpg", "iguana", "lizard"),
    ("jpg/Kodak_CX7530.jpg", "lizard", "lizard"),
    ("jpg/Canon_PowerShot_S40.jpg", "frangipani", None),
    ("jpg/Konica_Minolta_DiMAGE_Z3.jpg", "portrait", None),  # a portrait-shaped picture
    ("jpg/Nikon_COOLPIX_P1.jpg", "bus", None),
    ("jpg/Olympus_C8080WZ.jpg", "lionfish", None),  # flat blue water: hashes' hard case
    ("jpg/Reconyx_HC500_Hyperfire.jpg", "trailcam", None),
    ("jpg/orientation/landscape_1.jpg", "waterfall", None),
    ("heic/IMG_5195.HEIC", "iphone", None),
)

CANVAS_SIDE = 1600  # the "scene" each base is scaled to; tiny corpus pictures are upscaled to it
WINDOW = 0.90  # the original is the centre 90% of the scene, leaving room for the camera to move
BURST_FRAMES = 3
BURST_SHIFT = (0.01, 0.04)  # camera movement between the original and a burst frame, of the side
BURST_GAP = (0.25, 1.0)  # seconds between consecutive frames
EDIT_CROP = (0.15, 0.25)  # share of the width an edit cuts away
CROPS = {"crop3": 0.03, "crop5": 0.05}  # share of the width and height trimmed, half on each side
BORDER = 0.02  # border width on every side, as a share of the shorter side
QUALITIES = {"q95": 95, "q75": 75, "q50": 50}
SCALES = {"half": 0.5, "quarter": 0.25}
MESSENGER_SCALE = 0.6
ORIGINAL_QUALITY = 92  # what a camera typically writes

# EXIF tags written with Pillow (numbers, so the module reads without Pillow's enums).
MAKE, MODEL, SOFTWARE, ORIENTATION, EXIF_IFD = 0x010F, 0x0110, 0x0131, 0x0112, 0x8769
DATE_TIME_ORIGINAL, SUBSEC_TIME_ORIGINAL = 0x9003, 0x9291


@dataclass(frozen=True)
class Fixture:
    path: Path
    source_id: str  # which original capture it derives from
    variant: str  # "original", "copy", "q75", "burst2", ...
    expected: str  # relative to its source's original: original | exact | same | similar
    real_type: str  # as sniffed: jpeg | png | webp | heic
    original_time: datetime | None  # the capture time the file carries (sub-seconds included)
    detail: str = ""  # how it was made, for reports: "shift 2.4%, +0.57 s"


@dataclass(frozen=True)
class Base:
    source_id: str
    scene: str | None
    pixels: Image.Image  # the scene, longest side CANVAS_SIDE, upright RGB
    make: str | None  # the corpus camera's, kept so copies and bursts name one camera
    model: str | None
    time: datetime  # the original's capture time


def build_fixture_set(root: Path, seed: int = 0) -> list[Fixture]:
    """Write every fixture file under `root` (flat, one name per file) and return them, originals
    first within each source. Another `seed` moves the burst frames, edits and times, to see how
    much a calibration owes to one draw."""
    root.mkdir(parents=True, exist_ok=True)
    fixtures: list[Fixture] = []
    for index, (corpus_path, source_id, scene) in enumerate(BASES):
        base = load_base(CORPUS / corpus_path, source_id, scene, index)
        fixtures.extend(build_source(root, base, seed))
    return fixtures


def relation(a: Fixture, b: Fixture) -> str:
    """The class a person gives the pair: exact, same, similar or different. Copies of one
    capture are the same picture as each other; anything paired with a burst frame or an edit is
    only similar, as the frame and the edit are other pictures of that moment."""
    if a.source_id != b.source_id:
        return DIFFERENT
    if a.expected == SIMILAR or b.expected == SIMILAR:
        return SIMILAR
    if {a.expected, b.expected} == {ORIGINAL, EXACT}:
        return EXACT
    return SAME


def scene_of(source_id: str) -> str | None:
    return next((scene for _, source, scene in BASES if source == source_id), None)


def kind_of(fixture: Fixture) -> str:
    """The family of a variant for reports: "burst", "edit", or the variant itself."""
    return "burst" if fixture.variant.startswith("burst") else fixture.variant


# Building one source ------------------------------------------------------------------------------


def load_base(path: Path, source_id: str, scene: str | None, index: int) -> Base:
    with Image.open(path) as image:
        exif = image.getexif()
        make, model = str(exif.get(MAKE, "")).strip(), str(exif.get(MODEL, "")).strip()
        stamp = exif.get_ifd(EXIF_IFD).get(DATE_TIME_ORIGINAL) or exif.get(0x0132)
        upright = ImageOps.exif_transpose(image).convert("RGB")
    scale = CANVAS_SIDE / max(upright.size)
    size = (round(upright.width * scale), round(upright.height * scale))
    pixels = upright.resize(size, Image.Resampling.LANCZOS)
    try:
        time = datetime.strptime(str(stamp).strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:  # an undated corpus picture: a made-up day of its own
        time = datetime(2015, 6, 1, 12) + timedelta(days=index)
    return Base(source_id, scene, pixels, make or None, model or None, time)


def build_source(root: Path, base: Base, seed: int = 0) -> list[Fixture]:
    rng = random.Random(zlib.crc32(f"{base.source_id}/{seed}".encode()))
    width, height = base.pixels.size
    window = (round(width * WINDOW), round(height * WINDOW))
    centre = ((width - window[0]) // 2, (height - window[1]) // 2)
    original_pixels = crop_at(base.pixels, centre, window)
    time = base.time + timedelta(milliseconds=rng.randrange(0, 500, 10))
    exif = exif_bytes(base, time)
    name = base.source_id

    def path(variant: str, ext: str) -> Path:
        return root / f"{name}_{variant}.{ext}"

    def fixture(
        target: Path, variant: str, expected: str, real_type: str, when: datetime | None, detail: str = ""
    ) -> Fixture:
        return Fixture(target, base.source_id, variant, expected, real_type, when, detail)

    original = path("original", "jpg")
    original_pixels.save(original, "JPEG", quality=ORIGINAL_QUALITY, exif=exif)
    fixtures = [fixture(original, ORIGINAL, ORIGINAL, "jpeg", time)]

    copy = path("copy", "jpg")
    shutil.copyfile(original, copy)
    fixtures.append(fixture(copy, "copy", EXACT, "jpeg", time))

    # Copies of the pixels as decoded, so each starts from what a person's program would read.
    with Image.open(original) as image:
        pixels = image.convert("RGB")
    for variant, quality in QUALITIES.items():
        target = path(variant, "jpg")
        pixels.save(target, "JPEG", quality=quality, exif=exif)
        fixtures.append(fixture(target, variant, SAME, "jpeg", time))
    for variant, scale in SCALES.items():
        target = path(variant, "jpg")
        size = (round(pixels.width * scale), round(pixels.height * scale))
        pixels.resize(size, Image.Resampling.LANCZOS).save(target, "JPEG", quality=85, exif=exif)
        fixtures.append(fixture(target, variant, SAME, "jpeg", time))
    target = path("png", "png")
    pixels.save(target, "PNG", exif=exif, compress_level=1)  # level 1: fast, same pixels
    fixtures.append(fixture(target, "png", SAME, "png", time))
    target = path("webp", "webp")
    pixels.save(target, "WEBP", quality=80, exif=exif)
    fixtures.append(fixture(target, "webp", SAME, "webp", time))
    if pillow_heif is not None:
        target = path("heic", "heic")
        # from_pillow, not register_heif_opener: pillow-heif must never become the decoder the
        # analysis uses (that is pi-heif, the runtime dependency).
        # x265's ultrafast preset: 0.25 s a picture instead of 1.7 s, still a real HEVC stream.
        encoder = {"preset": "ultrafast"}
        pillow_heif.from_pillow(pixels).save(target, quality=80, exif=exif, enc_params=encoder)
        fixtures.append(fixture(target, "heic", SAME, "heic", time))

    # What a messenger app sends: smaller, recompressed, every tag gone (so no time to compare).
    target = path("messenger", "jpg")
    size = (round(pixels.width * MESSENGER_SCALE), round(pixels.height * MESSENGER_SCALE))
    pixels.resize(size, Image.Resampling.LANCZOS).save(target, "JPEG", quality=70)
    fixtures.append(fixture(target, "messenger", SAME, "jpeg", None))

    stripped = path("stripped", "jpg")
    shutil.copyfile(original, stripped)
    exiftool(stripped, "-all=")
    fixtures.append(fixture(stripped, "stripped", SAME, "jpeg", None))

    # Stored sideways, shown upright: orientation 6 turns the stored pixels 90 degrees clockwise.
    orientation = rng.choice((6, 8))
    turn = Image.Transpose.ROTATE_90 if orientation == 6 else Image.Transpose.ROTATE_270
    target = path("rotated", "jpg")
    pixels.transpose(turn).save(target, "JPEG", quality=90, exif=exif_bytes(base, time, orientation))
    fixtures.append(fixture(target, "rotated", SAME, "jpeg", time))

    for variant, share in CROPS.items():
        target = path(variant, "jpg")
        trim_x, trim_y = round(pixels.width * share / 2), round(pixels.height * share / 2)
        box = (trim_x, trim_y, pixels.width - trim_x, pixels.height - trim_y)
        pixels.crop(box).save(target, "JPEG", quality=90, exif=exif)
        fixtures.append(fixture(target, variant, SAME, "jpeg", time))

    target = path("border", "jpg")
    colour = rng.choice(("white", "black"))
    framed = ImageOps.expand(pixels, border=round(min(pixels.size) * BORDER), fill=colour)
    framed.save(target, "JPEG", quality=90, exif=exif)
    fixtures.append(fixture(target, "border", SAME, "jpeg", time))

    # Burst: the camera moves 1-4% of the picture between the original and each frame, in any
    # direction, and each frame comes 0.25-1 s after the one before.
    when = time
    for frame in range(1, BURST_FRAMES + 1):
        when += timedelta(milliseconds=round(rng.uniform(*BURST_GAP) * 1000 / 10) * 10)
        offset = shifted(rng, centre, window, (width, height))
        target = path(f"burst{frame}", "jpg")
        burst = crop_at(base.pixels, offset, window)
        burst.save(target, "JPEG", quality=ORIGINAL_QUALITY, exif=exif_bytes(base, when))
        moved = ((offset[0] - centre[0]) ** 2 + (offset[1] - centre[1]) ** 2) ** 0.5 / max(window)
        detail = f"shift {moved:.1%}, +{(when - time).total_seconds():.2f} s"
        fixtures.append(fixture(target, f"burst{frame}", SIMILAR, "jpeg", when, detail))

    # An edit a person keeps as well: a tighter frame, livelier colours. Half the sources zoom in
    # (same shape: only the pixels tell it from a copy), half reframe to another shape. Editors
    # keep the capture time, so the time cannot tell either from a copy.
    cut = rng.uniform(*EDIT_CROP)
    reshaped = rng.random() < 0.5
    size = (round(pixels.width * (1 - cut)), round(pixels.height * (1 - (cut / 3 if reshaped else cut))))
    left = rng.randint(0, pixels.width - size[0])
    top = rng.randint(0, pixels.height - size[1])
    edited = pixels.crop((left, top, left + size[0], top + size[1]))
    edited = ImageEnhance.Color(ImageEnhance.Contrast(edited).enhance(1.1)).enhance(1.15)
    target = path("edit", "jpg")
    edited.save(target, "JPEG", quality=90, exif=exif_bytes(base, time, software="Adobe Lightroom"))
    detail = f"{'reframed' if reshaped else 'zoomed'}, {cut:.0%} of the width cut"
    fixtures.append(fixture(target, "edit", SIMILAR, "jpeg", time, detail))
    return fixtures


def crop_at(pixels: Image.Image, corner: tuple[int, int], size: tuple[int, int]) -> Image.Image:
    return pixels.crop((corner[0], corner[1], corner[0] + size[0], corner[1] + size[1]))


def shifted(
    rng: random.Random, centre: tuple[int, int], window: tuple[int, int], canvas: tuple[int, int]
) -> tuple[int, int]:
    """A window corner moved 1-4% of the window's longest side from `centre`, in a random direction,
    kept inside the canvas (the 90% window leaves 5% on each side, more than the largest shift)."""
    side = max(window)
    while True:
        distance = rng.uniform(*BURST_SHIFT) * side
        dx, dy = rng.uniform(-1, 1), rng.uniform(-1, 1)
        norm = (dx * dx + dy * dy) ** 0.5
        if norm < 0.2:
            continue
        x = centre[0] + round(dx / norm * distance)
        y = centre[1] + round(dy / norm * distance)
        if 0 <= x <= canvas[0] - window[0] and 0 <= y <= canvas[1] - window[1]:
            return x, y


def exif_bytes(base: Base, time: datetime, orientation: int = 1, software: str | None = None) -> bytes:
    exif = Image.Exif()
    if base.make:
        exif[MAKE] = base.make
    if base.model:
        exif[MODEL] = base.model
    exif[ORIENTATION] = orientation
    if software:
        exif[SOFTWARE] = software
    ifd = exif.get_ifd(EXIF_IFD)
    ifd[DATE_TIME_ORIGINAL] = time.strftime("%Y:%m:%d %H:%M:%S")
    ifd[SUBSEC_TIME_ORIGINAL] = f"{time.microsecond // 10000:02d}"
    return exif.tobytes()


def exiftool(target: Path, *args: str) -> None:
    subprocess.run(
        ["exiftool", "-q", "-q", "-overwrite_original", *args, str(target)],
        check=True,
        timeout=60,
        capture_output=True,
    )
