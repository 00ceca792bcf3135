"""Replaying recordings: streaming, rate inference, and errors that say file and line."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from collector.sources import Replay
from sitless.errors import FrameError

HEADER = "t,ax,ay,az,label,source_label\n"


def _rows(n: int, rate: float = 25.0, start: float = 0.0) -> str:
    return "".join(
        f"{start + i / rate:.3f},-0.99,0.01,-0.05,standing,a02:standing\n" for i in range(n)
    )


def _write(path: Path, text: str | bytes) -> Path:
    data = text.encode() if isinstance(text, str) else text
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def _read_all(replay: Replay, chunk_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    chunks = list(replay.chunks(chunk_s))
    return np.concatenate([c.t for c in chunks]), np.concatenate([c.accel_g for c in chunks])


@pytest.mark.parametrize("name", ["r.csv", "r.csv.gz"])
def test_replay_streams_every_sample_in_order(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, HEADER + _rows(1000))
    replay = Replay(path)
    t, accel = _read_all(replay, chunk_s=3.0)
    assert replay.rate_hz == 25.0
    assert replay.name == name
    assert np.allclose(t, np.arange(1000) / 25)
    assert np.allclose(accel, [-0.99, 0.01, -0.05])


def test_replay_cuts_chunks_of_the_requested_duration(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", HEADER + _rows(500, rate=50))
    sizes = [len(c) for c in Replay(path).chunks(2.0)]
    assert sizes == [100] * 5


def test_replay_recognises_gzip_by_content_not_by_name(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.csv"
    path.write_bytes(gzip.compress((HEADER + _rows(50)).encode()))
    assert len(_read_all(Replay(path))[0]) == 50


def test_replay_finds_columns_by_name_in_any_order_and_ignores_others(tmp_path: Path) -> None:
    text = "note,AZ,t,ay,ax\n" + "".join(f"x,{i},{i / 10},2,1\n" for i in range(20))
    t, accel = _read_all(Replay(_write(tmp_path / "r.csv", text)))
    assert np.allclose(t, np.arange(20) / 10)
    assert np.allclose(accel[:, 0], 1) and np.allclose(accel[:, 1], 2)
    assert np.allclose(accel[:, 2], np.arange(20))


def test_replay_infers_the_rate_from_t_despite_jitter(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(600) / 50 + rng.uniform(-0.002, 0.002, 600)
    text = "t,ax,ay,az\n" + "".join(f"{x:.4f},0,0,1\n" for x in t)
    assert Replay(_write(tmp_path / "r.csv", text)).rate_hz == pytest.approx(50, rel=0.01)


def test_an_explicit_rate_overrides_inference(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", HEADER + _rows(10))
    assert Replay(path, rate_hz=24.0).rate_hz == 24.0


def test_replay_reports_progress_through_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", HEADER + _rows(5000))
    replay = Replay(path)
    seen = [replay.bytes_read for _ in replay.chunks(10.0)]
    assert seen[0] > 0 and seen == sorted(seen)
    assert seen[-1] <= replay.bytes_total


GOOD = "t,ax,ay,az\n0.00,0,0,1\n0.04,0,0,1\n0.08,0,0,1\n"


@pytest.mark.parametrize(
    ("name", "content", "line", "reason", "words"),
    [
        ("empty.csv", "", 1, "empty", "empty file"),
        ("header_only.csv", "t,ax,ay,az\n", 2, "empty", "no samples"),
        ("no_az.csv", "t,ax,ay\n0,0,0\n", 1, "missing_column", "az"),
        ("text.csv", "t,ax,ay,az\n0,0,0,1\n0.04,0,zero,1\n", 3, "not_numeric", "'zero'"),
        ("blank.csv", "t,ax,ay,az\n0,0,0,1\n0.04,0,,1\n", 3, "not_numeric", "ay"),
        ("nan.csv", "t,ax,ay,az\n0,0,0,1\n0.04,nan,0,1\n", 3, "not_numeric", "ax"),
        ("back.csv", GOOD + "0.04,0,0,1\n", 5, "time_not_increasing", "does not increase"),
        ("short_row.csv", GOOD + "0.12,0,0\n", 5, "field_count", "expected 4 fields, got 3"),
        ("long_row.csv", GOOD + "0.12,0,0,1,9\n", 5, "field_count", "got 5"),
        ("empty_line.csv", GOOD + "\n0.12,0,0,1\n", 5, "field_count", "got 0"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", 1, "not_csv", "not a CSV"),
        ("nul.csv", b"t,ax,ay,az\n0,0\x00,0,1\n", 2, "not_numeric", "ax"),
    ],
)
def test_bad_files_raise_frame_error_naming_file_and_line(
    tmp_path: Path, name: str, content: str | bytes, line: int, reason: str, words: str
) -> None:
    path = _write(tmp_path / name, content)
    with pytest.raises(FrameError) as err:
        _read_all(Replay(path))
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message
    assert err.value.reason == reason


def test_a_bad_row_deep_in_a_file_is_found_while_streaming(tmp_path: Path) -> None:
    lines = (HEADER + _rows(5000)).splitlines(keepends=True)
    lines[4321] = "172.800,-0.99,oops,-0.05,standing,a02:standing\n"
    path = _write(tmp_path / "deep.csv.gz", "".join(lines))
    replay = Replay(path)
    with pytest.raises(FrameError, match=rf"^{path}:4322: ay is not a finite number: 'oops'"):
        _read_all(replay, chunk_s=10.0)


def test_a_truncated_gzip_names_file_and_line(tmp_path: Path) -> None:
    data = gzip.compress((HEADER + _rows(20000)).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FrameError, match=rf"^{path}:\d+: corrupt or truncated gzip") as err:
        _read_all(Replay(path), chunk_s=10.0)
    assert err.value.reason == "not_csv"


def test_a_gzip_that_is_not_gzip_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.csv.gz"
    path.write_bytes(b"\x1f\x8bthis is not deflate data at all")
    with pytest.raises(FrameError, match=rf"^{path}:1: corrupt or truncated gzip"):
        Replay(path)


def test_a_missing_file_is_a_frame_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(FrameError, match=rf"^{path}: cannot open") as err:
        Replay(path)
    assert err.value.reason == "unreadable"


def test_a_single_sample_is_not_enough_to_infer_the_rate(tmp_path: Path) -> None:
    path = _write(tmp_path / "one.csv", "t,ax,ay,az\n0,0,0,1\n")
    with pytest.raises(FrameError, match="two samples"):
        Replay(path)
