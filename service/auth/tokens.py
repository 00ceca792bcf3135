"""API tokens: made here, shown once, stored only as a SHA-256 digest.

A token is ``sl_<id>_<secret>``: ``id`` (8 hex digits) names it in lists and revocation,
``secret`` is 32 random bytes. With 256 bits of randomness a fast hash is enough; a slow
password hash (argon2, bcrypt) would only add latency to every request, because no
dictionary or brute-force attack can guess a random 256-bit secret.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

PREFIX = "sl_"
_SHAPE = re.compile(r"sl_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class NewToken:
    """A freshly made token: give ``token`` to its user, keep ``digest``."""

    id: str
    token: str
    digest: str


def new_token() -> NewToken:
    """A new random token with its id and digest."""
    token_id = secrets.token_hex(4)
    token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    return NewToken(token_id, token, digest(token))


def digest(token: str) -> str:
    """The SHA-256 hex digest under which ``token`` is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    """Whether ``token`` has the shape of a sitless token (cheap check before the store)."""
    return _SHAPE.fullmatch(token) is not None
