"""Routes about people: who you are, your tokens, the dashboard's sign-in, shares.

Users themselves are made by the operator (``sitless users add``); a signed-in user
manages their own tokens here and shares the wearers they own, read-only, with others.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response

from service.api.models import (
    Me,
    NewTokenOut,
    Shares,
    SignIn,
    TokenIn,
    TokenOut,
)
from service.auth.http import (
    COOKIE,
    CurrentViewer,
    SignedIn,
    WritableWearer,
    access_store,
)
from service.auth.tokens import digest, new_token, well_formed
from service.config import AuthMode

router = APIRouter()

TokenId = Annotated[str, Path(description="Token id (8 hex digits).", pattern="^[0-9a-f]{8}$")]
UserPath = Annotated[str, Path(description="User name.", max_length=64)]
SESSION_DAYS = 30


@router.get("/api/v1/me", response_model=Me, tags=["users"])
async def me(request: Request, who: CurrentViewer) -> Me:
    """Who the API takes you for, and whether it asks for tokens."""
    rt: Any = request.app.state.runtime
    auth = rt.settings.auth == AuthMode.ON or await asyncio.to_thread(
        access_store(request).any_user
    )
    return Me(user=who.name, admin=bool(who.user and who.user.admin), auth=auth)


@router.get("/api/v1/me/tokens", response_model=list[TokenOut], tags=["users"])
async def my_tokens(request: Request, who: SignedIn) -> list[TokenOut]:
    """Your API tokens (never the secrets)."""
    assert who.name is not None
    rows = await asyncio.to_thread(access_store(request).tokens, who.name)
    return [TokenOut(id=t.id, label=t.label, created=t.created) for t in rows]


@router.post("/api/v1/me/tokens", response_model=NewTokenOut, status_code=201, tags=["users"])
async def add_my_token(request: Request, who: SignedIn, body: TokenIn) -> NewTokenOut:
    """Make a new token for yourself; the response is the only time it is shown."""
    assert who.name is not None
    made = new_token()
    stored = await asyncio.to_thread(
        access_store(request).add_token, who.name, made.id, made.digest, body.label
    )
    return NewTokenOut(id=stored.id, label=stored.label, created=stored.created, token=made.token)


@router.delete("/api/v1/me/tokens/{token_id}", status_code=204, tags=["users"])
async def revoke_my_token(request: Request, who: SignedIn, token_id: TokenId) -> Response:
    """Revoke one of your tokens."""
    assert who.name is not None
    if not await asyncio.to_thread(access_store(request).revoke_token, who.name, token_id):
        raise HTTPException(404, f"you have no token {token_id!r}")
    return Response(status_code=204)


@router.post("/api/v1/session", status_code=204, tags=["users"])
async def sign_in(request: Request, body: SignIn) -> Response:
    """Sign the dashboard in: keep the token in an HTTP-only, same-site cookie."""
    token = body.token.strip()
    user = None
    if well_formed(token):
        user = await asyncio.to_thread(access_store(request).user_by_digest, digest(token))
    if user is None:
        raise HTTPException(401, "unknown or revoked token")
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.delete("/api/v1/session", status_code=204, tags=["users"])
async def sign_out() -> Response:
    """Sign the dashboard out (forget the cookie; the token itself stays valid)."""
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/api/v1/wearers/{wearer}/shares", response_model=Shares, tags=["wearers"])
async def shares(request: Request, seen: WritableWearer) -> Shares:
    """Who may read a wearer you own."""
    return await _shares(request, seen.wearer)


@router.put("/api/v1/wearers/{wearer}/shares/{user}", response_model=Shares, tags=["wearers"])
async def share(request: Request, seen: WritableWearer, user: UserPath) -> Shares:
    """Let another user read a wearer you own (read-only; undo with DELETE)."""
    access = access_store(request)
    if await asyncio.to_thread(access.user, user) is None:
        raise HTTPException(404, f"no user {user!r}")
    if await asyncio.to_thread(access.owner, seen.wearer) == user:
        raise HTTPException(409, f"{user!r} owns wearer {seen.wearer!r} already")
    await asyncio.to_thread(access.share, seen.wearer, user)
    return await _shares(request, seen.wearer)


@router.delete("/api/v1/wearers/{wearer}/shares/{user}", response_model=Shares, tags=["wearers"])
async def unshare(request: Request, seen: WritableWearer, user: UserPath) -> Shares:
    """Stop sharing a wearer you own with a user."""
    if not await asyncio.to_thread(access_store(request).unshare, seen.wearer, user):
        raise HTTPException(404, f"wearer {seen.wearer!r} is not shared with {user!r}")
    return await _shares(request, seen.wearer)


async def _shares(request: Request, wearer: str) -> Shares:
    access = access_store(request)
    owner = await asyncio.to_thread(access.owner, wearer)
    users = await asyncio.to_thread(access.shares, wearer)
    return Shares(wearer=wearer, owner=owner, users=users)
