"""The wire contract both sides speak: posture names, ids, topics, messages, codec.

In: nothing (it is the bottom of the stack). Out: value types used by the collector
(producer) and the service (consumer). Change ``VERSION`` when a message changes shape.
"""

from sitless.wire.codec import decode, encode
from sitless.wire.ids import check_id
from sitless.wire.messages import (
    VERSION,
    Ack,
    Bout,
    Focus,
    Message,
    PostureEvent,
    Prompt,
    Status,
    Step,
    WearerState,
    prompt_id,
    utcnow,
)
from sitless.wire.posture import SEDENTARY, UPRIGHT, Posture
from sitless.wire.topics import DEAD, Kind, Topic, parse, subscription, topic

__all__ = [
    "DEAD",
    "SEDENTARY",
    "UPRIGHT",
    "VERSION",
    "Ack",
    "Bout",
    "Focus",
    "Kind",
    "Message",
    "Posture",
    "PostureEvent",
    "Prompt",
    "Status",
    "Step",
    "Topic",
    "WearerState",
    "check_id",
    "decode",
    "encode",
    "parse",
    "prompt_id",
    "subscription",
    "topic",
    "utcnow",
]
