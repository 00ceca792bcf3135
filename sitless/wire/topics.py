"""MQTT topics of the wire contract, built and parsed here and nowhere else.

``sitless/v1/<wearer>/<kind>`` with kind one of posture, status, prompt, ack, raw, focus,
state;
rejected input goes to ``sitless/v1/_dead``.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import NamedTuple

from sitless.errors import WireError
from sitless.wire.ids import check_id

ROOT = "sitless/v1"
DEAD = f"{ROOT}/_dead"


class Kind(StrEnum):
    """The per-wearer topic kinds."""

    POSTURE = "posture"
    STATUS = "status"
    PROMPT = "prompt"
    ACK = "ack"
    RAW = "raw"
    FOCUS = "focus"
    STATE = "state"


class Topic(NamedTuple):
    """A parsed per-wearer topic."""

    wearer: str
    kind: Kind


def topic(wearer: str, kind: Kind) -> str:
    """The topic for one wearer and kind; refuses ids that would break the tree."""
    return f"{ROOT}/{check_id(wearer, 'wearer')}/{Kind(kind)}"


def subscription(kind: Kind, *, share_group: str | None = None) -> str:
    """The filter matching ``kind`` for all wearers, optionally as an MQTT v5 shared one."""
    flt = f"{ROOT}/+/{Kind(kind)}"
    if share_group:
        check_id(share_group, "share group")
        return f"$share/{share_group}/{flt}"
    return flt


@functools.lru_cache(maxsize=65536)
def parse(name: str) -> Topic:
    """Split a per-wearer topic; raises ``WireError(reason='bad_topic')``.

    Cached: a service sees the same few topics per wearer over and over.
    """
    parts = name.split("/")
    if len(parts) != 4 or "/".join(parts[:2]) != ROOT:
        raise WireError(f"topic {name!r} is not sitless/v1/<wearer>/<kind>", reason="bad_topic")
    try:
        return Topic(check_id(parts[2], "wearer"), Kind(parts[3]))
    except ValueError:
        raise WireError(
            f"topic {name!r} has unknown kind {parts[3]!r}", reason="bad_topic"
        ) from None
