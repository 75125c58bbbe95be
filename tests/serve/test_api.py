"""The JSON API through FastAPI's test client: every route, its errors, its numbers."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the serve extra (fastapi) is not installed")

from PIL import Image

from alpick.api import Project
from alpick.embed.map2d import pca_2d


def _floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def _error(response: Any, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"} and "\n" not in body["error"]
    assert "Traceback" not in response.text
    return str(body["error"])


def test_index_static_and_headers(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script type="module" src="/static/app.js">' in page.text
    assert "http" not in page.text.replace("http://www.w3.org", "")  # nothing from a CDN
    for name in ("app.js", "util.js", "pages.js", "map.js", "style.css"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and len(r.content) > 100
        assert "https://" not in r.text
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert _error(client.get("/static/nope.js"), 404) == "no such file"
    _error(client.get("/api/nothing/here"), 404)
    _error(client.delete("/api/overview"), 405)


def test_overview(client: Any, project_root: Path) -> None:
    o = client.get("/api/overview").json()
    assert o["samples"] == 12 and o["with_boxes"] == 12 and o["boxes"] > 0
    assert o["annotated"] == 4  # the fixture annotated the tag "initial"
    assert o["classes"] == ["apple"]
    tags = {t["name"]: t for t in o["tags"]}
    assert tags["initial"]["method"] == "CORESET" and tags["initial"]["size"] == 4
    assert tags["coral-1"]["parent"] == "initial" and tags["coral-1"]["seed"] == 0
    assert tags["coral-1"]["config"]["inputs"]["embeddings"] == "emb"
    assert [p["name"] for p in o["prediction_sets"]] == ["preds"]
    assert o["score_sets"][0]["scores"] == ["uncertainty_entropy", "objectness_least_confidence"]
    assert o["embedding_sets"][0] == {**o["embedding_sets"][0], "name": "emb", "dim": 16}
    assert o["simulations"] == [{"name": "simulation", "rounds": 6}]
    assert "condition" in o["metadata"]


def test_grid_pages_filters_and_sort(client: Any, project_root: Path) -> None:
    first = client.get("/api/samples", params={"limit": 5}).json()
    assert first["total"] == 12 and [i["id"] for i in first["items"]] == [1, 2, 3, 4, 5]
    last = client.get("/api/samples", params={"limit": 5, "offset": 10}).json()
    assert [i["id"] for i in last["items"]] == [11, 12]
    item = first["items"][0]
    assert item["gt"] and len(item["gt"][0]) == 5 and len(item["pred"][0]) == 6
    assert first["predictions"] == "preds" and first["pred_classes"] == ["apple", "background"]

    with Project.open(project_root) as p:
        initial = p.tag("initial").sample_ids
        coral = p.tag("coral-1").sample_ids
        scores, _ = p.scores("preds")
    tagged = client.get("/api/samples", params={"tag": "coral-1"}).json()
    assert sorted(i["id"] for i in tagged["items"]) == sorted(coral)
    added = client.get("/api/samples", params={"tag": "coral-1", "not_tag": "initial"}).json()
    assert sorted(i["id"] for i in added["items"]) == sorted(set(coral) - set(initial))

    key = "preds/objectness_least_confidence"
    values = scores["objectness_least_confidence"]
    ranged = client.get("/api/samples", params={"score": key, "min_score": 0.4, "max_score": 0.6})
    want = int(((values >= 0.4) & (values <= 0.6)).sum())
    assert ranged.json()["total"] == want
    down = client.get("/api/samples", params={"sort": key, "limit": 200}).json()["items"]
    assert [i["score"] for i in down] == sorted((i["score"] for i in down), reverse=True)
    up = client.get("/api/samples", params={"sort": key, "order": "asc"}).json()["items"]
    assert up[0]["score"] == pytest.approx(float(values.min()), abs=1e-6)

    meta = client.get("/api/samples", params={"meta": "condition", "meta_value": "sunny_red"})
    assert 0 < meta.json()["total"] < 12


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"tag": "nope"}, 404, "unknown tag 'nope'"),
        ({"not_tag": "nope"}, 404, "unknown tag 'nope'"),
        ({"score": "preds/nope"}, 404, "unknown score"),
        ({"sort": "x/y"}, 404, "unknown score"),
        ({"limit": 0}, 422, "limit"),
        ({"limit": 100000}, 422, "limit"),
        ({"offset": -1}, 422, "offset"),
        ({"order": "sideways"}, 422, "order"),
        ({"min_score": 0.5}, 400, "need a score"),
        ({"score": "preds/uncertainty_entropy", "min_score": "nan"}, 400, "finite"),
        ({"score": "preds/uncertainty_entropy", "max_score": "abc"}, 422, "max_score"),
        ({"meta": "nope"}, 404, "unknown metadata column"),
        ({"predictions": "nope"}, 404, "no prediction set"),
    ],
)
def test_grid_errors(client: Any, params: dict[str, Any], status: int, text: str) -> None:
    assert text in _error(client.get("/api/samples", params=params), status)


def test_sample_page_data(client: Any, project_root: Path) -> None:
    s = client.get("/api/samples/3").json()
    assert s["path"] == "train_00002.png" and (s["width"], s["height"]) == (256, 192)
    assert s["prev"] == 2 and s["next"] == 4
    box = s["boxes"][0]
    assert box["class"] == "apple" and len(box["probs"]) == 2
    assert box["probs"][0] == pytest.approx(box["confidence"], abs=1e-3)
    assert set(s["scores"]) == {"preds/uncertainty_entropy", "preds/objectness_least_confidence"}
    assert s["metadata"]["condition"] and s["embeddings"] == "emb"
    with Project.open(project_root) as p:
        emb, _ = p.embeddings("emb")
        tags = [t.name for t in p.tags() if 3 in t.sample_ids]
    assert s["tags"] == tags
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    dist = np.linalg.norm(unit - unit[2], axis=1)
    dist[2] = np.inf
    assert [n["id"] for n in s["neighbours"]] == (np.argsort(dist)[:8] + 1).tolist()
    assert len(client.get("/api/samples/3", params={"k": 2}).json()["neighbours"]) == 2

    _error(client.get("/api/samples/999"), 404)
    _error(client.get("/api/samples/-1"), 404)
    _error(client.get("/api/samples/99999999999999999999999"), 404)
    assert "sample_id" in _error(client.get("/api/samples/abc"), 422)
    _error(client.get("/api/samples/3", params={"k": 1000}), 422)
    _error(client.get("/api/samples/3", params={"embeddings": "nope"}), 404)


def test_thumbnails_and_images(client: Any, project_root: Path) -> None:
    r = client.get("/api/samples/1/thumb", params={"size": 128})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(r.content)) as im:
        assert max(im.size) == 128 and im.size == (128, 96)
    cached = list((project_root / ".alpick" / "thumbs" / "128").glob("1-*.jpg"))
    assert len(cached) == 1 and cached[0].read_bytes() == r.content
    assert client.get("/api/samples/1/thumb", params={"size": 128}).content == r.content
    assert "size must be one of" in _error(client.get("/api/samples/1/thumb?size=100000"), 400)
    _error(client.get("/api/samples/1/thumb?size=big"), 422)
    _error(client.get("/api/samples/77/thumb"), 404)

    full = client.get("/api/samples/1/image")
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    with Project.open(project_root) as p:
        path = p.images_dir / p.samples()[0].path
    assert full.content == path.read_bytes()


def test_map_and_colours(client: Any, project_root: Path) -> None:
    m = client.get("/api/map").json()
    assert m["embeddings"] == "emb" and m["n"] == 12
    ids = np.frombuffer(base64.b64decode(m["ids"]), dtype="<i4")
    assert ids.tolist() == list(range(1, 13))
    with Project.open(project_root) as p:
        emb, _ = p.embeddings("emb")
        initial = p.tag("initial").sample_ids
        scores, _ = p.scores("preds")
    np.testing.assert_allclose(_floats(m["xy"]).reshape(-1, 2), pca_2d(emb), rtol=1e-5, atol=1e-5)

    tag = client.get("/api/values", params={"color": "tag:initial"}).json()
    assert tag["kind"] == "tag" and np.flatnonzero(_floats(tag["values"])).tolist() == sorted(
        i - 1 for i in initial
    )
    score = client.get("/api/values", params={"color": "score:preds/uncertainty_entropy"}).json()
    np.testing.assert_allclose(_floats(score["values"]), scores["uncertainty_entropy"], rtol=1e-6)
    meta = client.get("/api/values", params={"color": "meta:condition"}).json()
    assert meta["kind"] == "category" and "sunny_red" in meta["categories"]
    assert len(_floats(meta["values"])) == 12

    assert "color must be" in _error(client.get("/api/values?color=tag"), 400)
    _error(client.get("/api/values?color=size:big"), 400)
    _error(client.get("/api/values?color=tag:nope"), 404)
    _error(client.get("/api/values?color=score:nope"), 404)
    _error(client.get("/api/values?color=meta:nope"), 404)
    _error(client.get("/api/values"), 422)
    _error(client.get("/api/map?embeddings=nope"), 404)


def test_selection_page_data(client: Any, project_root: Path) -> None:
    s = client.get("/api/tags/coral-1/selection").json()
    with Project.open(project_root) as p:
        tag = p.tag("coral-1")
        initial = p.tag("initial").sample_ids
        emb, _ = p.embeddings("emb")
        scores, _ = p.scores("preds")
    picks = [i for i in tag.sample_ids if i not in initial]
    assert [x["id"] for x in s["picks"]] == picks and s["preselected"] == 4
    assert s["score"] == "preds/uncertainty_entropy" and s["config"] == tag.config
    for x in s["picks"]:
        assert x["score"] == pytest.approx(scores["uncertainty_entropy"][x["id"] - 1])
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    chosen = [i - 1 for i in initial]
    for x in s["picks"]:
        want = np.linalg.norm(unit[chosen] - unit[x["id"] - 1], axis=1).min()
        assert x["distance"] == pytest.approx(want, rel=1e-4)
        chosen.append(x["id"] - 1)

    root = client.get("/api/tags/initial/selection").json()
    assert root["parent"] is None and root["picks"][0]["distance"] is None
    assert root["picks"][1]["distance"] > 0 and root["score"] is None
    _error(client.get("/api/tags/nope/selection"), 404)


def test_simulations(client: Any) -> None:
    sims = client.get("/api/simulations").json()["simulations"]
    assert [s["name"] for s in sims] == ["simulation"]
    rounds = sims[0]["rounds"]
    assert {r["strategy"] for r in rounds} == {"random", "coral"}
    assert rounds[-1]["metrics"]["AP50"] == pytest.approx(0.54)


def test_warm_fills_the_caches(project_root: Path) -> None:
    from alpick.serve.reader import Reader

    reader = Reader(project_root)
    reader.warm()
    assert {"samples", "gt_counts", "predictions", "scores", "embeddings"} <= set(reader._cache)


def test_a_bare_project(tmp_path: Path) -> None:
    tmp_path = tmp_path / "bare"  # nothing beside it
    from fastapi.testclient import TestClient

    from alpick.serve.app import create_app
    from alpick.serve.reader import Reader
    from alpick.serve.security import LOOPBACK_NAMES, Guard

    images = tmp_path / "data" / "raw" / "images"
    images.mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (20, 10), (i * 80, 0, 0)).save(images / f"{i}.png")
    project, _ = Project.initialize(tmp_path)
    project.close()
    reader = Reader(tmp_path)
    reader.warm()
    app = create_app(reader, guard=Guard(None, LOOPBACK_NAMES))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        o = c.get("/api/overview").json()
        assert o["samples"] == 3 and o["with_boxes"] == 0 and o["tags"] == []
        assert o["annotated"] == 0
        grid = c.get("/api/samples").json()
        assert grid["total"] == 3 and grid["predictions"] is None
        assert grid["items"][0]["gt"] == [] and grid["items"][0]["pred"] == []
        s = c.get("/api/samples/2").json()
        assert s["boxes"] == [] and s["neighbours"] == [] and s["embeddings"] is None
        assert "alpick embed" in _error(c.get("/api/map"), 404)
        assert c.post("/api/tags", json={"name": "hand", "sample_ids": [3, 1]}).status_code == 201
        sel = c.get("/api/tags/hand/selection").json()
        assert [p["id"] for p in sel["picks"]] == [3, 1] and sel["method"] == "manual"
        assert sel["picks"][0]["score"] is None and sel["picks"][0]["distance"] is None
        assert c.get("/api/simulations").json() == {"simulations": []}
        assert c.get("/api/samples/1/thumb?size=96").status_code == 200


def test_scores_are_computed_when_none_were_stored(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from serve_project import make_project

    from alpick.serve.app import create_app
    from alpick.serve.reader import Reader
    from alpick.serve.security import LOOPBACK_NAMES, Guard

    root = make_project(tmp_path)
    with Project.open(root) as p:
        dets, classes, _ = p.predictions("preds")
        p.save_predictions("later", dets, classes, source="test")
        p.select("coral-otf", method="CORAL", n_samples=9, preselected="coral-1",
                 prediction_set="later", min_confidence=0.1, seed=0)  # fmt: skip
        assert p.tag("coral-otf").config["inputs"]["scores"] == {
            "prediction_set": "later",
            "min_confidence": 0.1,
        }
        plain = p.compute_scores("later")
        at_01 = p.compute_scores("later", min_confidence=0.1)
        added = p.added_samples("coral-otf")
    app = create_app(Reader(root), guard=Guard(None, LOOPBACK_NAMES))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        keys = c.get("/api/overview").json()["scores"]
        assert "later/uncertainty_entropy" in keys and "preds/uncertainty_entropy" in keys
        got = c.get("/api/values", params={"color": "score:later/uncertainty_margin"}).json()
        np.testing.assert_allclose(_floats(got["values"]), plain["uncertainty_margin"], rtol=1e-6)
        sel = c.get("/api/tags/coral-otf/selection").json()
        assert sel["score"] == "later/uncertainty_entropy (computed, min_confidence 0.1)"
        assert [x["id"] for x in sel["picks"]] == [s.id for s in added]
        for x in sel["picks"]:
            assert x["score"] == pytest.approx(at_01["uncertainty_entropy"][x["id"] - 1])


def test_metadata_is_found_in_or_beside_the_project(tmp_path: Path) -> None:
    from serve_project import make_project

    from alpick.serve.metadata import find_metadata, read_metadata
    from alpick.serve.reader import Reader

    root = make_project(tmp_path)
    assert find_metadata(root) == root / "metadata.csv"
    (root / "metadata.csv").unlink()
    assert find_metadata(root) == tmp_path / "orchard" / "metadata.csv"
    reader = Reader(root)
    with reader.connect() as conn:
        table = reader.samples(conn)
    meta = reader.metadata(table)
    assert meta["condition"][0] and meta["split"] == ["train"] * 12
    other = tmp_path / "other.csv"
    other.write_text("image,condition\nnot_here.png,x\n")
    assert read_metadata(other, table) == {}
    other.write_bytes(b"\xff\xfe\x00bad")
    assert read_metadata(other, table) == {}


def test_every_front_end_file_is_served_and_nothing_else() -> None:
    from alpick.serve.app import STATIC

    folder = Path(__file__).resolve().parents[2] / "src" / "alpick" / "serve" / "static"
    assert sorted(p.name for p in folder.iterdir()) == sorted(STATIC)
    for name in STATIC:
        text = (folder / name).read_text()
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text and "cdn" not in text.lower()
