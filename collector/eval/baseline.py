"""ActiMotus (the Acti4 successor, ``pip install acti-motus``, BSD-3) as the peer classifier.

ActiMotus needs the sensor's axes in its own convention -- x along the thigh, reading
+1 g standing; z out of the back of the thigh, so sitting reads about -1 g on z; y the
third axis -- and it looks at the whole recording at once. To compare it at its best, it
is given the axes measured from the file's own labels (``oracle_axes``): the long axis
is the mean specific force over the labelled standing seconds (walking when there is no
standing), the front of the thigh the mean over sitting (cycling, else lying) across it.
Its own upside-down / inside-out check stays on, as a researcher would run it.

Only ``sitless eval --baseline actimotus`` and the bench import this module; ActiMotus
is an optional extra (``pip install 'sitless[baseline]'``), never a runtime dependency.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from numpy.typing import NDArray

from collector.eval.truth import SCORED, Truth
from collector.posture import Epoch
from sitless.errors import SitlessError
from sitless.wire.posture import Posture

Array = NDArray[np.float64]

NAME = "actimotus"
INSTALL_HINT = "pip install 'sitless[baseline]'  (or: pip install acti-motus)"
# ActiMotus's activity names onto ours. Kneeling counts as sedentary in ActiMotus's own
# fused classes; shuffling and squatting as standing; its three walking paces and stairs
# as walking. Rowing has no posture of ours: it is scored as unknown (an error).
ACTIVITY: dict[str, Posture] = {
    "non-wear": Posture.NONWEAR,
    "lie": Posture.LYING,
    "sit": Posture.SITTING,
    "kneel": Posture.SITTING,
    "squat": Posture.STANDING,
    "stand": Posture.STANDING,
    "shuffle": Posture.STANDING,
    "slow-walk": Posture.WALKING,
    "walk": Posture.WALKING,
    "fast-walk": Posture.WALKING,
    "stairs": Posture.WALKING,
    "run": Posture.RUNNING,
    "bicycle": Posture.CYCLING,
    "row": Posture.UNKNOWN,
}


class BaselineUnavailable(SitlessError):
    """ActiMotus is not installed."""

    reason = "baseline_missing"


def available() -> bool:
    """Whether ActiMotus can be imported."""
    try:
        import actimotus  # noqa: F401
    except ImportError:
        return False
    return True


def oracle_axes(t: Array, accel_g: Array, truth: Truth) -> Array:
    """ActiMotus's (x, y, z) axes as rows, in sensor coordinates, from the labels.

    Args:
        t: sample times, seconds.
        accel_g: all samples, shape (n, 3).
        truth: the recording's epoch labels.
    """
    epoch = np.clip(np.floor(t).astype(np.int64) - truth.first, 0, len(truth) - 1)
    sample_labels = truth.labels[epoch]

    def mean_of(*postures: Posture) -> Array | None:
        for p in postures:
            rows = accel_g[sample_labels == SCORED.index(p)]
            if rows.shape[0] >= 1:
                m: Array = rows.mean(axis=0)
                norm = float(np.linalg.norm(m))
                if norm > 0:
                    return m / norm
        return None

    up = mean_of(Posture.STANDING, Posture.WALKING, Posture.RUNNING)
    if up is None:
        up = np.array([1.0, 0.0, 0.0])
    front = mean_of(Posture.SITTING, Posture.CYCLING, Posture.LYING)
    if front is None or abs(float(front @ up)) > 0.98:
        # No sedentary reference: any direction across the long axis; ActiMotus's own
        # inside-out check then picks the sign.
        front = np.eye(3)[int(np.argmin(np.abs(up)))]
    front = front - (front @ up) * up
    front /= np.linalg.norm(front)
    return np.vstack([up, np.cross(up, front), -front])


def classify(t: Array, accel_g: Array, rate_hz: float, axes: Array) -> list[Epoch]:
    """Run ActiMotus's feature extraction and thigh activities over a whole recording.

    Args:
        t: sample times, seconds.
        accel_g: samples in sensor axes, g.
        rate_hz: the nominal rate.
        axes: rows are ActiMotus's x, y, z in sensor coordinates (``oracle_axes``).

    Raises:
        BaselineUnavailable: ActiMotus is not installed.
    """
    try:
        import pandas as pd
        from actimotus import Activities, Features
    except ImportError as exc:
        raise BaselineUnavailable(f"ActiMotus is not installed ({exc}): {INSTALL_HINT}") from None
    # ActiMotus logs a warning for every file it cannot auto-calibrate or orient; the
    # report states how it was run, so keep those out of the table output.
    logging.getLogger("actimotus").setLevel(logging.ERROR)
    origin = pd.Timestamp("2000-01-01")
    index = origin + pd.to_timedelta(np.asarray(t, dtype=np.float64), unit="s")
    frame = pd.DataFrame(accel_g @ axes.T, index=pd.DatetimeIndex(index), columns=["x", "y", "z"])
    with warnings.catch_warnings():
        # pandas deprecation warnings raised inside ActiMotus are its maintainers' to act
        # on; they would otherwise fail runs that treat warnings as errors.
        warnings.simplefilter("ignore")
        features = Features().compute(frame, sampling_frequency=rate_hz)
        activities, _ = Activities(orientation=True).compute(features)
    seconds = (activities.index - origin).total_seconds().to_numpy()
    names = activities["activity"].astype(str).to_numpy()
    return [
        Epoch(float(s), float(s) + 1.0, ACTIVITY.get(name, Posture.UNKNOWN))
        for s, name in zip(seconds, names, strict=True)
    ]
