"""Prompt delivery: in a Prompt, out to every channel, none blocking another.

Upstream: ``service.ingest`` hands over each new prompt once. The MQTT prompt topic goes
first (the wearer's collector may buzz); console and Apprise run as background tasks
with a timeout, and a failure is logged and counted, never raised into ingest.
"""

from service.notify.fanout import Notifier

__all__ = ["Notifier"]
