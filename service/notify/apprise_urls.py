"""Prompts to any Apprise URL: ntfy, Pushover, Telegram, Gotify, e-mail, Matrix, ..."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Sequence

import apprise

from service.metrics import Metrics
from service.notify.channel import DeliveryError
from service.notify.text import render_text
from sitless.wire import Prompt

log = logging.getLogger(__name__)


class AppriseChannel:
    """One Apprise object holding every configured URL; a URL it cannot parse is skipped."""

    name = "apprise"

    def __init__(self, urls: Sequence[str], metrics: Metrics) -> None:
        self._apprise = apprise.Apprise()
        for url in urls:
            with warnings.catch_warnings():
                # Apprise's e-mail plugin imports the standard library's imghdr, deprecated
                # since Python 3.11; that is Apprise's to fix and harmless here.
                warnings.filterwarnings(
                    "ignore", message="'imghdr' is deprecated", category=DeprecationWarning
                )
                added = self._apprise.add(url)
            if not added:
                log.error("Apprise does not understand the URL %r; it is skipped", url)
                metrics.inc("notify_failed", "bad_apprise_url")

    async def deliver(self, prompt: Prompt) -> None:
        """Send title and text (routine included) to every URL; raise if any failed."""
        if not len(self._apprise):
            raise DeliveryError("no usable Apprise URL", retry=False)
        ok = await asyncio.to_thread(
            self._apprise.notify, body=render_text(prompt), title=prompt.title
        )
        if not ok:
            raise DeliveryError("Apprise reported a failed notification")
