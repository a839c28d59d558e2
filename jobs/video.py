"""Describing one video with ffprobe and ffmpeg: displayed size, duration, a frame's thumbnail and hashes.

ffprobe and ffmpeg run with an argument list, never a shell, and the file goes in as a `file:` URL
built from its absolute path, so no file name (leading '-', ':', a newline) can read as an option or
another protocol. Every failure becomes a MediaError with a sentence for a person.
"""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from jobs.errors import MediaError
from jobs.hashing import image_hashes
from jobs.images import THUMB_SIDE, boxes_end_early, encode_webp

TIMEOUT = 60  # seconds for each ffprobe or ffmpeg run; a healthy file needs well under one
FRAME_AT = 1.0  # seconds in: past the black or faded first frames most clips open with
# ffmpeg turns the frame upright itself (autorotate, on by default) before this filter. The first
# scale squares anamorphic pixels (DV, HDV), the second fits the thumbnail without upscaling.
FRAME_FILTER = (
    "scale=w='trunc(iw*sar)':h=ih,setsar=1,"
    f"scale=w='if(gte(iw,ih),min({THUMB_SIDE},iw),-1)':h='if(gte(iw,ih),-1,min({THUMB_SIDE},ih))'"
)
# A playlist dressed as a video could otherwise make ffmpeg fetch URLs or other local files.
LOCAL_ONLY = ["-protocol_whitelist", "file"]
MOV_FAMILY = "mov,mp4"  # ffprobe's format_name for MP4, MOV, M4V, 3GP: ISO base media files
MISSING_INDEX = "video cannot be decoded: its index (moov atom) is missing; the file is cut short or damaged"
STDERR_NOISE = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")  # "[mov,mp4,... @ 0x55d0] " prefixes


@dataclass(frozen=True)
class VideoFacts:
    thumbnail: bytes | None  # WebP of the frame, upright, longest side THUMB_SIDE; a video with no
    # decodable frame is a MediaError today, None is left for callers that record metadata only
    hashes: dict[str, int]  # {"frame_phash": ..., "frame_dhash": ...}, signed 64-bit
    width: int | None  # as displayed: after rotation metadata and non-square pixels
    height: int | None
    duration: float | None  # seconds


def analyse_video(path: Path, duration_hint: float | None = None) -> VideoFacts:
    """Probe the video at `path` and grab a frame ~1 s in; `duration_hint` (seconds, e.g. from
    exiftool) is used when the container does not say."""
    path = Path(path).absolute()
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MediaError("the file is gone (moved or deleted since the scan)") from None
    except OSError as error:
        raise MediaError(f"the file cannot be read: {error.strerror or error}") from None
    if size == 0:
        raise MediaError("empty file (0 bytes)")
    probe = _probe(path)
    stream = next((s for s in probe.get("streams", []) if s.get("codec_type") == "video"), None)
    if stream is None:
        raise MediaError("the file holds no video picture (sound only?)")
    if probe.get("format", {}).get("format_name", "").startswith(MOV_FAMILY) and boxes_end_early(path, size):
        raise MediaError("video data ends early: the file is truncated or damaged")
    duration = _number(probe.get("format", {}).get("duration")) or _number(stream.get("duration"))
    duration = duration or duration_hint
    at = FRAME_AT if duration is None or duration > FRAME_AT else 0.0
    frame = _frame(path, at) or (_frame(path, 0.0) if at else None)
    if frame is None:
        raise MediaError("video cannot be decoded: no picture could be read from it")
    hashes = image_hashes(frame)
    width, height = _displayed_size(stream)
    return VideoFacts(
        thumbnail=encode_webp(frame, None),
        hashes={"frame_phash": hashes["phash"], "frame_dhash": hashes["dhash"]},
        width=width,
        height=height,
        duration=duration,
    )


def _run(command: list[str], path: Path) -> bytes:
    """stdout of `command`, or a MediaError whose reason is ffmpeg's own last word on the file."""
    try:
        result = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise MediaError(f"video cannot be decoded: {command[0]} gave no answer within {TIMEOUT} s") from None
    except FileNotFoundError:
        # The machine, not the file: fail the job so it is retried once ffmpeg is installed.
        raise RuntimeError(f"{command[0]} is not installed; run `mediaparser doctor`") from None
    if result.returncode != 0:
        raise MediaError(_reason(result.stderr, path))
    return result.stdout


def _probe(path: Path) -> dict[str, Any]:
    output = _run(
        ["ffprobe", "-v", "error", *LOCAL_ONLY, "-print_format", "json", "-show_format", "-show_streams",
         f"file:{path}"],
        path,
    )  # fmt: skip
    try:
        return json.loads(output.decode("utf-8", errors="replace"))
    except ValueError:
        raise MediaError("video cannot be decoded: ffprobe's description of it is unreadable") from None


def _frame(path: Path, at: float) -> Image.Image | None:
    """The frame `at` seconds in, upright and thumbnail-sized, or None when there is none there."""
    # Seeking before -i jumps to the keyframe before `at` instead of decoding from the start; no -ss
    # at all for the start, as a raw stream without timestamps gives nothing for -ss 0.
    seek = ["-ss", f"{at:.3f}"] if at else []
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", *seek, *LOCAL_ONLY, "-i", f"file:{path}",
               "-map", "0:v:0", "-frames:v", "1", "-an", "-sn", "-dn", "-vf", FRAME_FILTER,
               "-f", "image2pipe", "-c:v", "bmp", "pipe:1"]  # fmt: skip
    output = _run(command, path)
    if not output:
        return None
    try:
        with Image.open(io.BytesIO(output), formats=["BMP"]) as image:
            return image.convert("RGB")
    except (OSError, SyntaxError, ValueError) as error:
        raise MediaError(f"video cannot be decoded: ffmpeg's frame is unreadable ({error})") from None


def _displayed_size(stream: dict[str, Any]) -> tuple[int | None, int | None]:
    width, height = stream.get("width"), stream.get("height")
    if not isinstance(width, int) or not isinstance(height, int) or width <= 0 or height <= 0:
        return None, None
    num, _, den = str(stream.get("sample_aspect_ratio", "1:1")).partition(":")
    if num.isdigit() and den.isdigit() and int(num) and int(den):
        width = int(width * int(num) / int(den))  # as the scale filter does: trunc(iw*sar)
    if _rotation(stream) % 180 == 90:
        width, height = height, width
    return width, height


def _rotation(stream: dict[str, Any]) -> int:
    """Degrees the player turns the picture: the display matrix (ffmpeg 5+) or the old rotate tag."""
    for side_data in stream.get("side_data_list", []):
        if "rotation" in side_data:
            return round(_number(side_data["rotation"]) or 0)
    return round(_number(stream.get("tags", {}).get("rotate")) or 0)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _reason(stderr: bytes, path: Path) -> str:
    text = stderr.decode("utf-8", errors="replace").replace(f"file:{path}", "").replace(str(path), "")
    lines = [STDERR_NOISE.sub("", line).strip(" :") for line in text.splitlines()]
    lines = [line for line in lines if line]
    if any("moov atom not found" in line for line in lines):
        return MISSING_INDEX
    return f"video cannot be decoded: {lines[-1][:200] if lines else 'ffmpeg failed without saying why'}"
