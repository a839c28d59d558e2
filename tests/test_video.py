"""analyse_video against videos made by ffmpeg here: containers, rotation, odd names, broken files."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

import jobs.video
from jobs.errors import MediaError
from jobs.hashing import hamming, image_hashes
from jobs.video import MISSING_INDEX, VideoFacts, analyse_video

SIGNED_64 = range(-(2**63), 2**63)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=120)


def make_clip(path: Path, size: str = "320x240", seconds: float = 2, *extra: str) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size={size}:rate=10", "-t", str(seconds), "-pix_fmt", "yuv420p",
           *extra, str(path))  # fmt: skip
    return path


def rotated_copy(source: Path, path: Path) -> int:
    """Copy `source` with the rotation metadata phones write for a portrait clip; returns the turn
    ffprobe reads back, in degrees counterclockwise (the sign of the old tag changed across versions)."""
    options = subprocess.run(["ffmpeg", "-hide_banner", "-h", "full"], capture_output=True, text=True).stdout
    if "display_rotation" in options:  # ffmpeg 6+: an input option
        ffmpeg("-display_rotation", "90", "-i", str(source), "-c", "copy", str(path))
    else:  # ffmpeg 5.1 turns the old tag into a display matrix on copy
        ffmpeg("-i", str(source), "-c", "copy", "-metadata:s:v", "rotate=90", str(path))
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
                           capture_output=True, check=True).stdout  # fmt: skip
    turns = [d["rotation"] for s in json.loads(probe)["streams"] for d in s.get("side_data_list", [])]
    assert turns and abs(turns[0]) == 90, "the copy carries no quarter turn"
    return turns[0]


def thumbnail_of(facts: VideoFacts) -> Image.Image:
    assert facts.thumbnail is not None
    image = Image.open(io.BytesIO(facts.thumbnail))
    assert image.format == "WEBP"
    image.load()
    return image


def close(a: Image.Image, b: Image.Image, limit: int = 8) -> bool:
    ha, hb = image_hashes(a.convert("RGB")), image_hashes(b.convert("RGB"))
    return hamming(ha["phash"], hb["phash"]) <= limit


def test_ffmpeg_and_ffprobe_are_installed():
    assert shutil.which("ffmpeg") and shutil.which("ffprobe")


@pytest.mark.parametrize(
    "suffix, codec", [(".mp4", []), (".mov", []), (".mkv", []), (".webm", ["-c:v", "libvpx-vp9"])]
)
def test_each_container_gives_size_duration_thumbnail_and_frame_hashes(tmp_path, suffix, codec):
    facts = analyse_video(make_clip(tmp_path / f"clip{suffix}", "320x240", 2, *codec))
    assert (facts.width, facts.height) == (320, 240)
    assert facts.duration == pytest.approx(2.0, abs=0.15)
    assert thumbnail_of(facts).size == (320, 240)  # small videos are not upscaled
    assert set(facts.hashes) == {"frame_phash", "frame_dhash"}
    assert all(value in SIGNED_64 for value in facts.hashes.values())
    # The hashes describe the picture a person sees in the thumbnail.
    assert hamming(facts.hashes["frame_phash"], image_hashes(thumbnail_of(facts))["phash"]) <= 6


def test_the_thumbnail_is_taken_a_second_in_past_a_black_opening(tmp_path):
    path = tmp_path / "fade.mp4"
    white_left_half_from_0_9_s = "drawbox=x=0:y=0:w=160:h=240:color=white:t=fill:enable='gte(t,0.9)'"
    ffmpeg("-f", "lavfi", "-i", "color=black:size=320x240:rate=10", "-t", "3", "-pix_fmt", "yuv420p",
           "-vf", white_left_half_from_0_9_s, str(path))  # fmt: skip
    thumb = thumbnail_of(analyse_video(path)).convert("L")
    assert thumb.getpixel((40, 120)) > 200 and thumb.getpixel((280, 120)) < 50


def test_a_clip_shorter_than_a_second_uses_its_first_frame(tmp_path):
    facts = analyse_video(make_clip(tmp_path / "short.mp4", "320x240", 0.5))
    assert facts.duration == pytest.approx(0.5, abs=0.15)
    assert thumbnail_of(facts).size == (320, 240)


def test_a_large_video_gets_a_400_pixel_thumbnail(tmp_path):
    facts = analyse_video(make_clip(tmp_path / "hd.mp4", "1280x720", 2))
    assert (facts.width, facts.height) == (1280, 720)
    assert thumbnail_of(facts).size == (400, 225)


def test_a_portrait_phone_video_is_reported_and_shown_upright(tmp_path):
    plain = make_clip(tmp_path / "plain.mp4", "640x480", 2)
    turn = rotated_copy(plain, tmp_path / "portrait.mp4")
    facts = analyse_video(tmp_path / "portrait.mp4")
    assert (facts.width, facts.height) == (480, 640)
    thumb = thumbnail_of(facts)
    assert thumb.size == (300, 400)
    upright = thumbnail_of(analyse_video(plain)).rotate(turn, expand=True)  # PIL turns counterclockwise
    assert close(thumb, upright)
    assert not close(thumb, upright.transpose(Image.Transpose.ROTATE_180))


def test_non_square_pixels_are_shown_at_their_display_shape(tmp_path):
    # DV-style 720x480 with 32:27 pixels is a 16:9 picture.
    facts = analyse_video(make_clip(tmp_path / "dv.mkv", "720x480", 2, "-vf", "setsar=32/27"))
    assert (facts.width, facts.height) == (853, 480)
    assert thumbnail_of(facts).size == (400, 225)


@pytest.mark.parametrize("name", ["-rf.mp4", "new\nline.mp4", "a:b.mp4", "concat:x|y.mp4", "-i.mp4"])
def test_any_file_name_is_read_as_a_file_and_never_as_an_option(tmp_path, name):
    plain = make_clip(tmp_path / "plain.mp4")
    odd = tmp_path / name
    shutil.copy(plain, odd)
    facts = analyse_video(odd)
    assert facts.hashes == analyse_video(plain).hashes
    assert (facts.width, facts.height) == (320, 240)
    assert plain.exists() and odd.exists()


def test_a_relative_path_is_made_absolute(tmp_path, monkeypatch):
    make_clip(tmp_path / "-clip.mp4")
    monkeypatch.chdir(tmp_path)
    assert analyse_video(Path("-clip.mp4")).width == 320


def test_the_duration_hint_is_used_when_the_container_has_none(tmp_path):
    raw = make_clip(tmp_path / "raw.h264", "320x240", 2, "-c:v", "libx264", "-f", "h264")
    assert analyse_video(raw).duration is None
    facts = analyse_video(raw, duration_hint=2.0)
    assert facts.duration == 2.0
    assert thumbnail_of(facts).size == (320, 240)


def test_an_empty_file_says_so(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(MediaError, match=r"^empty file \(0 bytes\)$"):
        analyse_video(tmp_path / "empty.mp4")


def test_an_mp4_cut_in_half_lost_its_index(tmp_path):
    data = make_clip(tmp_path / "whole.mp4", "640x480", 3).read_bytes()
    (tmp_path / "half.mp4").write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError) as caught:
        analyse_video(tmp_path / "half.mp4")
    assert caught.value.reason == MISSING_INDEX


def test_a_streamable_mp4_cut_in_half_is_reported_as_truncated(tmp_path):
    # Index first (faststart): ffmpeg would happily show the first half; the box lengths say it is cut.
    data = make_clip(tmp_path / "whole.mp4", "640x480", 3, "-movflags", "+faststart").read_bytes()
    (tmp_path / "half.mp4").write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match=r"^video data ends early: the file is truncated or damaged$"):
        analyse_video(tmp_path / "half.mp4")


@pytest.mark.parametrize("name", ["noise.mov", "new\nline.mov", "noise.mkv"])
def test_random_bytes_give_a_readable_reason_without_paths_or_addresses(tmp_path, name):
    (tmp_path / name).write_bytes(random.Random(name).randbytes(20_000))
    with pytest.raises(MediaError) as caught:
        analyse_video(tmp_path / name)
    reason = caught.value.reason
    assert reason.startswith("video cannot be decoded: ")
    assert len(reason) > len("video cannot be decoded: ") + 10
    assert str(tmp_path) not in reason and "line.mov" not in reason and "@ 0x" not in reason
    assert "\n" not in reason


def test_a_sound_only_file_is_not_a_video(tmp_path):
    path = tmp_path / "voice.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", str(path))
    with pytest.raises(MediaError, match="holds no video picture"):
        analyse_video(path)


def test_a_missing_file_says_it_is_gone(tmp_path):
    with pytest.raises(MediaError, match="the file is gone"):
        analyse_video(tmp_path / "gone.mp4")


def test_a_hung_ffmpeg_is_stopped_and_reported(tmp_path, monkeypatch):
    # No process starts and answers within a millisecond, so this times out every time.
    monkeypatch.setattr(jobs.video, "TIMEOUT", 0.001)
    with pytest.raises(MediaError, match=r"^video cannot be decoded: ffprobe gave no answer within 0.001 s$"):
        analyse_video(make_clip(tmp_path / "clip.mp4"))
