"""What a delivery channel is, and how it says it failed."""

from __future__ import annotations

from typing import Protocol

from sitless.wire import Prompt


class DeliveryError(Exception):
    """A channel could not deliver a prompt; ``retry`` False means trying again is useless."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class Channel(Protocol):
    """Somewhere besides MQTT that prompts go."""

    name: str
    """Label of the channel in counters and logs."""

    async def deliver(self, prompt: Prompt) -> None:
        """Deliver ``prompt`` or raise ``DeliveryError`` (or time out)."""
        ...
