"""Posture time series, written to InfluxDB 2.x (or any server taking its v2 write API).

Schema, one point per posture epoch::

    measurement  posture
    tags         wearer, device, posture      (posture: a ``Posture`` value, e.g. sitting)
    field        duration_s                   (float: the epoch's length in seconds)
    time         start of the epoch, second precision

Fields stay numeric because VictoriaMetrics, which accepts the same write API, ignores
string fields; it names the series ``posture_duration_s`` with the tags as labels.
Summing ``duration_s`` grouped by the ``posture`` tag gives time spent per posture.

``TimeSeriesWriter`` is the shell around influxdb-client's synchronous write API: ``add``
only appends to an in-memory buffer (cheap enough for the asyncio ingest loop), and one
background thread sends batches of ``batch_size`` points, at least every
``flush_interval_s``. While the server is away it keeps unsent points in order and
retries the oldest batch with backoff doubling from ``retry_initial_s`` to
``retry_max_s``. A batch the server refuses as malformed (HTTP 400, 413, 422) is logged
with the server's reason, counted as ``rejected`` and dropped: retrying cannot fix it.
When more than ``max_buffer`` points wait, the oldest go first, counted as ``dropped``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Self, cast

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write.point import Point
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException

from sitless.wire.messages import PostureEvent
from sitless.wire.posture import Posture

log = logging.getLogger(__name__)

MEASUREMENT = "posture"
FIELD = "duration_s"
PRECISION = WritePrecision.S
# Malformed request: the same bytes would fail again, so the batch is not retried.
# 413 (body too large) is included because retrying the same body cannot succeed either.
REJECTED_STATUSES = frozenset({400, 413, 422})


def epoch_point(
    wearer: str, device: str, posture: Posture, start: datetime, duration_s: float
) -> Point:
    """The point for one epoch of ``posture`` beginning at ``start``."""
    point = Point(MEASUREMENT)
    point.tag("wearer", wearer).tag("device", device).tag("posture", posture.value)
    point.field(FIELD, float(duration_s)).time(start, PRECISION)
    return point


def posture_points(event: PostureEvent) -> list[Point]:
    """One point per epoch of ``event``."""
    return [
        epoch_point(event.wearer, event.device, posture, start, event.epoch_s)
        for start, posture in event.epochs()
    ]


@dataclass(frozen=True, slots=True)
class WriterStats:
    """Counters of a ``TimeSeriesWriter``, in points unless said otherwise.

    Attributes:
        written: accepted by the server.
        pending: waiting in memory (including a batch being retried).
        retries: failed attempts to send a batch that were retried (attempts, not points).
        rejected: refused by the server as malformed, or not serialisable; not retried.
        dropped: discarded because the buffer was full or ``close()`` ran out of time.
        last_error: the most recent failure, if any.
    """

    written: int
    pending: int
    retries: int
    rejected: int
    dropped: int
    last_error: str | None


class TimeSeriesWriter:
    """Buffers points and writes them in batches from a background thread.

    Args:
        url: server base URL, e.g. ``http://127.0.0.1:8086``.
        token: API token (VictoriaMetrics ignores it).
        org: organisation.
        bucket: bucket.
        batch_size: points per write request.
        flush_interval_s: longest a point waits before a (partial) batch is sent, s.
        max_buffer: points kept in memory while the server is away.
        retry_initial_s: first wait after a failed write, s; doubles per failure.
        retry_max_s: cap of that wait, s.
        timeout_s: HTTP timeout of one write request, s.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str = "",
        org: str = "sitless",
        bucket: str = "sitless",
        batch_size: int = 5000,
        flush_interval_s: float = 1.0,
        max_buffer: int = 1_000_000,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 30.0,
        timeout_s: float = 10.0,
    ) -> None:
        if batch_size < 1 or max_buffer < 1:
            raise ValueError("batch_size and max_buffer must be at least 1")
        if flush_interval_s <= 0 or retry_initial_s <= 0 or retry_max_s < retry_initial_s:
            raise ValueError("flush and retry intervals must be positive, the cap >= the start")
        self.url = url
        self.org = org
        self.bucket = bucket
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.max_buffer = max_buffer
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=int(timeout_s * 1000))
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)
        self._buffer: deque[Point | str] = deque()
        self._inflight: list[bytes] = []
        self._written = self._retries = self._rejected = self._dropped = 0
        self._last_error: str | None = None
        self._overflowing = False
        self._failing = False
        self._serializing = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._deadline = float("inf")
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="timeseries-writer", daemon=True)
        self._thread.start()

    def add(self, points: Point | str | Iterable[Point | str]) -> None:
        """Queue points (or line-protocol strings with second timestamps); never blocks."""
        if isinstance(points, Point | str):
            points = (points,)
        with self._lock:
            if self._closed:
                late = sum(1 for _ in points)
                self._dropped += late
                overflow_starts = False
            else:
                late = 0
                self._buffer.extend(points)
                excess = min(max(self._pending() - self.max_buffer, 0), len(self._buffer))
                for _ in range(excess):
                    self._buffer.popleft()
                self._dropped += excess
                overflow_starts = excess > 0 and not self._overflowing
                self._overflowing = self._overflowing or excess > 0
            full = len(self._buffer) >= self.batch_size
        if late:
            log.error("time-series writer is closed: dropped %d points", late)
        if overflow_starts:
            log.error(
                "time-series buffer full (%d points): dropping the oldest points until the"
                " server at %s accepts writes again",
                self.max_buffer,
                self.url,
            )
        if full:
            self._wake.set()

    def stats(self) -> WriterStats:
        """A snapshot of the counters."""
        with self._lock:
            return WriterStats(
                written=self._written,
                pending=self._pending(),
                retries=self._retries,
                rejected=self._rejected,
                dropped=self._dropped,
                last_error=self._last_error,
            )

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Send everything queued now; True if nothing is pending within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        self._wake.set()
        with self._progress:
            while self._pending():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return False
                self._progress.wait(remaining)
        return True

    def close(self, timeout_s: float = 10.0) -> None:
        """Send what can be sent within ``timeout_s``, count the rest as dropped, stop."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._deadline = time.monotonic() + timeout_s
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout_s + 1.0)
        with self._lock:
            left = self._pending()
            self._buffer.clear()
            self._inflight = []
            self._serializing = 0
            self._dropped += left
            self._progress.notify_all()
        if left:
            log.error(
                "time-series writer closed with %d unsent points (server %s: %s)",
                left,
                self.url,
                self._last_error,
            )
        self._write_api.close()
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            self._drain()
        self._drain()

    def _drain(self) -> None:
        """Send batches until the buffer is empty, retrying the oldest while it fails."""
        backoff = self.retry_initial_s
        while (batch := self._next_batch()) is not None:
            if self._send(batch):
                backoff = self.retry_initial_s
                continue
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                return
            if self._stop.is_set():
                time.sleep(min(backoff, remaining))
            else:
                self._stop.wait(backoff)
            backoff = min(backoff * 2, self.retry_max_s)

    def _next_batch(self) -> list[bytes] | None:
        """The batch to send: the one that failed last time, else the oldest points."""
        while True:
            with self._lock:
                if self._inflight:
                    return self._inflight
                if not self._buffer:
                    self._overflowing = False
                    return None
                taken = [
                    self._buffer.popleft() for _ in range(min(self.batch_size, len(self._buffer)))
                ]
                self._serializing = len(taken)
            lines = self._serialize(taken)
            with self._lock:
                self._inflight = lines
                self._serializing = 0
                self._progress.notify_all()

    def _pending(self) -> int:
        """Points not yet written or given up on; call with the lock held."""
        return len(self._buffer) + self._serializing + len(self._inflight)

    def _serialize(self, points: list[Point | str]) -> list[bytes]:
        lines: list[bytes] = []
        bad: list[str] = []
        for point in points:
            try:
                text = point if isinstance(point, str) else point.to_line_protocol(PRECISION)
                if not text:
                    raise ValueError("no fields")
                lines.append(text.encode("utf-8"))
            except (ValueError, TypeError, UnicodeError) as exc:
                bad.append(f"{point!r:.200}: {exc}")
        if bad:
            with self._lock:
                self._rejected += len(bad)
                self._last_error = f"unserialisable point {bad[0]}"
            log.error("dropped %d points that cannot be written, first: %s", len(bad), bad[0])
        return lines

    def _send(self, batch: list[bytes]) -> bool:
        """Write ``batch``; True when it is done with (written or rejected)."""
        try:
            self._write_api.write(
                bucket=self.bucket,
                org=self.org,
                record=batch,
                # WritePrecision's members are plain str class attributes.
                write_precision=cast(WritePrecision, PRECISION),
            )
        except ApiException as exc:
            reason = f"HTTP {exc.status} {exc.reason}: {_text(exc.body)}"
            if exc.status in REJECTED_STATUSES:
                log.error(
                    "time-series server rejected %d points, dropping them: %s", len(batch), reason
                )
                self._finish(batch, rejected=True, error=reason)
                return True
            self._failed(reason)
            return False
        except Exception as exc:
            # Connection refused, timeouts, resets: the server is away, the points are fine.
            self._failed(f"{type(exc).__name__}: {exc}")
            return False
        self._finish(batch, rejected=False, error=None)
        return True

    def _finish(self, batch: list[bytes], *, rejected: bool, error: str | None) -> None:
        with self._lock:
            if self._inflight is not batch:
                return  # close() gave up waiting and already counted it as dropped
            if rejected:
                self._rejected += len(batch)
                self._last_error = error
            else:
                self._written += len(batch)
            self._inflight = []
            self._progress.notify_all()
        if self._failing and not rejected:
            self._failing = False
            log.info("time-series server %s accepts writes again", self.url)

    def _failed(self, error: str) -> None:
        with self._lock:
            self._retries += 1
            self._last_error = error
            pending = self._pending()
        if not self._failing:
            self._failing = True
            log.warning(
                "cannot write to time-series server %s (%s); keeping %d points and retrying",
                self.url,
                error,
                pending,
            )


def _text(body: object) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    return str(body or "").strip()[:500]
