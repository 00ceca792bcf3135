"""The dashboard: one static page that draws the JSON API (no CDN, nothing fetched).

In: the browser's requests. Out: ``index.html`` and its script and style, which call
``/api/v1/...`` and follow ``/api/v1/wearers/{id}/live``. Upstream: ``service.api``.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

_STATIC = files("service.web") / "static"
_TYPES = {"app.js": "text/javascript", "style.css": "text/css"}


@router.get("/", response_class=HTMLResponse)
async def index() -> str:
    """The dashboard page."""
    return (_STATIC / "index.html").read_text()


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The page's script and style sheet."""
    if name not in _TYPES:
        raise HTTPException(404, f"no static file {name!r}")
    return Response((_STATIC / name).read_text(), media_type=_TYPES[name])
