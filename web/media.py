"""A file's pictures and bytes, addressed by its id only: the stored thumbnail, a large preview a
browser can show, and the original (with HTTP Range, so videos seek).

A path never comes from the request: it is read from the file's row, and a thumbnail must lie inside
the data dir's thumbs folder. Originals are served only if they are still a regular file (never a
symlink someone put in their place), and only image and video types are shown inline, so a file that
turned out to be a web page is downloaded, never rendered on our origin.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from jobs.images import DECODER_ERRORS, FORMATS, encode_webp
from storage.atomic import atomic_write_bytes
from storage.datadir import THUMBS, previews_dir

# Importing jobs.images registered pi-heif's HEIC/HEIF opener with Pillow.

MEDIA_SQL = """
SELECT id, rel_path, source_path, status, real_type, mime, size, thumb_path
FROM files WHERE id = ?
"""

# A file's bytes never change under its id (originals are not modified, a new version is a new row),
# so a browser may keep them; "private" keeps shared caches out of a family's photos.
CACHE = "private, max-age=86400"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
SERVABLE = ("processed", "error")
# What every browser shows as it is; anything else gets a WebP preview.
BROWSER_IMAGES = ("jpeg", "png", "gif", "webp")
DIRECT_MAX_BYTES = 30 * 1024 * 1024  # larger pictures are slow on a phone: send the preview instead
PREVIEW_SIDE = 1600


async def _media_row(request: Request) -> Any:
    file_id = request.path_params["id"]
    async with request.app.state.read_db.execute(MEDIA_SQL, (file_id,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise HTTPException(404, f"There is no file #{file_id}.")
    return row


def _data_dir(request: Request) -> Path:
    return request.app.state.settings.data_dir


# Thumbnails -------------------------------------------------------------------------------------


def thumb_file(data_dir: Path, thumb_path: str | None) -> Path | None:
    """The stored thumbnail, if the row names one that exists inside data_dir/thumbs."""
    if not thumb_path:
        return None
    root = (data_dir / THUMBS).resolve()
    path = (data_dir / thumb_path).resolve()
    # resolve() follows links and "..", so a row that points elsewhere (by mistake or not) is refused.
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def _webp(path: Path) -> Response:
    return FileResponse(path, media_type="image/webp", headers={"Cache-Control": CACHE, **NOSNIFF})


async def thumb(request: Request) -> Response:
    row = await _media_row(request)
    path = thumb_file(_data_dir(request), row["thumb_path"])
    if path is None:
        raise HTTPException(404, f"File #{row['id']} has no thumbnail.")
    return _webp(path)


# Originals --------------------------------------------------------------------------------------


def original_file(row: Any) -> tuple[Path, os.stat_result] | None:
    """The original and its lstat, if it may be served: analysed (or failed) and a regular file."""
    if row["status"] not in SERVABLE or not row["source_path"]:
        return None
    path = Path(row["source_path"])
    try:
        info = os.lstat(path)
    except OSError:
        return None
    # lstat, not stat: a symlink is refused rather than followed, as the scan refuses them.
    return (path, info) if stat.S_ISREG(info.st_mode) else None


def download_name(rel_path: str) -> str:
    """The file's own name for Content-Disposition, without anything that could break the header."""
    name = re.sub(r'[\x00-\x1f\x7f"\\]', "_", Path(rel_path).name).strip()
    return name or "file"


def _inline_type(mime: str | None) -> str | None:
    if mime and mime.startswith(("image/", "video/")) and "svg" not in mime:
        return mime
    return None


def _original_response(row: Any, found: tuple[Path, os.stat_result]) -> Response:
    path, info = found
    mime = _inline_type(row["mime"])
    # Starlette's FileResponse answers Range requests with 206, which video seeking needs.
    return FileResponse(
        path,
        media_type=mime or "application/octet-stream",
        filename=download_name(row["rel_path"]),
        content_disposition_type="inline" if mime else "attachment",
        stat_result=info,
        headers={"Cache-Control": CACHE, **NOSNIFF},
    )


async def original(request: Request) -> Response:
    row = await _media_row(request)
    found = await run_in_threadpool(original_file, row)
    if found is None:
        raise HTTPException(
            404, f"The original of file #{row['id']} cannot be shown: it is missing or not readable."
        )
    return _original_response(row, found)


# Previews ---------------------------------------------------------------------------------------


def preview_path(data_dir: Path, file_id: int) -> Path:
    return previews_dir(data_dir) / f"{file_id}.webp"


def make_preview(source: Path, real_type: str, target: Path) -> bool:
    """Write a WebP of the picture at `source`, upright, longest side PREVIEW_SIDE. False when it
    cannot be decoded here (RAW, damaged, too large); the caller then falls back to the thumbnail."""
    formats = FORMATS.get(real_type)
    if formats is None:  # never let Pillow guess the format (see jobs/images.py)
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.simplefilter("ignore", UserWarning)
            with Image.open(source, formats=formats) as image:
                # Only libjpeg scales while decoding; a HEIF draft would pick its small embedded thumbnail.
                if image.format == "JPEG":
                    image.draft("RGB", _fit(image.size, PREVIEW_SIDE))
                if Image.MAX_IMAGE_PIXELS and image.size[0] * image.size[1] > Image.MAX_IMAGE_PIXELS:
                    return False
                image.load()
                ImageOps.exif_transpose(image, in_place=True)
                icc_profile = image.info.get("icc_profile") if image.mode == "RGB" else None
                picture = _rgb(image)
                # Inside the `with`: closing the image releases its pixels, even those `picture` shares.
                picture.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
                data = encode_webp(picture, icc_profile)
    except (Image.DecompressionBombError, *DECODER_ERRORS):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, data)
    return True


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _rgb(image: Image.Image) -> Image.Image:
    """RGB for WebP; transparency flattened on white and 16-bit values scaled, as for thumbnails."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).clip(0, 255).astype(np.uint8))
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La", "P") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


async def preview(request: Request) -> Response:
    """The largest picture of the file a browser can show: the original where browsers read it and
    it is not huge, else a WebP made once and kept in data_dir/previews; a video's thumbnail."""
    row = await _media_row(request)
    data_dir = _data_dir(request)
    is_video = (row["mime"] or "").startswith("video/")
    found = None if is_video else await run_in_threadpool(original_file, row)
    if found is not None:
        if row["real_type"] in BROWSER_IMAGES and found[1].st_size < DIRECT_MAX_BYTES:
            return _original_response(row, found)
        cached = preview_path(data_dir, row["id"])
        # Two first views at once both decode; the atomic rename makes the second write harmless.
        made = cached.is_file() or await run_in_threadpool(
            make_preview, found[0], row["real_type"] or "", cached
        )
        if made:
            return _webp(cached)
    fallback = thumb_file(data_dir, row["thumb_path"])
    if fallback is None:
        raise HTTPException(404, f"File #{row['id']} has no picture a browser can show.")
    return _webp(fallback)
