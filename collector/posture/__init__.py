"""Posture from a thigh accelerometer, epoch by epoch, causally.

In: ``(t, accel_g)`` sample chunks from a ``collector.sources`` source. Out: ``Epoch``
records ``(t_start, t_end, posture)`` on the source's time scale, each decided at most
``LOOKAHEAD_S`` (2 s) of data after it ends, with ``posture`` a ``sitless.wire.Posture``.

Upstream: the collector app reading a source. Downstream: the publisher, which batches
epochs into ``PostureEvent`` messages, and ``sitless classify`` for files.

Stages, one module each, in flow order: ``epochs`` (1-s epochs summarised once,
identical whatever the chunking) -> ``features`` (a 4-s window per epoch) ->
``calibrate`` (the thigh's axes in sensor coordinates, from gait, standing and sitting;
``clusters`` guesses them from still postures before the first walk) -> ``classify``
(the rules) -> ``smooth`` (one-epoch blips, ride pauses) -> ``nonwear`` (long
stillness); ``pipeline`` joins them as ``PostureClassifier``. ``vectors`` holds the
three-vector arithmetic the per-epoch stages share.
"""

from collector.posture.calibrate import Calibration
from collector.posture.epochs import Epoch
from collector.posture.pipeline import FILE_CHUNK_S, LOOKAHEAD_S, PostureClassifier

__all__ = ["FILE_CHUNK_S", "LOOKAHEAD_S", "Calibration", "Epoch", "PostureClassifier"]
