"""Settings a person changes in the UI, kept in the library: environment variables give the
defaults, a saved value here wins. Plain text values; callers parse them."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from storage.db import transaction, utc_now


def saved_settings(conn: sqlite3.Connection) -> dict[str, str]:
    return {row[0]: row[1] for row in conn.execute("SELECT key, value FROM user_settings")}


def save_settings(conn: sqlite3.Connection, values: Mapping[str, str | None]) -> None:
    """Store each value; None forgets it, so the default applies again."""
    now = utc_now()
    with transaction(conn):
        for key, value in values.items():
            if value is None:
                conn.execute("DELETE FROM user_settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO user_settings (key, value, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (key, value, now),
                )
