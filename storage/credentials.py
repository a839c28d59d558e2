"""The one password and the secret key, kept in the library database.

The password is stored only as an scrypt hash (stdlib `hashlib.scrypt`: memory-hard, no new
dependency). Parameters travel inside the stored string, so they can be raised later and old
hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

from storage.db import transaction, utc_now

# 64 MiB and about 0.2 s per guess on a small server; a guessing attacker pays the same.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**16, 8, 1
MIN_PASSWORD_LENGTH = 8


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32
    )


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(candidate, _unb64(digest))


def password_problem(password: str) -> str | None:
    """Why this password may not be chosen, or None. Length only: a passphrase of plain words is
    strong, and composition rules mostly produce Password1!."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Choose at least {MIN_PASSWORD_LENGTH} characters; a few words make a strong passphrase."
    if password.strip() != password:
        return "The password may not start or end with a space (they are easy to mistype)."
    return None


def access_row(conn: sqlite3.Connection) -> sqlite3.Row:
    """The single access row, made (with a fresh secret key) the first time it is asked for."""
    conn.execute(
        "INSERT INTO access (id, secret_key) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
        (secrets.token_urlsafe(32),),
    )
    conn.commit()
    return conn.execute("SELECT password_hash, password_set_at, secret_key FROM access WHERE id = 1").fetchone()


def set_password(conn: sqlite3.Connection, password: str) -> None:
    """Store the new password's hash and sign every browser out: whoever knew the old one is out."""
    access_row(conn)
    hashed = hash_password(password)
    with transaction(conn):
        conn.execute(
            "UPDATE access SET password_hash = ?, password_set_at = ? WHERE id = 1", (hashed, utc_now())
        )
        conn.execute("DELETE FROM sessions")


def adopt_password(conn: sqlite3.Connection, password: str) -> bool:
    """Make MEDIAPARSER_PASSWORD the password unless it already is; True if it changed."""
    if verify_password(password, access_row(conn)["password_hash"]):
        return False
    set_password(conn, password)
    return True


def set_first_password(conn: sqlite3.Connection, password: str) -> bool:
    """The password chosen at first start; False if someone chose one in the meantime."""
    access_row(conn)
    with transaction(conn):
        changed = conn.execute(
            "UPDATE access SET password_hash = ?, password_set_at = ? WHERE id = 1 AND password_hash IS NULL",
            (hash_password(password), utc_now()),
        ).rowcount
    return changed == 1


# Sessions: one row per signed-in browser, keyed by the SHA-256 of its cookie's token.


def start_session(conn: sqlite3.Connection, token_hash: str, client: str, days: int) -> None:
    now = datetime.now(UTC)
    with transaction(conn):
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (utc_now(),))
        conn.execute(
            "INSERT INTO sessions (token_hash, created_at, expires_at, client) VALUES (?, ?, ?, ?)",
            (token_hash, utc_now(), (now + timedelta(days=days)).isoformat(timespec="milliseconds"), client),
        )


def end_session(conn: sqlite3.Connection, token_hash: str) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))


def end_all_sessions(conn: sqlite3.Connection) -> int:
    with transaction(conn):
        return conn.execute("DELETE FROM sessions").rowcount
