"""Real CLI and worker processes for the hostile-input tests, and a snapshot of everything outside
the data dir, to prove that nothing there was written."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.worker import worker_command
from storage.settings import Settings
from tests.e2e.conftest import App
from tests.polling import wait_for

# Content hashes above this size would cost more than the test; size and times still count.
HASH_LIMIT = 8 << 20


# Root without the capabilities that let it ignore file permissions: it reads and writes what its
# files' owner bits allow, as a normal user would. (Becoming `nobody` is not possible here: the
# interpreter lives under /root, which only root may enter.)
NO_PERMISSION_BYPASS = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-dac_override,-dac_read_search",
]


class HostileApp(App):
    """App, run from an empty working folder inside the watched tree (a relative write would show),
    optionally without the power to bypass file permissions, with extra worker modules."""

    def __init__(self, root: Path, unprivileged: bool = False, modules: tuple[str, ...] = ()) -> None:
        super().__init__(root)
        self.cwd = root / "cwd"
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.modules = modules
        self.prefix = NO_PERMISSION_BYPASS if unprivileged else []
        self.env["HOME"] = str(self.cwd)  # a tool writing to ~ would write inside the watched tree

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.prefix, sys.executable, "-m", "mediaparser", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_worker(self, processes: int = 2, threads: int = 1) -> subprocess.Popen:
        proc = subprocess.Popen(
            [*self.prefix, *worker_command(processes, threads, self.modules)], cwd=self.cwd, env=self.env
        )
        self.procs.append(proc)
        wait_for(lambda: len(self.worker_pids()) == processes)
        return proc

    def files(self) -> dict[str, dict]:
        result = self.cli("files", "--json")
        assert result.returncode == 0, result.stderr
        return {record["path"]: record for record in map(json.loads, result.stdout.splitlines())}


def snapshot(root: Path, skip: set[Path]) -> dict[str, tuple]:
    """Every entry under root except the `skip` folders: kind, size, mode, mtime, link target and,
    for files of a sensible size, a content hash. Walks by open folders (os.fwalk), so trees nested
    past PATH_MAX are covered too, and never follows a link."""
    skipped = {os.path.abspath(p) for p in skip}
    seen: dict[str, tuple] = {}
    for folder, dirs, files, dir_fd in os.fwalk(root, follow_symlinks=False):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skipped]
        for name in (*dirs, *[f for f in files if os.path.join(folder, f) not in skipped]):
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            entry: tuple = (
                stat.S_IFMT(info.st_mode),
                info.st_size,
                stat.S_IMODE(info.st_mode),
                info.st_mtime_ns,
            )
            if stat.S_ISLNK(info.st_mode):
                entry += (os.readlink(name, dir_fd=dir_fd),)
            elif stat.S_ISREG(info.st_mode) and info.st_size <= HASH_LIMIT:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
                with open(fd, "rb") as handle:
                    entry += (hashlib.sha256(handle.read()).hexdigest(),)
            seen[os.path.relpath(os.path.join(folder, name), root)] = entry
    return seen


def changes(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """What differs, readably: added, removed and changed entries."""
    return sorted(
        [f"added {p!r}" for p in after.keys() - before.keys()]
        + [f"removed {p!r}" for p in before.keys() - after.keys()]
        + [
            f"changed {p!r}: {before[p]} -> {after[p]}"
            for p in before.keys() & after.keys()
            if before[p] != after[p]
        ]
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """As tests/conftest.py's, but the data dir is a folder of tmp_path: what lies beside it is ours
    to watch."""
    return Settings(data_dir=tmp_path / "data")
