"""Configuration, read once at start-up from MEDIAPARSER_* variables and an optional `.env`.

Nothing else in the code base reads `os.environ`: build one `Settings` and pass it down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "MEDIAPARSER_"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    # Empty means the built-in SQLite broker in the data dir; redis:// or amqp:// switch brokers.
    broker_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # Empty means the system's zone.
    timezone: str = ""
    import_roots: tuple[Path, ...] = ()
    max_upload_mb: int = 4096
    export_dir: Path | None = None
    # How long a claimed message stays invisible to other workers without a lease renewal.
    visibility_timeout: float = 60.0
    # How long a stopping worker waits for in-flight messages before handing them back.
    # Procfile runners such as honcho SIGKILL 5 s after SIGTERM, so stay under that.
    shutdown_grace: float = 4.0
    heartbeat_interval: float = 5.0
    log_level: str = "INFO"
    # Sign-in: on unless MEDIAPARSER_AUTH=off, which is accepted only for a loopback-only bind.
    auth: bool = True
    # MEDIAPARSER_PASSWORD, if set, becomes the password at start (stored only as a slow hash).
    password: str = field(default="", repr=False)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "mediaparser.sqlite3"


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; blank lines and # comments are ignored, quotes stripped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """True when a server bound to `host` is reachable from this machine only."""
    host = host.strip().strip("[]").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def default_import_roots(home: Path) -> tuple[Path, ...]:
    candidates = [home, Path("/media"), Path("/mnt")]
    return tuple(p for p in candidates if p.is_dir())


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Build settings from the environment; a variable set in the environment beats `.env`."""
    environ = os.environ if environ is None else environ
    env_file = Path(".env") if env_file is None else env_file
    merged = {**read_env_file(env_file), **environ}
    raw = {k[len(PREFIX) :].lower(): v for k, v in merged.items() if k.startswith(PREFIX)}

    def get(name: str, default: str = "") -> str:
        return raw.pop(name, default).strip()

    data_dir = Path(get("data_dir") or "data").expanduser().resolve()
    roots_text = get("import_roots")
    if roots_text:
        import_roots = tuple(Path(p).expanduser().resolve() for p in roots_text.split(os.pathsep) if p)
    else:
        import_roots = default_import_roots(Path.home())
    export_dir = get("export_dir")
    settings = Settings(
        data_dir=data_dir,
        broker_url=get("broker_url"),
        host=get("host") or Settings.host,
        port=int(get("port") or Settings.port),
        timezone=get("timezone"),
        import_roots=import_roots,
        max_upload_mb=int(get("max_upload_mb") or Settings.max_upload_mb),
        export_dir=Path(export_dir).expanduser().resolve() if export_dir else None,
        visibility_timeout=float(get("visibility_timeout") or Settings.visibility_timeout),
        shutdown_grace=float(get("shutdown_grace") or Settings.shutdown_grace),
        heartbeat_interval=float(get("heartbeat_interval") or Settings.heartbeat_interval),
        log_level=(get("log_level") or Settings.log_level).upper(),
        auth=get("auth").lower() not in ("off", "false", "no", "0"),
        password=raw.pop("password", ""),
    )
    return settings
