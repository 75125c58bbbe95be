"""The JSON API: each route opens its own database connection and closes it after.

No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations at run
time, and ``Request`` is imported inside :func:`add_routes` (FastAPI is an optional extra).
"""

import json
import math
from typing import TYPE_CHECKING, Any

from alpick.errors import AlpickError
from alpick.serve import views
from alpick.serve.errors import ApiError
from alpick.serve.reader import Reader
from alpick.serve.selection import selection
from alpick.serve.simulations import find_simulations
from alpick.serve.thumbs import SIZES, browser_image, thumbnail
from alpick.store import tags as _tags

if TYPE_CHECKING:
    from fastapi import FastAPI

MAX_BODY = 64 * 1024 * 1024
_TEXT_FIELDS = {"name": 128, "parent": 128, "note": 500, "embeddings": 128}


def parse_new_tag(raw: bytes) -> dict[str, Any]:
    """The fields of a new tag from a JSON body: ``name``, ``sample_ids`` and optional
    ``parent``, ``note``, ``embeddings``.

    Raises:
        ApiError: 400 for anything else: not JSON, missing or mistyped fields, no samples.
    """
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = sorted(set(body) - {"sample_ids", *_TEXT_FIELDS})
    if unknown:
        raise ApiError(400, f"unknown field(s) {', '.join(unknown)}")
    for key, limit in _TEXT_FIELDS.items():
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise ApiError(400, f"{key} must be a string of at most {limit} characters")
    if not body.get("name"):
        raise ApiError(400, "the new tag needs a name")
    ids = body.get("sample_ids")
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise ApiError(400, "sample_ids must be a list of integer sample ids")
    if not ids:
        raise ApiError(400, "a new tag needs at least one sample")
    return body


def _create_tag(reader: Reader, body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {"source": "alpick serve"}
    if body.get("note"):
        config["selection"] = body["note"]
    if body.get("embeddings"):
        config["embeddings"] = body["embeddings"]
    with reader.connect() as conn:
        try:
            tag = _tags.create_tag(
                conn,
                body["name"],
                body["sample_ids"],
                parent=body.get("parent"),
                method="manual",
                config=config,
                seed=None,
            )
        except AlpickError as exc:
            status = 409 if "already exists" in str(exc) else 400
            raise ApiError(status, str(exc)) from None
    return {
        "name": tag.name,
        "size": len(tag.sample_ids),
        "method": tag.method,
        "parent": tag.parent,
        "created_at": tag.created_at,
    }


def _finite(name: str, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ApiError(400, f"{name} must be a finite number")
    return value


def add_routes(app: "FastAPI", reader: Reader) -> None:
    """Register the ``/api`` routes on ``app``."""
    from fastapi import Query, Request
    from fastapi.responses import FileResponse, Response
    from starlette.concurrency import run_in_threadpool

    @app.get("/api/overview")
    def overview() -> dict[str, Any]:
        with reader.connect() as conn:
            return views.overview(reader, conn)

    @app.get("/api/samples")
    def samples(
        offset: int = Query(0, ge=0, le=10**9),
        limit: int = Query(48, ge=1, le=views.MAX_PAGE),
        tag: str | None = Query(None, max_length=128),
        not_tag: str | None = Query(None, max_length=128),
        score: str | None = Query(None, max_length=300),
        min_score: float | None = None,
        max_score: float | None = None,
        meta: str | None = Query(None, max_length=200),
        meta_value: str | None = Query(None, max_length=500),
        sort: str | None = Query(None, max_length=300),
        order: str = Query("desc", pattern="^(asc|desc)$"),
        predictions: str | None = Query(None, max_length=128),
    ) -> dict[str, Any]:
        query = views.GridQuery(
            offset=offset,
            limit=limit,
            tag=tag or None,
            not_tag=not_tag or None,
            score=score or None,
            min_score=_finite("min_score", min_score),
            max_score=_finite("max_score", max_score),
            meta=meta or None,
            meta_value=meta_value,
            sort=sort or None,
            descending=order == "desc",
            predictions=predictions or None,
        )
        with reader.connect() as conn:
            return views.grid(reader, conn, query)

    @app.get("/api/samples/{sample_id}")
    def sample(
        sample_id: int,
        predictions: str | None = Query(None, max_length=128),
        embeddings: str | None = Query(None, max_length=128),
        k: int = Query(8, ge=0, le=100),
    ) -> dict[str, Any]:
        with reader.connect() as conn:
            return views.sample(
                reader, conn, sample_id, predictions=predictions, embeddings=embeddings, k=k
            )

    @app.get("/api/samples/{sample_id}/thumb")
    def thumb(sample_id: int, size: int = Query(256)) -> Response:
        if size not in SIZES:
            raise ApiError(400, f"size must be one of {', '.join(map(str, SIZES))}")
        with reader.connect() as conn:
            image, digest = reader.image_file(conn, sample_id)
        path = thumbnail(image, reader.state_dir / "thumbs", sample_id, digest, size)
        return FileResponse(
            path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
        )

    @app.get("/api/samples/{sample_id}/image")
    def image(sample_id: int) -> Response:
        with reader.connect() as conn:
            path, _ = reader.image_file(conn, sample_id)
        body, media = browser_image(path)
        headers = {"Cache-Control": "private, max-age=3600"}
        if isinstance(body, bytes):
            return Response(body, media_type=media, headers=headers)
        return FileResponse(body, media_type=media, headers=headers)

    @app.get("/api/map")
    def map_points(embeddings: str | None = Query(None, max_length=128)) -> dict[str, Any]:
        with reader.connect() as conn:
            return views.map_points(reader, conn, embeddings)

    @app.get("/api/values")
    def values(color: str = Query(..., min_length=1, max_length=300)) -> dict[str, Any]:
        with reader.connect() as conn:
            return views.color_values(reader, conn, color)

    @app.get("/api/tags/{name}/selection")
    def tag_selection(name: str) -> dict[str, Any]:
        with reader.connect() as conn:
            return selection(reader, conn, name)

    @app.post("/api/tags", status_code=201)
    async def create_tag(request: Request) -> dict[str, Any]:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise ApiError(415, "send the new tag as application/json")
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > MAX_BODY:
            raise ApiError(413, "request body too large")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise ApiError(413, "request body too large")
        fields = parse_new_tag(raw)
        return await run_in_threadpool(_create_tag, reader, fields)

    @app.get("/api/simulations")
    def simulations() -> dict[str, Any]:
        found = find_simulations(reader.root)
        return {"simulations": [{"name": s.name, "rounds": s.rounds} for s in found]}
