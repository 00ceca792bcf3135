"""The dashboard: one static page that draws the JSON API with Chart.js (no CDN).

In: the browser's requests. Out: ``index.html``, its script and style sheet, and the
vendored Chart.js build with its licence (``static/vendor/``, shipped in the wheel), which
call ``/api/v1/...`` and follow ``/api/v1/wearers/{id}/live``. Nothing is fetched from
another site at run time. Upstream: ``service.api``.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

_STATIC = files("service.web") / "static"
# Only these files are served: a fixed list, so no request can name another path.
_FILES = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "vendor/chart.umd.min.js": "text/javascript; charset=utf-8",
    "vendor/chart.js.LICENSE.md": "text/markdown; charset=utf-8",
}
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@router.get("/", response_class=HTMLResponse)
async def index() -> HTMLResponse:
    """The dashboard page."""
    return HTMLResponse((_STATIC / "index.html").read_text(encoding="utf-8"), headers=_HEADERS)


@router.get("/sw.js")
async def service_worker() -> Response:
    """The service worker for web-push prompts, served from the root so it covers the page."""
    return Response(
        (_STATIC / "sw.js").read_bytes(),
        media_type="text/javascript; charset=utf-8",
        headers=_HEADERS,
    )


@router.get("/static/{name:path}")
async def static(name: str) -> Response:
    """The page's script, style sheet and the vendored chart library."""
    if name not in _FILES:
        raise HTTPException(404, f"no static file {name!r}")
    return Response((_STATIC / name).read_bytes(), media_type=_FILES[name], headers=_HEADERS)
