"""Fixtures for the collector tests (signals themselves live in ``signals.py``)."""

from __future__ import annotations

import pytest

from collector.posture.calibrate import Calibration


@pytest.fixture
def body_calibration() -> Calibration:
    """The calibration of a sensor mounted with its axes on the body axes."""
    return Calibration(up=(1.0, 0.0, 0.0), forward=(0.0, 1.0, 0.0))
