"""Prompt delivery: in a Prompt, out to every channel, none blocking another.

Upstream: ``service.ingest`` hands over each new prompt once. The MQTT prompt topic goes
first (the wearer's collector may buzz); console prints at once; Apprise URLs and web
push run as background tasks, each try with a timeout, retried with capped backoff; a
failure is logged and counted, never raised into ingest. Modules: ``fanout`` (the
``Notifier``), ``channel`` (what a channel is), ``text`` (a prompt as text),
``apprise_urls`` and ``webpush`` (the channels).
"""

from service.notify.channel import Channel, DeliveryError
from service.notify.fanout import Notifier

__all__ = ["Channel", "DeliveryError", "Notifier"]
