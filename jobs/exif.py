"""Metadata through one persistent exiftool process per worker thread.

exiftool is started once (`-stay_open`) and fed batches; a batch costs a few ms per file instead
of ~150 ms to start a process. A failed batch is retried file by file so only the bad file gets
the error. Every call has a deadline: exiftool hanging on a file (or dying on it) is killed, that
file gets a sentence saying so, and the next call starts a fresh exiftool.

The protocol is spoken here rather than through pyexiftool, whose reads block forever on a hung
process and spin forever on a dead one. Arguments go one per line on exiftool's stdin, never
through a shell; names exiftool could misread are made safe by `argument_safe_path`.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import itertools
import json
import logging
import os
import re
import secrets
import selectors
import shutil
import subprocess
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jobs.errors import MediaError

log = logging.getLogger(__name__)

# -G0:1: "EXIF:ExifIFD:DateTimeOriginal", family 0 and 1 groups, so evidence says where a date
# came from. -a keeps duplicate tags (an XMP and an EXIF date both count). -n: numbers as
# numbers (GPS, orientation, duration); date strings are unaffected. Not -fast2: it drops maker
# notes, where cameras keep their time zone.
COMMON_ARGS = ["-G0:1", "-a", "-n", "-j", "-charset", "filename=utf8"]
# Seconds one call may take. A healthy batch of a few files needs well under one; exiftool stuck
# on a hostile file is stopped after this. Tests shorten it (tests/hostile/short_exiftool_timeout.py).
TIMEOUT_S = 30.0
READ_SIZE = 1 << 16

# exiftool -stay_open does not stop when its stdin closes (it waits for more), so a worker that
# exits or is killed would leave it running for good. Started through `setpriv --pdeathsig`, it is
# killed with the thread that started it; atexit covers systems without setpriv, on a clean exit.
DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []

_local = threading.local()
_numbers = itertools.count(1)
_started: weakref.WeakSet[ExifTool] = weakref.WeakSet()


class ExifToolFailed(Exception):
    """exiftool hung or died during a call; that process is gone, the next call starts another."""


class ExifToolMissing(RuntimeError):
    """The machine, not the file: the job fails (and is retried) rather than every file erring."""


class ExifTool:
    """One `exiftool -stay_open` process and its line-based protocol: the arguments, one per line,
    then `-execute<n>`; exiftool answers on stdout up to `{ready<n>}`, and `-echo4` puts the exit
    status and a marker at the end of stderr, so both streams have a known end."""

    def __init__(self, executable: str = "exiftool") -> None:
        if shutil.which(executable) is None:
            raise ExifToolMissing(f"{executable} is not installed; run `mediaparser doctor`")
        self.process = subprocess.Popen(
            [*DIE_WITH_PARENT, executable, "-stay_open", "True", "-@", "-", "-common_args", *COMMON_ARGS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.last_status: int | None = None
        self.last_stderr = ""
        _started.add(self)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def execute(self, *args: str | bytes, timeout: float | None = None) -> str:
        """exiftool's stdout for these arguments; stderr and the exit status are kept in
        last_stderr and last_status. ExifToolFailed (after killing the process) when exiftool
        does not finish within `timeout` seconds (TIMEOUT_S) or dies."""
        limit = TIMEOUT_S if timeout is None else timeout
        # Unguessable, so no text inside a file can pose as the end of an answer.
        n = next(_numbers) * 1_000_000_000 + secrets.randbelow(1_000_000_000)
        ready, post = f"{{ready{n}}}".encode(), f"post{n}".encode()
        lines = [a if isinstance(a, bytes) else a.encode() for a in args]
        lines += [b"-echo4", b"=${status}=" + post, f"-execute{n}".encode()]
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(b"\n".join(lines) + b"\n")
            self.process.stdin.flush()
        except OSError:  # BrokenPipeError: it died before this call
            self.kill()
            raise ExifToolFailed("exiftool stopped unexpectedly (it crashed)") from None
        out, err = self._collect(ready, post, time.monotonic() + limit, limit)
        stderr = err.decode("utf-8", "replace").rstrip()
        found = re.search(rf"=(\d+)=post{n}$", stderr)
        self.last_status = int(found.group(1)) if found else None
        self.last_stderr = stderr[: found.start()] if found else stderr
        return out.decode("utf-8", "replace").rstrip()[: -len(ready)].rstrip()

    def _collect(self, ready: bytes, post: bytes, deadline: float, limit: float) -> tuple[bytes, bytes]:
        """Read stdout and stderr together (one full pipe must not block the other) up to their markers."""
        assert self.process.stdout is not None and self.process.stderr is not None
        streams = {self.process.stdout.fileno(): bytearray(), self.process.stderr.fileno(): bytearray()}
        markers = {self.process.stdout.fileno(): ready, self.process.stderr.fileno(): post}
        with selectors.DefaultSelector() as selector:
            for fd in streams:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                left = deadline - time.monotonic()
                events = selector.select(left) if left > 0 else []
                if not events:
                    self.kill()
                    raise ExifToolFailed(f"exiftool did not answer within {limit:g} s")
                for key, _ in events:
                    chunk = os.read(key.fd, READ_SIZE)
                    if not chunk:
                        self.kill()
                        raise ExifToolFailed("exiftool stopped unexpectedly (it crashed)")
                    streams[key.fd] += chunk
                    if streams[key.fd][-len(markers[key.fd]) - 8 :].rstrip().endswith(markers[key.fd]):
                        selector.unregister(key.fd)
        return bytes(streams[self.process.stdout.fileno()]), bytes(streams[self.process.stderr.fileno()])

    def execute_json(self, *args: str | bytes, timeout: float | None = None) -> list[dict[str, Any]]:
        output = self.execute(*args, timeout=timeout)
        if not output:
            raise ValueError(f"exiftool gave no answer: {self.last_stderr.strip()[:200]}")
        return json.loads(output)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()

    def close(self) -> None:
        """Ask exiftool to stop; kill it if it does not within a few seconds."""
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.write(b"-stay_open\nFalse\n")
                self.process.stdin.flush()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.kill()


@atexit.register
def _stop_all() -> None:
    for tool in list(_started):
        tool.kill()


def exiftool_process() -> ExifTool:
    tool = getattr(_local, "tool", None)
    if tool is None or not tool.running:
        if tool is not None:
            tool.kill()  # collect what is left of a process that died
        tool = ExifTool()
        _local.tool = tool
    return tool


def restart_exiftool() -> None:
    tool = getattr(_local, "tool", None)
    _local.tool = None
    if tool is not None:
        tool.kill()  # its state after a failure is unknown


@contextlib.contextmanager
def argument_safe_path(path: Path, scratch: Path) -> Iterator[str]:
    """A name exiftool's line-based protocol cannot misread. Always absolute: a relative name could
    start with '-' (an option), '#' (a comment line) or a space (stripped). Newlines in a name would
    split it into two arguments, so such files are read through a symlink with a plain name."""
    path = Path(os.path.abspath(path))
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


class GaveUp(str):
    """The reason in place of a file's tags when exiftool hung or died on it: unlike a plain
    reason string (the file is still decoded), this makes the file an error."""


def read_metadata(paths: Sequence[Path], scratch: Path) -> list[dict[str, Any] | str]:
    """Tags for each path, in order. In place of the tags: the reason reading failed, a GaveUp
    when exiftool hung or died on that file."""
    with contextlib.ExitStack() as stack:
        safe = [stack.enter_context(argument_safe_path(p, scratch)) for p in paths]
        try:
            by_source = {entry.get("SourceFile"): entry for entry in _read(safe)}
            return [_result(by_source.get(name)) for name in safe]
        except ExifToolMissing:
            raise
        except ExifToolFailed as failed:
            if len(safe) == 1:
                return [_gave_up(failed)]  # trying the same file again would only wait again
            log.warning("exiftool failed on a batch of %d (%s); reading one by one", len(safe), failed)
        except Exception:
            restart_exiftool()  # its state after a failure is unknown
            log.info("exiftool batch of %d failed; reading one by one", len(safe), exc_info=True)
        results: list[dict[str, Any] | str] = []
        for name in safe:
            try:
                entries = _read([name])
                results.append(_result(entries[0] if entries else None))
            except ExifToolMissing:
                raise
            except ExifToolFailed as failed:
                results.append(_gave_up(failed))
            except Exception as error:
                restart_exiftool()
                results.append(f"metadata could not be read: {error}".strip())
        return results


def _gave_up(failed: ExifToolFailed) -> GaveUp:
    return GaveUp(f"metadata could not be read: {failed} on this file; it was stopped and the import went on")


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
        except ExifToolMissing:
            raise
        except ExifToolFailed as failed:
            raise MediaError(f"the embedded preview could not be read: {failed}") from None
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
            tool = exiftool_process()
            stdout = tool.execute(mode, *args, os.fsencode(name))
            status, stderr = tool.last_status, tool.last_stderr
        except ExifToolFailed as failed:
            return str(failed)
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
