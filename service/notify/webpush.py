"""Prompts as web-push messages to the dashboard's browsers (RFC 8030, 8291, 8292).

A browser subscribes through the API (``POST /api/v1/wearers/{wearer}/webpush``) with
the application server key from ``GET /api/v1/webpush/key``; the service then encrypts
each prompt for it (``aes128gcm``, RFC 8291) and signs a VAPID token (RFC 8292), both
through pywebpush. The message is JSON: title, body, the prompt's id and two actions,
``done`` and ``snooze`` (10 minutes), which the page's service worker posts back to
``POST /api/v1/wearers/{wearer}/acks``. A subscription the push service reports gone
(404, 410) is forgotten; any other failure is retried by the notifier.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from service.notify.channel import DeliveryError
from service.notify.text import render_text
from service.store.sql import SqlStore, StoredPushSubscription
from sitless.wire import Prompt

log = logging.getLogger(__name__)

MAX_PAYLOAD = 3000
"""Bytes of JSON per message: push services accept 4096 after encryption overhead."""
SNOOZE_MIN = 10


@dataclass(frozen=True)
class VapidKeys:
    """The service's VAPID key pair (P-256)."""

    vapid: Vapid
    public_key: str
    """The application server key browsers subscribe with: the uncompressed public point,
    base64url without padding."""

    @classmethod
    def load_or_create(cls, path: Path) -> VapidKeys:
        """Read the private key PEM at ``path``, creating it (mode 0600) if missing."""
        if path.is_file():
            vapid = Vapid.from_file(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            vapid = Vapid()
            vapid.generate_keys()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(vapid.private_pem())
            log.info("created a VAPID key for web push at %s", path)
        raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return cls(vapid, base64.urlsafe_b64encode(raw).rstrip(b"=").decode())


def push_payload(prompt: Prompt) -> dict[str, Any]:
    """What the service worker receives: enough to show the prompt and answer it."""
    body = render_text(prompt)
    payload = {
        "type": "prompt",
        "id": prompt.id,
        "wearer": prompt.wearer,
        "title": prompt.title,
        "body": body,
        "routine": prompt.routine,
        "at": prompt.at.isoformat(),
        "actions": [
            {"action": "done", "title": "Done"},
            {"action": "snooze", "title": f"Snooze {SNOOZE_MIN} min"},
        ],
        "ack": {"url": f"/api/v1/wearers/{prompt.wearer}/acks", "snooze_min": SNOOZE_MIN},
    }
    while len(json.dumps(payload).encode()) > MAX_PAYLOAD and len(body) > 80:
        body = body[: int(len(body) * 0.8)].rstrip() + "…"
        payload["body"] = body
    return payload


class WebPushChannel:
    """Sends each prompt to every browser its wearer subscribed."""

    name = "webpush"

    def __init__(
        self,
        store: SqlStore,
        keys: VapidKeys,
        *,
        subject: str,
        ttl_s: int = 600,
        timeout_s: float = 10.0,
    ) -> None:
        self.store = store
        self.keys = keys
        self.subject = subject
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self._delivered: dict[str, set[str]] = {}

    async def deliver(self, prompt: Prompt) -> None:
        """Encrypt and post ``prompt`` to each subscription not yet reached."""
        subscriptions = await asyncio.to_thread(self.store.push_subscriptions, prompt.wearer)
        done = self._delivered.setdefault(prompt.id, set())
        if len(self._delivered) > 1000:
            del self._delivered[next(iter(self._delivered))]
        data = json.dumps(push_payload(prompt))
        failed = []
        for sub in subscriptions:
            if sub.endpoint in done:
                continue
            problem = await asyncio.to_thread(self._post, sub, data)
            if problem is None:
                done.add(sub.endpoint)
            else:
                failed.append(problem)
        if failed:
            raise DeliveryError("; ".join(failed))
        self._delivered.pop(prompt.id, None)

    def _post(self, sub: StoredPushSubscription, data: str) -> str | None:
        """Post to one subscription; None on success, else what went wrong."""
        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        try:
            webpush(
                info,
                data,
                vapid_private_key=self.keys.vapid,
                vapid_claims={"sub": self.subject},
                ttl=self.ttl_s,
                timeout=self.timeout_s,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                log.info("push subscription %s is gone (%s); forgetting it", sub.endpoint, status)
                self.store.remove_push_subscription(sub.endpoint)
                return None
            return f"{sub.endpoint}: {exc}"
        except (requests.RequestException, ValueError) as exc:
            return f"{sub.endpoint}: {exc}"
        return None
