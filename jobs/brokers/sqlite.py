"""A durable Dramatiq broker over one SQLite table.

Delivery is at-least-once, by lease: a consumer claims ready messages with `UPDATE ... RETURNING`,
which sets `lease_until` in the future; while the message runs, a background thread renews the
leases this process holds; an ack deletes the row. If the process dies (kill -9, power cut), its
leases simply expire after the visibility timeout and the message is claimed again. A message whose
lease expired three times without an ack has killed its worker three times: it is dead-lettered
instead of being handed to a fourth victim.

Delayed messages (retries with backoff, `send_with_options(delay=...)`) stay in the same table
with their due time, so the Worker never holds them in memory and a restart loses none of them.
Dead letters stay in the table with state 'dead' and the failure reason, for people to see.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dramatiq.broker import Broker, Consumer, MessageProxy
from dramatiq.common import current_millis
from dramatiq.errors import QueueJoinTimeout, QueueNotFound
from dramatiq.message import Message
from dramatiq.middleware import Middleware

from jobs.runtime import process_exists
from storage.db import enable_wal

MAX_WORKER_KILLS = 3
POLL_INTERVAL_S = 0.05

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id          INTEGER PRIMARY KEY,
    queue       TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    body        BLOB NOT NULL,
    state       TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'dead')),
    due_at      INTEGER NOT NULL,              -- epoch ms; later than now for delayed messages
    lease_owner TEXT,                          -- the consumer process holding it
    lease_until INTEGER,                       -- epoch ms; NULL when nobody holds it
    deliveries  INTEGER NOT NULL DEFAULT 0,
    kills       INTEGER NOT NULL DEFAULT 0,    -- leases that expired without an ack
    enqueued_at INTEGER NOT NULL,
    dead_at     INTEGER,
    reason      TEXT
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, state, due_at);
CREATE INDEX IF NOT EXISTS messages_owner ON messages (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_leased ON messages (queue, lease_until) WHERE lease_until IS NOT NULL;
"""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    enable_wal(conn)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class SQLiteBroker(Broker):
    """Dramatiq broker storing its queues in the SQLite file at `path`.

    Parameters:
      path: the queue database file (created if missing).
      visibility_timeout: seconds a claimed message stays invisible without a lease renewal.
      middleware: as for any Dramatiq broker.
    """

    def __init__(
        self,
        path: Path,
        *,
        visibility_timeout: float = 60.0,
        middleware: list[Middleware] | None = None,
    ) -> None:
        super().__init__(middleware=middleware)
        self.path = Path(path)
        self.visibility_ms = int(visibility_timeout * 1000)
        # One owner token per broker instance: it names this process's leases.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._local = threading.local()
        self._renewer: threading.Thread | None = None
        self._closing = threading.Event()
        self._renew_lock = threading.Lock()
        self._swept_dead = False
        with self._connection() as conn:
            conn.executescript(SCHEMA)

    # Connections: one per thread, since consumers, workers and the renewer run concurrently.
    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
        return conn

    def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement in its own short write transaction; returns the rows changed."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            changed = conn.execute(sql, tuple(params)).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return changed

    # Broker interface ---------------------------------------------------------------------

    def declare_queue(self, queue_name: str) -> None:
        if queue_name in self.queues:
            return
        self.emit_before("declare_queue", queue_name)
        self.queues[queue_name] = None
        self.emit_after("declare_queue", queue_name)

    def enqueue(self, message: Message, *, delay: int | None = None) -> Message:
        if message.queue_name not in self.queues:
            raise QueueNotFound(message.queue_name)
        self.emit_before("enqueue", message, delay)
        now = current_millis()
        self._write(
            "INSERT INTO messages (queue, message_id, body, due_at, enqueued_at) VALUES (?, ?, ?, ?, ?)",
            (message.queue_name, message.message_id, message.encode(), now + (delay or 0), now),
        )
        self.emit_after("enqueue", message, delay)
        return message

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 30000) -> Consumer:
        if queue_name not in self.queues:
            raise QueueNotFound(queue_name)
        self._start_renewer()
        if not self._swept_dead:
            self._swept_dead = True
            self.release_dead_owners()
        return SQLiteConsumer(self, queue_name, prefetch, timeout)

    def flush(self, queue_name: str) -> None:
        self._write("DELETE FROM messages WHERE queue = ? AND state = 'ready'", (queue_name,))

    def flush_all(self) -> None:
        self._write("DELETE FROM messages")

    def join(self, queue_name: str, *, timeout: int | None = None) -> None:
        """Wait until the queue has no ready, delayed or leased messages (tests and tools)."""
        deadline = None if timeout is None else time.monotonic() + timeout / 1000
        while self.pending(queue_name):
            if deadline is not None and time.monotonic() > deadline:
                raise QueueJoinTimeout(queue_name)
            time.sleep(POLL_INTERVAL_S)

    def close(self) -> None:
        """Stop renewing and hand every message this process still holds back to the queue."""
        self._closing.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        self.release_all()

    # Leases ---------------------------------------------------------------------------------

    def claim(self, queue_name: str, limit: int) -> list[tuple[int, bytes]]:
        """Lease up to `limit` due messages; dead-letter any that already killed too many workers."""
        now = current_millis()
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            # A lease that ran out means the holder died while running it.
            conn.execute(
                "UPDATE messages SET kills = kills + 1, lease_owner = NULL, lease_until = NULL"
                " WHERE queue = ? AND state = 'ready' AND lease_until < ?",
                (queue_name, now),
            )
            conn.execute(
                "UPDATE messages SET state = 'dead', dead_at = ?, reason = ?"
                " WHERE queue = ? AND state = 'ready' AND kills >= ?",
                (now, f"killed its worker {MAX_WORKER_KILLS} times", queue_name, MAX_WORKER_KILLS),
            )
            rows = conn.execute(
                "UPDATE messages SET lease_owner = ?, lease_until = ?, deliveries = deliveries + 1"
                " WHERE id IN (SELECT id FROM messages WHERE queue = ? AND state = 'ready'"
                "   AND lease_until IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?)"
                " RETURNING id, body",
                (self.owner, now + self.visibility_ms, queue_name, now, limit),
            ).fetchall()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return sorted(rows)

    def ack(self, row_id: int) -> None:
        self._write("DELETE FROM messages WHERE id = ?", (row_id,))

    def dead_letter(self, row_id: int, reason: str) -> None:
        self._write(
            "UPDATE messages SET state = 'dead', dead_at = ?, reason = ?,"
            " lease_owner = NULL, lease_until = NULL WHERE id = ?",
            (current_millis(), reason, row_id),
        )

    def release(self, row_ids: Iterable[int]) -> None:
        ids = list(row_ids)
        if ids:
            marks = ",".join("?" * len(ids))
            self._write(
                f"UPDATE messages SET lease_owner = NULL, lease_until = NULL WHERE id IN ({marks})"
                " AND lease_owner = ?",
                (*ids, self.owner),
            )

    def release_all(self) -> None:
        self._write(
            "UPDATE messages SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
            (self.owner,),
        )

    def release_dead_owners(self) -> int:
        """Leases held by processes of this host that no longer exist (kill -9, a crash, a reboot)
        come back now instead of after the visibility timeout, counted as kills as an expired lease
        is. A reused pid looks alive and simply waits for the timeout. Returns how many came back."""
        host, released = socket.gethostname(), 0
        rows = self._connection().execute(
            "SELECT DISTINCT lease_owner FROM messages WHERE lease_owner IS NOT NULL"
        ).fetchall()
        for (owner,) in rows:
            if owner != self.owner and not owner_alive(owner, host):
                released += self._write(
                    "UPDATE messages SET kills = kills + 1, lease_owner = NULL, lease_until = NULL"
                    " WHERE lease_owner = ? AND state = 'ready'",
                    (owner,),
                )
        return released

    def renew_leases(self) -> int:
        """Push back the expiry of every lease this process holds; returns how many."""
        now = current_millis()
        return self._write(
            "UPDATE messages SET lease_until = ? WHERE lease_owner = ? AND lease_until IS NOT NULL",
            (now + self.visibility_ms, self.owner),
        )

    def _start_renewer(self) -> None:
        with self._renew_lock:
            if self._renewer is None or not self._renewer.is_alive():
                self._closing.clear()
                self._renewer = threading.Thread(target=self._renew_loop, name="lease-renewer", daemon=True)
                self._renewer.start()

    def _renew_loop(self) -> None:
        # Renew well before expiry so a slow disk or a busy database cannot let a lease lapse.
        interval = max(self.visibility_ms / 4000, 0.05)
        while not self._closing.wait(interval):
            try:
                self.renew_leases()
            except sqlite3.Error:
                self.logger.warning("Could not renew leases; retrying.", exc_info=True)

    # Inspection -------------------------------------------------------------------------------

    def pending(self, queue_name: str | None = None) -> int:
        sql = "SELECT count(*) FROM messages WHERE state = 'ready'"
        params: tuple = ()
        if queue_name is not None:
            sql += " AND queue = ?"
            params = (queue_name,)
        return self._connection().execute(sql, params).fetchone()[0]

    def stats(self) -> dict[str, int]:
        """Counts a person can read: ready now, delayed, running, dead-lettered."""
        now = current_millis()
        row = (
            self._connection()
            .execute(
                "SELECT"
                " coalesce(sum(state = 'ready' AND lease_until IS NULL AND due_at <= ?), 0),"
                " coalesce(sum(state = 'ready' AND lease_until IS NULL AND due_at > ?), 0),"
                " coalesce(sum(state = 'ready' AND lease_until IS NOT NULL), 0),"
                " coalesce(sum(state = 'dead'), 0)"
                " FROM messages",
                (now, now),
            )
            .fetchone()
        )
        return dict(zip(("ready", "delayed", "running", "dead"), row, strict=True))

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = (
            self._connection()
            .execute(
                "SELECT id, queue, body, dead_at, reason, deliveries FROM messages WHERE state = 'dead'"
                " ORDER BY dead_at DESC LIMIT ?",
                (limit,),
            )
            .fetchall()
        )
        letters = []
        for row_id, queue, body, dead_at, reason, deliveries in rows:
            message = json.loads(body)
            letters.append(
                {
                    "id": row_id,
                    "queue": queue,
                    "actor": message.get("actor_name"),
                    "args": message.get("args"),
                    "message_id": message.get("message_id"),
                    "dead_at": dead_at,
                    "reason": reason,
                    "deliveries": deliveries,
                }
            )
        return letters


def owner_alive(owner: str, host: str) -> bool:
    """Whether a lease owner ("host:pid:token") may still be running; only this host can be checked."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return True
    return process_exists(int(parts[1]))


class SQLiteMessage(MessageProxy):
    def __init__(self, message: Message, row_id: int) -> None:
        super().__init__(message)
        self.row_id = row_id


class SQLiteConsumer(Consumer):
    def __init__(self, broker: SQLiteBroker, queue_name: str, prefetch: int, timeout: int) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self.prefetch = prefetch
        self.timeout_s = timeout / 1000
        self.buffer: list[tuple[int, bytes]] = []
        # Claimed and not yet acked. Worker threads ack while the consumer thread claims, so the
        # set is guarded, and an ack wakes a consumer that was waiting for room to prefetch.
        self.held: set[int] = set()
        self.room = threading.Condition()

    def __next__(self) -> MessageProxy | None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            if not self.buffer:
                with self.room:
                    free = self.prefetch - len(self.held)
                    if free <= 0:
                        self.room.wait(max(deadline - time.monotonic(), 0))
                        free = self.prefetch - len(self.held)
                    if free > 0:
                        claimed = self.broker.claim(self.queue_name, free)
                        self.buffer.extend(claimed)
                        self.held.update(row_id for row_id, _ in claimed)
                        if not claimed and time.monotonic() < deadline:
                            self.room.wait(POLL_INTERVAL_S)  # queue empty: poll
            if self.buffer:
                row_id, body = self.buffer.pop(0)
                try:
                    return SQLiteMessage(Message.decode(body), row_id)
                except Exception as error:  # an undecodable body can never succeed
                    self.broker.dead_letter(row_id, f"undecodable message: {error}")
                    self._forget([row_id])
                    continue
            if time.monotonic() >= deadline:
                return None

    def _forget(self, row_ids: Iterable[int]) -> None:
        with self.room:
            self.held.difference_update(row_ids)
            self.room.notify_all()

    def ack(self, message: MessageProxy) -> None:
        self.broker.ack(message.row_id)
        self._forget([message.row_id])

    def nack(self, message: MessageProxy) -> None:
        reason = message.options.get("traceback") or repr(message._exception or "rejected")
        self.broker.dead_letter(message.row_id, str(reason)[-4000:])
        self._forget([message.row_id])

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        ids = [m.row_id for m in messages]
        self.broker.release(ids)
        self._forget(ids)

    def close(self) -> None:
        # Messages claimed into the buffer but never handed out go straight back.
        ids = [row_id for row_id, _ in self.buffer]
        self.buffer.clear()
        self.broker.release(ids)
        self._forget(ids)
