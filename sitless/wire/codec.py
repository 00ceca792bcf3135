"""Bytes on the wire <-> message models, with typed errors.

``decode`` never raises anything but ``WireError``; its ``reason`` feeds the dead-letter
topic and the rejection counters.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from sitless.errors import WireError
from sitless.wire.messages import Ack, Focus, Message, PostureEvent, Prompt, Status, WearerState
from sitless.wire.topics import Kind, Topic, parse

MODELS: dict[
    Kind,
    type[PostureEvent] | type[Status] | type[Prompt] | type[Ack] | type[Focus] | type[WearerState],
] = {
    Kind.POSTURE: PostureEvent,
    Kind.STATUS: Status,
    Kind.PROMPT: Prompt,
    Kind.ACK: Ack,
    Kind.FOCUS: Focus,
    Kind.STATE: WearerState,
}
MAX_PAYLOAD = 256 * 1024


def encode(message: Message) -> bytes:
    """Serialise a message as compact JSON."""
    return message.model_dump_json(exclude_none=True).encode()


def decode(topic: str | Topic, payload: bytes) -> Message:
    """Validate ``payload`` received on ``topic`` and return its model.

    Raises:
        WireError: with reason ``bad_topic``, ``too_large``, ``not_json``,
            ``bad_version``, ``invalid`` or ``wrong_wearer``.
    """
    where = parse(topic) if isinstance(topic, str) else topic
    model = MODELS.get(where.kind)
    if model is None:
        raise WireError(f"no message is defined for {where.kind} topics", reason="bad_topic")
    if len(payload) > MAX_PAYLOAD:
        raise WireError(
            f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}", reason="too_large"
        )
    try:
        message = model.model_validate_json(payload)
    except ValidationError as exc:
        raise _explain(exc, payload) from None
    if message.wearer != where.wearer:
        raise WireError(
            f"payload wearer {message.wearer!r} does not match topic wearer {where.wearer!r}",
            reason="wrong_wearer",
            value=message.wearer,
        )
    return message


def _explain(exc: ValidationError, payload: bytes) -> WireError:
    errors = exc.errors(include_url=False)
    if any(e["type"] in ("json_invalid", "json_type") for e in errors):
        return WireError("payload is not a JSON object", reason="not_json")
    if any(e["loc"][:1] == ("v",) for e in errors):
        version = _peek(payload, "v")
        return WireError(
            f"unsupported schema version {version!r} (expected 1)", reason="bad_version"
        )
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or "(message)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return WireError(f"field {field}: {first['msg']}{more}", reason="invalid")


def _peek(payload: bytes, key: str) -> Any:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    return data.get(key) if isinstance(data, dict) else None
