"""The FastAPI app: JSON API under ``/api``, the static front end, errors as JSON.

Every error is ``{"error": "one line"}`` with a 4xx status (5xx only for a bug, without a
traceback). No client-supplied text is ever joined to a file-system path: images are found by
sample id through the store, static files by name in a fixed table.
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import TYPE_CHECKING

from alpick.errors import AlpickError
from alpick.serve.errors import ApiError
from alpick.serve.reader import Reader
from alpick.serve.security import Guard

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("alpick.serve")

#: The front end's files (name -> media type); nothing else is served from the package.
STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "util.js": "text/javascript; charset=utf-8",
    "pages.js": "text/javascript; charset=utf-8",
    "map.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


def static_files() -> dict[str, bytes]:
    """The shipped front-end files, read once from the package."""
    folder = resources.files("alpick.serve") / "static"
    return {name: (folder / name).read_bytes() for name in STATIC}


def create_app(reader: Reader, *, guard: Guard) -> FastAPI:
    """The app over ``reader``'s project, behind ``guard``.

    Raises:
        ImportError: If FastAPI is not installed (the ``serve`` extra).
    """
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException

    from alpick.serve.routes import add_routes

    app = FastAPI(title="alpick", docs_url=None, redoc_url=None, openapi_url=None, debug=False)
    app.middleware("http")(guard.middleware)
    files = static_files()

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> Response:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(AlpickError)
    async def _alpick_error(_: Request, exc: AlpickError) -> Response:
        return JSONResponse({"error": str(exc).splitlines()[0]}, status_code=400)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> Response:
        text = exc.detail if isinstance(exc.detail, str) else "request refused"
        return JSONResponse({"error": text}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        message = f"invalid {where}: {first.get('msg', 'bad value')}"
        return JSONResponse({"error": message}, status_code=422)

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> Response:
        log.error("internal error: %r", exc)
        return JSONResponse({"error": "internal error"}, status_code=500)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return Response(files["index.html"], media_type=STATIC["index.html"])

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in files:
            raise ApiError(404, "no such file")
        return Response(files[name], media_type=STATIC[name])

    add_routes(app, reader)
    return app
