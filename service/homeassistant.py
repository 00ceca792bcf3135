"""Home Assistant MQTT discovery: each wearer appears as a device, no YAML needed.

For every wearer the service has seen, it publishes (retained) one discovery config per
sensor under ``<prefix>/sensor/sitless_<wearer>/<key>/config`` and the wearer's state as
a ``WearerState`` message on ``sitless/v1/<wearer>/state`` (retained), which every
sensor reads with a ``value_template``. Sensors: current posture, current bout minutes,
sitting today, last prompt, when it was given, and its outcome. The state is published
when the posture or a prompt changes, and otherwise every ``interval_s`` of data time.

Discovery follows Home Assistant's documented MQTT discovery format
(https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery): a sensor needs
``state_topic``; a device needs ``identifiers``; ``unique_id`` lets the user rename it.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any

from service.context.cache import WearerState
from service.metrics import Metrics
from sitless import __version__
from sitless.mqtt import MqttClient
from sitless.wire import Kind, Posture, encode, topic
from sitless.wire import WearerState as StateMessage

log = logging.getLogger(__name__)

OUTCOMES = ("movement", "done", "snooze", "dismiss", "cant_stand", "ignored", "open")
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def node_id(wearer: str) -> str:
    """The wearer's id as Home Assistant allows it in a discovery topic."""
    return "sitless_" + _SAFE.sub("_", wearer)


def _value(key: str) -> str:
    # HA's MQTT sensor reads the rendered text "None" as "no value".
    return f"{{{{ value_json.{key} if value_json.{key} is defined else 'None' }}}}"


def discovery(wearer: str, prefix: str = "homeassistant") -> list[tuple[str, dict[str, Any]]]:
    """The discovery (topic, config) pairs of one wearer's sensors."""
    node = node_id(wearer)
    state_topic = topic(wearer, Kind.STATE)
    device = {
        "identifiers": [node],
        "name": f"sitless {wearer}",
        "manufacturer": "sitless",
        "model": "posture companion",
        "sw_version": __version__,
    }
    origin = {"name": "sitless", "sw_version": __version__}
    sensors: list[tuple[str, dict[str, Any]]] = [
        (
            "posture",
            {
                "name": "Posture",
                "device_class": "enum",
                "options": [p.value for p in Posture],
                "value_template": "{{ value_json.posture }}",
                "icon": "mdi:human-handsdown",
            },
        ),
        (
            "bout_minutes",
            {
                "name": "Current bout",
                "device_class": "duration",
                "unit_of_measurement": "min",
                "state_class": "measurement",
                "suggested_display_precision": 0,
                "value_template": "{{ value_json.bout_min }}",
                "icon": "mdi:timer-outline",
            },
        ),
        (
            "sitting_today",
            {
                "name": "Sitting today",
                "device_class": "duration",
                "unit_of_measurement": "min",
                "state_class": "total_increasing",
                "suggested_display_precision": 0,
                "value_template": _value("sitting_today_min"),
                "icon": "mdi:seat-recline-normal",
            },
        ),
        (
            "last_prompt",
            {
                "name": "Last prompt",
                "value_template": _value("last_prompt"),
                "icon": "mdi:bell-ring-outline",
            },
        ),
        (
            "last_prompt_at",
            {
                "name": "Last prompt at",
                "device_class": "timestamp",
                "value_template": _value("last_prompt_at"),
            },
        ),
        (
            "last_outcome",
            {
                "name": "Last prompt outcome",
                "device_class": "enum",
                "options": list(OUTCOMES),
                "value_template": _value("last_outcome"),
                "icon": "mdi:check-circle-outline",
            },
        ),
    ]
    out = []
    for key, config in sensors:
        config = {
            **config,
            "unique_id": f"{node}_{key}",
            "state_topic": state_topic,
            "device": device,
            "origin": origin,
        }
        out.append((f"{prefix}/sensor/{node}/{key}/config", config))
    return out


def state_message(wearer: str, state: WearerState) -> StateMessage | None:
    """The retained state of one wearer; None until a posture has been seen."""
    if state.posture is None or state.since is None or state.at is None:
        return None
    totals = state.context.totals
    sitting = None
    if totals is not None and totals.start <= state.at <= totals.end:
        sitting = round(totals.minutes((Posture.SITTING,)), 1)
    return StateMessage(
        wearer=wearer,
        device="service",
        posture=state.posture,
        bout_min=round((state.at - state.since).total_seconds() / 60, 1),
        sitting_today_min=sitting,
        last_prompt=state.last_prompt,
        last_prompt_at=state.last_prompt_at,
        last_outcome=state.last_outcome,
        at=state.at,
    )


class HomeAssistant:
    """Publishes discovery once per wearer and state as it changes."""

    def __init__(
        self,
        mqtt: MqttClient,
        metrics: Metrics,
        *,
        prefix: str = "homeassistant",
        interval_s: float = 60.0,
    ) -> None:
        self.mqtt = mqtt
        self.metrics = metrics
        self.prefix = prefix
        self.interval_s = interval_s
        self._announced: set[str] = set()
        self._published: dict[str, datetime] = {}
        metrics.describe("homeassistant", "Home Assistant publishes, per kind", "kind")

    def update(self, wearer: str, state: WearerState) -> None:
        """Publish what changed for ``wearer`` (called per posture event; cheap otherwise)."""
        if state.at is None:
            return
        last = self._published.get(wearer)
        if (
            not state.changed
            and last is not None
            and (state.at - last).total_seconds() < self.interval_s
        ):
            return
        if wearer not in self._announced:
            self._announced.add(wearer)
            for name, config in discovery(wearer, self.prefix):
                self._publish(name, json.dumps(config).encode(), "discovery")
        message = state_message(wearer, state)
        if message is None:
            return
        self._publish(topic(wearer, Kind.STATE), encode(message), "state")
        self._published[wearer] = state.at
        state.changed = False

    def _publish(self, name: str, payload: bytes, kind: str) -> None:
        future = self.mqtt.publish(name, payload, qos=1, retain=True)
        self.metrics.inc("homeassistant", kind)
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
