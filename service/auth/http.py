"""FastAPI dependencies: who is asking, and may they see or change this wearer.

A request names its user with ``Authorization: Bearer <token>`` or, from the dashboard,
with the ``sitless_token`` cookie that ``POST /api/v1/session`` sets (an ``EventSource``
cannot send headers). Every route that takes a ``{wearer}`` gets it through
``readable_wearer`` or ``writable_wearer``, so a wearer another user owns and did not
share answers 404, exactly like a wearer that does not exist: a stranger cannot even
learn which wearer ids are in use.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request

from service.auth.tokens import digest, well_formed
from service.config import AuthMode
from service.store.access import AccessStore, Role, StoredUser
from sitless.errors import WireError
from sitless.wire import check_id

COOKIE = "sitless_token"
WearerPath = Annotated[str, Path(description="Wearer id.", max_length=64)]


@dataclass(frozen=True, slots=True)
class Viewer:
    """The user behind a request; ``user`` is None when access control is off."""

    user: StoredUser | None

    @property
    def name(self) -> str | None:
        """The user's name, if any."""
        return self.user.name if self.user else None


@dataclass(frozen=True, slots=True)
class WearerAccess:
    """A wearer a request may see, and how."""

    wearer: str
    role: Role
    viewer: Viewer


def access_store(request: Request) -> AccessStore:
    """The access tables of the running service's store."""
    return AccessStore(request.app.state.runtime.store)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def viewer(request: Request) -> Viewer:
    """The viewer of ``request``; 401 if a token is needed and missing or unknown.

    A bad token in the ``Authorization`` header is always refused. A bad cookie is
    ignored, so a dashboard left signed in keeps working after every user is removed.
    """
    runtime: Any = request.app.state.runtime
    access = access_store(request)
    header = request.headers.get("authorization")
    token: str | None = None
    from_header = False
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthorized("Authorization must be 'Bearer <token>'")
        token, from_header = value.strip(), True
    else:
        token = request.cookies.get(COOKIE) or None
    user: StoredUser | None = None
    if token is not None and well_formed(token):
        user = await asyncio.to_thread(access.user_by_digest, digest(token))
    if user is not None:
        return Viewer(user)
    if from_header:
        raise _unauthorized("unknown or revoked token")
    if runtime.settings.auth == AuthMode.AUTO and not await asyncio.to_thread(access.any_user):
        return Viewer(None)
    raise _unauthorized(
        "sign in: send 'Authorization: Bearer <token>' (an admin makes one with"
        " 'sitless users token NAME')"
    )


async def signed_in(who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
    """The viewer, who must be a user (not the open access of a server without users)."""
    if who.user is None:
        raise HTTPException(409, "no users yet: add one with 'sitless users add NAME'")
    return who


async def readable_wearer(
    request: Request, wearer: WearerPath, who: Annotated[Viewer, Depends(viewer)]
) -> WearerAccess:
    """``wearer`` if the viewer may see it; 404 if it is unknown or not theirs to see."""
    try:
        check_id(wearer, "wearer")
    except WireError as exc:
        raise HTTPException(422, str(exc)) from None
    role = await asyncio.to_thread(access_store(request).role, who.user, wearer)
    if role is None:
        raise HTTPException(404, f"no wearer {wearer!r}; GET /api/v1/wearers lists them")
    return WearerAccess(wearer, role, who)


async def writable_wearer(
    seen: Annotated[WearerAccess, Depends(readable_wearer)],
) -> WearerAccess:
    """``wearer`` if the viewer may change it; 403 for a read-only share."""
    if not seen.role.can_change:
        raise HTTPException(403, f"wearer {seen.wearer!r} is shared with you read-only")
    return seen


ReadableWearer = Annotated[WearerAccess, Depends(readable_wearer)]
WritableWearer = Annotated[WearerAccess, Depends(writable_wearer)]
SignedIn = Annotated[Viewer, Depends(signed_in)]
CurrentViewer = Annotated[Viewer, Depends(viewer)]
