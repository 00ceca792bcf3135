"""Users and access: API tokens, who sees which wearer, and the broker's logins.

In: a request's bearer token (or the dashboard's cookie), the users, wearers, shares and
MQTT accounts kept by ``service.store.access``. Out: to ``service.api``, the viewer behind
a request and its role on a wearer (or a 401/403/404); to ``sitless mqtt config``, a
Mosquitto password file and ACL.

``tokens`` makes and hashes API tokens; ``http`` holds the FastAPI dependencies that
every route uses; ``mosquitto`` renders broker credentials. Access control is on when
any user exists (or ``service.auth = "on"``); with no user at all, as in ``sitless demo``,
every request may see everything.
"""

from service.auth.http import Viewer, readable_wearer, viewer, writable_wearer
from service.auth.tokens import NewToken, digest, new_token
from service.config import AuthMode

__all__ = [
    "AuthMode",
    "NewToken",
    "Viewer",
    "digest",
    "new_token",
    "readable_wearer",
    "viewer",
    "writable_wearer",
]
