"""Where samples come from: one ``Source`` interface and its implementations.

In: a scripted timeline (``Simulator``) or a recording on disk (``Replay``); Bluetooth
sensors arrive through ``collector.link`` as the same ``Samples``. Out: ``Samples``
chunks -- timestamps in seconds on the source's own time scale and specific force in
g, +1 g on the axis pointing up at rest.

Upstream: the sensor, a file or a script. Downstream: ``collector.posture`` (the
classifier) and the collector app, which paces replayed data by ``t``.
"""

from collector.sources.base import Samples, Source
from collector.sources.replay import Replay
from collector.sources.simulator import Segment, Simulator, office_day, write_recording

__all__ = [
    "Replay",
    "Samples",
    "Segment",
    "Simulator",
    "Source",
    "office_day",
    "write_recording",
]
