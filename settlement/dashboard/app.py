"""The live view as an ASGI app (Starlette): the page, its state as JSON, and the day's
report files. Three GET routes and nothing that writes.

The page polls `/api/state` once a second (a poll, not server-sent events: a stream would
hold a worker per open tab, and a poll is as live at this pace). The report is served from
the reports directory because a page from http://127.0.0.1 may not link to a file:// URL.
Only Host headers naming a loopback address (or the address it was told to listen on) are
answered, so a web page elsewhere cannot read the figures through DNS rebinding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from importlib.resources import files
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Route

from settlement.dashboard.state import LiveState

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
_REPORT_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}")
_NO_STORE = {"Cache-Control": "no-store"}


def page_html() -> str:
    return files("settlement.dashboard").joinpath("page.html").read_text(encoding="utf-8")


def create_app(state: LiveState, reports_dir: Path, hosts: Sequence[str] = ()) -> Starlette:
    page = page_html()

    def index(_request: Request) -> Response:
        return HTMLResponse(page, headers=_NO_STORE)

    def api_state(_request: Request) -> Response:
        return JSONResponse(state.current(), headers=_NO_STORE)

    def report_file(request: Request) -> Response:
        found = _report_file(reports_dir, request.path_params["day"], request.path_params["name"])
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(found, headers=_NO_STORE)

    routes = [
        Route("/", index),
        Route("/api/state", api_state),
        Route("/reports/{day}/{name}", report_file),
    ]
    allowed = sorted({*LOOPBACK_NAMES, *hosts})
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed)]
    return Starlette(routes=routes, middleware=middleware)


def _report_file(reports_dir: Path, day: str, name: str) -> Path | None:
    """A regular file directly in `<reports_dir>/<date>/`, by a plain name: nothing above
    it, no hidden file, no link out of it."""
    try:
        date.fromisoformat(day)
    except ValueError:
        return None
    if not _REPORT_FILE.fullmatch(name) or len(day) != 10:
        return None
    folder = reports_dir.resolve() / day  # the dated folder itself may not be a link either
    candidate = (folder / name).resolve()
    if folder.resolve() != folder or candidate.parent != folder or not candidate.is_file():
        return None
    return candidate
