"""A durable, ordered outbox on disk (SQLite) for messages not yet acknowledged.

Messages are appended with the next per-device ``seq`` (kept here, so it survives a
restart and only grows) and removed only once the broker has acknowledged them, so a
broker outage or a collector crash loses nothing: after a restart the sender starts
again from the oldest unacknowledged row.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seqs (device TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One queued message; ``id`` orders delivery."""

    id: int
    topic: str
    payload: bytes
    retain: bool


class Outbox:
    """Append-only queue of messages, safe across restarts.

    Args:
        path: SQLite file; ``":memory:"`` for a throw-away outbox.
    """

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the file; queued messages stay on disk."""
        self._db.close()

    def append(self, device: str, build: Callable[[int], tuple[str, bytes]]) -> int:
        """Give ``build`` the device's next seq and queue the (topic, payload) it returns.

        The seq and the row are written in one transaction, so a seq is never reused
        and never skipped by a crash between the two.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT last FROM seqs WHERE device=?", (device,)).fetchone()
                seq = 0 if row is None else row[0] + 1
                topic, payload = build(seq)
                self._db.execute(
                    "INSERT INTO seqs(device, last) VALUES(?, ?) "
                    "ON CONFLICT(device) DO UPDATE SET last=excluded.last",
                    (device, seq),
                )
                self._db.execute(
                    "INSERT INTO outbox(topic, payload) VALUES(?, ?)", (topic, payload)
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return seq

    def next_seq(self, device: str) -> int:
        """Reserve a seq for a message that bypasses the queue (status, Last Will)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO seqs(device, last) VALUES(?, 0) "
                "ON CONFLICT(device) DO UPDATE SET last=last+1",
                (device,),
            )
            row = self._db.execute("SELECT last FROM seqs WHERE device=?", (device,)).fetchone()
            return int(row[0])

    def after(self, last_id: int, limit: int = 500) -> list[Entry]:
        """Queued messages with ``id > last_id``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload, retain FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                (last_id, limit),
            ).fetchall()
        return [Entry(r[0], r[1], bytes(r[2]), bool(r[3])) for r in rows]

    def remove_through(self, last_id: int) -> None:
        """Drop every message up to and including ``last_id`` (acknowledged)."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE id <= ?", (last_id,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
