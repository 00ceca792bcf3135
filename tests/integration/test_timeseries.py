"""The time-series writer against a real VictoriaMetrics, through influxdb-client's v2 write.

VictoriaMetrics names the series ``posture_duration_s`` (measurement, ``_``, field) and
turns the tags into labels; ``/api/v1/export`` returns every raw sample with its
millisecond timestamp, after ``/internal/force_flush`` makes recent writes visible.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from influxdb_client.client.write.point import Point

from service.store.timeseries import TimeSeriesWriter, epoch_point, posture_points
from sitless.wire.messages import PostureEvent
from sitless.wire.posture import Posture
from tests.servers import VictoriaMetrics, free_port

pytestmark = pytest.mark.integration

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
SERIES = "posture_duration_s"


def new_wearer() -> str:
    """A wearer id no other test uses, so tests can share one server."""
    return f"w-{uuid.uuid4().hex[:10]}"


def export(vm: VictoriaMetrics, wearer: str) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """Samples of ``wearer`` by (device, posture): sorted (timestamp ms, value) pairs."""
    vm.force_flush()
    query = urllib.parse.urlencode({"match[]": f'{SERIES}{{wearer="{wearer}"}}'})
    with urllib.request.urlopen(f"{vm.url}/api/v1/export?{query}", timeout=10) as response:
        lines = response.read().decode().splitlines()
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for line in lines:
        item = json.loads(line)
        labels = item["metric"]
        assert labels["__name__"] == SERIES
        key = (labels["device"], labels["posture"])
        series.setdefault(key, []).extend(zip(item["timestamps"], item["values"], strict=True))
    return {key: sorted(samples) for key, samples in series.items()}


def ms(at: datetime) -> int:
    return int(at.timestamp()) * 1000


def writer_for(vm_url: str, **options: float) -> TimeSeriesWriter:
    settings = {"flush_interval_s": 0.05, "retry_initial_s": 0.05, "retry_max_s": 0.2} | options
    return TimeSeriesWriter(vm_url, org="sitless", bucket="sitless", **settings)  # type: ignore[arg-type]


def sitting_points(wearer: str, first: int, count: int) -> list[Point]:
    return [
        epoch_point(wearer, "thigh-1", Posture.SITTING, T0 + timedelta(seconds=i), 1.0)
        for i in range(first, first + count)
    ]


def test_posture_epochs_land_with_their_tags_durations_and_start_times(
    victoria: VictoriaMetrics,
) -> None:
    wearer = new_wearer()
    event = PostureEvent(
        wearer=wearer,
        device="thigh-1",
        seq=1,
        start=T0,
        epoch_s=2.0,
        postures=(Posture.SITTING, Posture.SITTING, Posture.STANDING, Posture.WALKING),
        since=T0 + timedelta(seconds=6),
    )
    with writer_for(victoria.url) as writer:
        writer.add(posture_points(event))
        assert writer.flush()
    assert export(victoria, wearer) == {
        ("thigh-1", "sitting"): [(ms(T0), 2.0), (ms(T0 + timedelta(seconds=2)), 2.0)],
        ("thigh-1", "standing"): [(ms(T0 + timedelta(seconds=4)), 2.0)],
        ("thigh-1", "walking"): [(ms(T0 + timedelta(seconds=6)), 2.0)],
    }
    stats = writer.stats()
    assert (stats.written, stats.pending, stats.retries, stats.rejected, stats.dropped) == (
        4,
        0,
        0,
        0,
        0,
    )


def test_close_sends_what_is_still_buffered(victoria: VictoriaMetrics) -> None:
    wearer = new_wearer()
    writer = writer_for(victoria.url, flush_interval_s=60.0)
    writer.add(sitting_points(wearer, 0, 30))
    writer.close()
    assert len(export(victoria, wearer)[("thigh-1", "sitting")]) == 30
    assert writer.stats().written == 30


def test_points_added_while_the_server_is_down_arrive_in_full_after_it_returns(
    own_victoria: VictoriaMetrics,
) -> None:
    wearer = new_wearer()
    with writer_for(own_victoria.url, batch_size=50) as writer:
        writer.add(sitting_points(wearer, 0, 100))
        assert writer.flush()
        own_victoria.stop()
        for chunk in range(30):
            writer.add(sitting_points(wearer, 100 + 10 * chunk, 10))
            time.sleep(0.02)
        deadline = time.monotonic() + 10
        while writer.stats().retries < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        away = writer.stats()
        assert away.retries >= 3
        assert away.pending == 300
        assert away.last_error is not None
        own_victoria.start()
        assert writer.flush(timeout_s=30)
    samples = export(own_victoria, wearer)[("thigh-1", "sitting")]
    assert {t for t, _ in samples} == {ms(T0) + 1000 * i for i in range(400)}
    assert {v for _, v in samples} == {1.0}
    stats = writer.stats()
    assert (stats.written, stats.pending, stats.rejected, stats.dropped) == (400, 0, 0, 0)


def test_a_rejected_batch_is_counted_and_dropped_while_good_points_still_land(
    victoria: VictoriaMetrics,
) -> None:
    wearer = new_wearer()
    # VictoriaMetrics refuses a request with a line over 256 KiB with HTTP 400.
    too_long = epoch_point(wearer, "x" * 300_000, Posture.SITTING, T0, 1.0)
    with writer_for(victoria.url) as writer:
        writer.add(sitting_points(wearer, 0, 10))
        assert writer.flush()
        writer.add(too_long)
        assert writer.flush()
        writer.add(sitting_points(wearer, 10, 10))
        assert writer.flush()
        stats = writer.stats()
    assert (stats.written, stats.rejected, stats.retries, stats.dropped) == (20, 1, 0, 0)
    assert stats.last_error is not None and "400" in stats.last_error
    assert "too long" in stats.last_error
    assert len(export(victoria, wearer)[("thigh-1", "sitting")]) == 20


def test_a_point_that_cannot_be_serialised_is_rejected_alone(victoria: VictoriaMetrics) -> None:
    wearer = new_wearer()
    no_fields = Point("posture").tag("wearer", wearer).time(T0)
    with writer_for(victoria.url) as writer:
        writer.add([*sitting_points(wearer, 0, 5), no_fields, *sitting_points(wearer, 5, 5)])
        assert writer.flush()
        stats = writer.stats()
    assert (stats.written, stats.rejected) == (10, 1)
    assert len(export(victoria, wearer)[("thigh-1", "sitting")]) == 10


def test_a_full_buffer_drops_the_oldest_points_and_counts_them() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    writer = writer_for(nobody, max_buffer=10)
    writer.add(sitting_points("ana", 0, 25))
    stats = writer.stats()
    assert (stats.pending, stats.dropped) == (10, 15)
    writer.close(timeout_s=0.2)
    stats = writer.stats()
    assert (stats.written, stats.pending, stats.dropped) == (0, 0, 25)
    assert stats.last_error is not None
