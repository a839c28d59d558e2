"""Metadata through one persistent exiftool process per worker thread.

exiftool is started once (`-stay_open`) and fed batches; a batch costs a few ms per file instead
of ~150 ms to start a process. pyexiftool fails a whole batch when exiftool's output is not
clean JSON, so a failed batch is retried file by file and only the bad file gets the error.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import exiftool

log = logging.getLogger(__name__)

# -G0:1: "EXIF:ExifIFD:DateTimeOriginal", family 0 and 1 groups, so evidence says where a date
# came from. -a keeps duplicate tags (an XMP and an EXIF date both count). -n: numbers as
# numbers (GPS, orientation, duration); date strings are unaffected. Not -fast2: it drops maker
# notes, where cameras keep their time zone.
COMMON_ARGS = ["-G0:1", "-a", "-n", "-j", "-charset", "filename=utf8"]

_local = threading.local()


def exiftool_process() -> exiftool.ExifToolHelper:
    helper = getattr(_local, "helper", None)
    if helper is None or not helper.running:
        helper = exiftool.ExifToolHelper(common_args=COMMON_ARGS, check_execute=False)
        helper.run()
        _local.helper = helper
    return helper


def restart_exiftool() -> None:
    helper = getattr(_local, "helper", None)
    _local.helper = None
    if helper is not None:
        with contextlib.suppress(Exception):
            helper.terminate()


@contextlib.contextmanager
def argument_safe_path(path: Path, scratch: Path) -> Iterator[str]:
    """A name exiftool's line-based protocol cannot misread: newlines in a name would split it
    into two arguments, so such files are read through a symlink with a plain name."""
    text = str(path)
    if "\n" not in text and "\r" not in text:
        yield text
        return
    scratch.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.replace("\n", "").replace("\r", "")
    link = scratch / f"exiftool-{os.getpid()}-{secrets.token_hex(6)}{suffix}"
    os.symlink(path, link)
    try:
        yield str(link)
    finally:
        link.unlink(missing_ok=True)


def _read(paths: Sequence[str]) -> list[dict[str, Any]]:
    return exiftool_process().execute_json(*paths)


def read_metadata(paths: Sequence[Path], scratch: Path) -> list[dict[str, Any] | str]:
    """Tags for each path, in order; a string in place of the tags is the reason reading failed."""
    with contextlib.ExitStack() as stack:
        safe = [stack.enter_context(argument_safe_path(p, scratch)) for p in paths]
        try:
            by_source = {entry.get("SourceFile"): entry for entry in _read(safe)}
            return [_result(by_source.get(name)) for name in safe]
        except Exception:
            log.info("exiftool batch of %d failed; reading one by one", len(safe), exc_info=True)
        results: list[dict[str, Any] | str] = []
        for name in safe:
            try:
                entries = _read([name])
                results.append(_result(entries[0] if entries else None))
            except Exception as error:
                restart_exiftool()  # its state after a failure is unknown
                results.append(f"metadata could not be read: {error}".strip())
        return results


def _result(entry: dict[str, Any] | None) -> dict[str, Any] | str:
    # exiftool's own "Error" tag (e.g. "File is empty") stays in the tags: whether the file is
    # usable is decided by decoding it, not by exiftool.
    if entry is None:
        return "metadata could not be read (exiftool gave no answer for this file)"
    entry.pop("SourceFile", None)
    return entry


# Largest first: a RAW file's full-size JPEG, else its preview, else the small EXIF thumbnail.
PREVIEW_TAGS = ("JpgFromRaw", "PreviewImage", "OtherImage", "ThumbnailImage")


def read_preview(path: Path, scratch: Path) -> bytes | None:
    """The JPEG a RAW file carries inside, so it can be hashed (and a RAW+JPEG pair found) without a
    RAW decoder. None when the file has no embedded image."""
    with argument_safe_path(path, scratch) as name:
        try:
            # With -j (a common argument here), -b gives binary tags as "base64:..." strings.
            [entry] = exiftool_process().execute_json("-b", *(f"-{tag}" for tag in PREVIEW_TAGS), name)
        except Exception:
            restart_exiftool()
            return None
    for tag in PREVIEW_TAGS:
        value = next((v for k, v in entry.items() if k.rsplit(":", 1)[-1] == tag), None)
        if isinstance(value, str) and value.startswith("base64:"):
            data = base64.b64decode(value[7:])
            if data[:2] == b"\xff\xd8":
                return data
    return None


# exiftool's summary for one file; "unchanged" is success too (the copy already says what we asked).
# With -j among the common arguments the summary goes to stderr, so both streams are searched.
WRITE_DONE = re.compile(r"^\s*1 image files (updated|unchanged)\s*$", re.MULTILINE)
SUMMARY = re.compile(r"^\s*\d+ (image )?files? ")


def write_tags(path: Path, assignments: Mapping[str, str | list[str]], scratch: Path) -> str | None:
    """Write into `path` in place (it is our own temp copy); None on success, else exiftool's error
    as a sentence. A list is written item by item (the first replaces the file's list); "" or []
    removes the tag. Values go raw (-n is a common argument), so dates must be "YYYY:MM:DD HH:MM:SS"."""
    if not assignments:
        return None
    # QuickTime dates arrive already in UTC; QuickTimeUTC=0 keeps a user's exiftool config from
    # converting them again as if they were local times.
    args: list[str | bytes] = ["-api", "QuickTimeUTC=0"]
    for tag, value in assignments.items():
        for item in ([value] if isinstance(value, str) else value) or [""]:
            # UTF-8 whatever the locale (exiftool's default -charset); one argument per line in the
            # -stay_open protocol, so a newline would start a new argument.
            args.append(f"-{tag}={_one_line(item)}".encode())
    # Absolute: exiftool's argument lines lose leading spaces and skip lines starting with "#".
    target = path.absolute()
    with argument_safe_path(target, scratch) as name:
        # -overwrite_original renames exiftool's new file over the name, which would replace a
        # symlink rather than the file behind it; through a link the bytes are copied back instead.
        mode = "-overwrite_original" if name == str(target) else "-overwrite_original_in_place"
        try:
            helper = exiftool_process()
            stdout = helper.execute(mode, *args, os.fsencode(name))
            status, stderr = helper.last_status, helper.last_stderr
        except Exception as error:
            restart_exiftool()  # its state after a failure is unknown
            return str(error).strip() or type(error).__name__
    if status == 0 and WRITE_DONE.search(f"{stdout}\n{stderr}"):
        return None
    return _write_error(stderr, stdout, name)


def _one_line(value: str) -> str:
    return str(value).replace("\r", " ").replace("\n", " ").replace("\x00", "")


def _write_error(stderr: str, stdout: str, name: str) -> str:
    """ "Error: Not a valid JPG (looks more like a PNG) - /tmp/x.jpg" -> "Not a valid JPG (looks more
    like a PNG)": the path is our temp copy, meaningless to the person reading the manifest."""
    lines = [line.strip() for line in f"{stderr}\n{stdout}".splitlines() if line.strip()]
    said = [line for line in lines if not SUMMARY.match(line)]
    errors = [line for line in said if line.startswith("Error")] or said
    if not errors:
        return "exiftool wrote nothing and gave no reason"
    text = errors[0].removeprefix("Error:").removeprefix("Warning:").removesuffix(f" - {name}").strip()
    return text[:1].upper() + text[1:]
