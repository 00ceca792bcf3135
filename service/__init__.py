"""The sitless service: turns posture events into bouts, day totals and move prompts.

In: ``PostureEvent`` messages from the collector on ``sitless/v1/<wearer>/posture``
(MQTT, QoS 1, possibly re-delivered, possibly spread over several instances on a shared
subscription), acks on ``.../ack``, the user's rule files in ``rules/``.

Out: ``Prompt`` messages on ``.../prompt`` and through the notifiers, bouts, prompts and
acks in the SQL store, posture time series, and the JSON API and dashboard.

Upstream: the collector (``collector/``), through the wire contract in ``sitless.wire``.
Downstream: the wearer's side (wearable, phone, push services) and the dashboard.

The flow, one module per stage: ``ingest`` (validate, dead-letter) → ``bouts`` (closed
and current bouts, day summaries) → ``rules`` (schema, load, engine: which prompts are
due) → ``notify`` → ``store``; ``api`` and ``web`` read from the store. ``bouts`` and
``rules`` are pure and synchronous and take time as an argument.
"""
