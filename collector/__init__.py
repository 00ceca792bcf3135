"""The wearer-side half of sitless: from a sensor's samples to posture epochs.

In: accelerometer samples in g with timestamps on the sensor's own time scale, from a
``collector.sources`` source (the simulator, a replayed recording, later Bluetooth
drivers). Out: one posture per 1-s epoch from ``collector.posture``, which the publisher
turns into ``sitless.wire.PostureEvent`` messages.

Upstream: the sensor (or a file). Downstream: the MQTT publisher and, through the broker,
the service. The packages are stages in flow order: ``sources`` -> ``posture`` ->
``publish``.
"""
