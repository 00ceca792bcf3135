"""Storage: what the service must remember, and the posture time series.

In: from ``service.ingest``, bouts (closed and current), prompts as they are made, acks,
device status and data gaps; posture epochs as time-series points.
Out: to ``service.api`` and ``service.web``, bouts, prompts and their outcomes per wearer
and time range; to ingest after a restart, the prompts still open.

``sql`` holds the facts in SQLite or PostgreSQL and makes prompting idempotent (one
prompt per wearer, rule, bout start and repeat, whichever instance asks first).
``timeseries`` batches points to InfluxDB 2.x (or VictoriaMetrics) from a background
thread and keeps them while the server is away. Both raise or count, never lose silently.
"""

from service.store.sql import Outcome, SqlStore, StoredBout, StoredPrompt
from service.store.timeseries import TimeSeriesWriter, WriterStats, posture_points

__all__ = [
    "Outcome",
    "SqlStore",
    "StoredBout",
    "StoredPrompt",
    "TimeSeriesWriter",
    "WriterStats",
    "posture_points",
]
