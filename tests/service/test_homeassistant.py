"""Home Assistant discovery payloads against Home Assistant's documented MQTT schema.

The rules below are those of Home Assistant's MQTT discovery and MQTT sensor pages
(home-assistant.io/integrations/mqtt/ and /integrations/sensor.mqtt/): the topic format,
the sensor's required ``state_topic``, the keys a sensor and a device may carry, that a
device needs ``identifiers`` or ``connections``, that an ``enum`` sensor lists its
``options`` and has no unit, that a ``duration`` has a time unit and a ``timestamp``
none, and the allowed state classes. Value templates are Jinja2, as in Home Assistant.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import pytest

from service.context.cache import Contexts
from service.homeassistant import discovery, node_id, state_message
from sitless.wire import Posture, PostureEvent, decode, encode, topic
from sitless.wire.topics import Kind

TOPIC = re.compile(
    r"^(?P<prefix>[^/#+]+)/(?P<component>[a-z_]+)/(?:(?P<node>[a-zA-Z0-9_-]+)/)?"
    r"(?P<object>[a-zA-Z0-9_-]+)/config$"
)
SENSOR_KEYS = {
    "availability", "availability_mode", "availability_template", "availability_topic",
    "default_entity_id", "device", "device_class", "enabled_by_default", "encoding",
    "entity_category", "entity_picture", "expire_after", "force_update", "icon",
    "json_attributes_template", "json_attributes_topic", "last_reset_value_template", "name",
    "object_id", "options", "origin", "payload_available", "payload_not_available",
    "platform", "qos", "state_class", "state_topic", "suggested_display_precision",
    "unique_id", "unit_of_measurement", "value_template",
}  # fmt: skip
REQUIRED_SENSOR_KEYS = {"state_topic"}
DEVICE_KEYS = {
    "configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model",
    "model_id", "name", "serial_number", "suggested_area", "sw_version", "via_device",
}  # fmt: skip
ORIGIN_KEYS = {"name", "sw_version", "support_url"}
STATE_CLASSES = {"measurement", "measurement_angle", "total", "total_increasing"}
DURATION_UNITS = {"d", "h", "min", "s", "ms"}


def check_sensor(name: str, config: dict[str, Any], prefix: str = "homeassistant") -> None:
    """Raise AssertionError naming what breaks Home Assistant's documented schema."""
    match = TOPIC.match(name)
    assert match, f"{name} is not <prefix>/<component>/[<node_id>/]<object_id>/config"
    assert match["prefix"] == prefix and match["component"] == "sensor"
    assert config.keys() >= REQUIRED_SENSOR_KEYS, f"{name}: missing {REQUIRED_SENSOR_KEYS}"
    assert config.keys() <= SENSOR_KEYS, f"{name}: unknown keys {config.keys() - SENSOR_KEYS}"
    assert "#" not in config["state_topic"] and "+" not in config["state_topic"]
    device = config["device"]
    assert device.keys() <= DEVICE_KEYS
    assert device.get("identifiers") or device.get("connections"), "device needs identifiers"
    assert isinstance(device["identifiers"], list | str)
    assert config["origin"].keys() <= ORIGIN_KEYS and config["origin"]["name"]
    kind = config.get("device_class")
    if kind == "enum":
        assert config["options"] and all(isinstance(o, str) for o in config["options"])
        assert "unit_of_measurement" not in config and "state_class" not in config
    else:
        assert "options" not in config
    if kind == "duration":
        assert config["unit_of_measurement"] in DURATION_UNITS
    if kind == "timestamp":
        assert "unit_of_measurement" not in config and "state_class" not in config
    if "state_class" in config:
        assert config["state_class"] in STATE_CLASSES
    jinja2.Environment().parse(config["value_template"])  # valid Jinja2
    json.dumps(config)


def render(config: dict[str, Any], payload: bytes) -> str:
    """What Home Assistant would show: the value template over the state JSON."""
    template = jinja2.Environment().from_string(config["value_template"])
    return template.render(value_json=json.loads(payload))


@pytest.mark.parametrize("wearer", ["ann", "ann.b:1", "A-1_x"])
def test_every_discovery_payload_follows_home_assistants_schema(wearer: str) -> None:
    configs = discovery(wearer)
    assert {name.rsplit("/", 2)[1] for name, _ in configs} == {
        "posture", "bout_minutes", "sitting_today", "last_prompt", "last_prompt_at",
        "last_outcome",
    }  # fmt: skip
    for name, config in configs:
        check_sensor(name, config)
        assert config["state_topic"] == topic(wearer, Kind.STATE)
    assert len({c["unique_id"] for _, c in configs}) == len(configs)
    assert len({json.dumps(c["device"]) for _, c in configs}) == 1, "one device per wearer"
    assert node_id(wearer) in configs[0][0]


def test_templates_render_the_wearers_state_as_home_assistant_would() -> None:
    t0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
    contexts = Contexts(ZoneInfo("UTC"), keep_totals=True)
    event = PostureEvent(
        wearer="ann",
        device="thigh",
        seq=1,
        start=t0 + timedelta(minutes=47),
        postures=(Posture.SITTING,) * 60,
        since=t0,
    )
    state = contexts.seen(event, event.end)
    state.context.totals.seconds[Posture.SITTING] = 95 * 60  # type: ignore[union-attr]
    message = state_message("ann", state)
    assert message is not None
    payload = encode(message)
    assert decode(topic("ann", Kind.STATE), payload) == message
    shown = {name.rsplit("/", 2)[1]: render(config, payload) for name, config in discovery("ann")}
    assert shown["posture"] == "sitting"
    assert shown["bout_minutes"] == "48.0"
    assert shown["sitting_today"] == "95.0"
    assert shown["last_prompt"] == "None" and shown["last_outcome"] == "None"
    for name, config in discovery("ann"):
        if config.get("device_class") == "enum" and shown[name.rsplit("/", 2)[1]] != "None":
            assert shown[name.rsplit("/", 2)[1]] in config["options"]

    contexts.note_outcome("ann", "x", "done")  # not the last prompt: ignored
    from service.rules import Sent

    contexts.note_sent("ann", Sent("long-sitting", t0, 0, event.end), "Time to stand up", "p1")
    contexts.note_outcome("ann", "p1", "movement")
    payload = encode(state_message("ann", state))  # type: ignore[arg-type]
    shown = {name.rsplit("/", 2)[1]: render(config, payload) for name, config in discovery("ann")}
    assert (shown["last_prompt"], shown["last_outcome"]) == ("Time to stand up", "movement")
    assert datetime.fromisoformat(shown["last_prompt_at"].replace("Z", "+00:00")) == event.end
