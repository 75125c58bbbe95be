"""Fuzz every reader: whatever the bytes, a parsed result or an AlpickError, nothing else.

Inputs are arbitrary bytes, arbitrary JSON, and valid files with tokens replaced by hostile
values (nan, inf, huge or negative numbers, null, empty, deep nesting, non-ASCII).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.formats.coco import load_coco_instances, load_coco_results
from alpick.formats.detections import Classes
from alpick.formats.embeddings_csv import load_embeddings_csv
from alpick.formats.kitti import load_kitti
from alpick.formats.lightly_predictions import load_lightly_prediction, load_lightly_schema
from alpick.formats.voc import load_voc, read_voc_image
from alpick.formats.yolo import load_yolo, load_yolo_names
from alpick.tlt.spec import load_spec
from alpick.tlt.template import DEFAULT_YOLO_V4_SPEC

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

HOSTILE = [
    "nan", "-nan", "inf", "-inf", "1e309", "-1", "0", "-0", "1e-320", "99999999999999999999",
    "", " ", "null", "[]", "{}", '"', "\\", "ä", "\x00", "0x10", "1_000", "--", "9" * 400,
]  # fmt: skip

VALID = {
    "kitti": "apple 0.00 0 0.00 1 2 30 40 0 0 0 0 0 0 0\nleaf 0 0 0 5 5 9 9 0 0 0 0 0 0 0\n",
    "yolo": "0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.05 0.05\n",
    "yolo_names": "apple\nleaf\n",
    "voc": (
        "<annotation><size><width>64</width><height>48</height></size><object><name>apple"
        "</name><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>30</xmax>"
        "<ymax>40</ymax></bndbox></object></annotation>"
    ),
    "voc_image": (
        "<annotation><filename>a.png</filename><size><width>64</width><height>48</height>"
        "</size></annotation>"
    ),
    "csv": "filenames,embedding_0,embedding_1,labels\na.png,0.5,1.5,0\nb.png,-1,2,0\n",
    "spec": DEFAULT_YOLO_V4_SPEC,
}

JSON_VALID = {
    "coco": {
        "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 10], "score": 0.5}
        ],
        "categories": [{"id": 1, "name": "apple"}],
    },
    "coco_results": [{"image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 10], "score": 0.5}],
    "lightly": {
        "file_name": "a.png",
        "predictions": [
            {"category_id": 0, "bbox": [1, 2, 10, 10], "score": 0.5, "probabilities": [0.5, 0.5]}
        ],
    },
    "schema": {"task_type": "object-detection", "categories": [{"id": 0, "name": "apple"}]},
}


def _read_text_reader(kind: str) -> Callable[[Path], Any]:
    return {
        "kitti": lambda p: load_kitti(p, Classes(), image_size=(64, 48)),
        "yolo": lambda p: load_yolo(p, width=64, height=48),
        "yolo_names": load_yolo_names,
        "voc": lambda p: load_voc(p, Classes()),
        "voc_image": read_voc_image,
        "csv": load_embeddings_csv,
        "spec": load_spec,
    }[kind]


def _json_reader(kind: str) -> Callable[[Path], Any]:
    def schema(path: Path) -> Any:
        (path.parent / "schema.json").write_bytes(path.read_bytes())
        return load_lightly_schema(path.parent)

    return {
        "coco": load_coco_instances,
        "coco_results": lambda p: load_coco_results(p, {1: "a.png"}, Classes(["apple"])),
        "lightly": lambda p: load_lightly_prediction(p, {0: 0}),
        "schema": schema,
    }[kind]


def _either_result_or_our_error(reader: Callable[[Path], Any], data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        with contextlib.suppress(AlpickError):  # anything else fails the test
            reader(path)


@st.composite
def mutated_text(draw: st.DrawFn, base: str) -> str:
    tokens = base.replace("<", " <").replace(">", "> ").replace(",", " , ").split(" ")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(tokens) - 1))
        how = draw(st.sampled_from(["replace", "delete", "duplicate", "text"]))
        if how == "replace":
            tokens[i] = draw(st.sampled_from(HOSTILE))
        elif how == "delete":
            tokens.pop(i)
            if not tokens:
                tokens = [""]
        elif how == "duplicate":
            tokens.insert(i, tokens[i])
        else:
            tokens[i] = draw(st.text(max_size=8))
    text = " ".join(tokens).replace(" <", "<").replace("> ", ">").replace(" , ", ",")
    cut = draw(st.integers(0, len(text)))
    return text[:cut] if draw(st.booleans()) else text


JSON_ATOMS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
)
ANY_JSON = st.recursive(
    JSON_ATOMS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated_json(draw: st.DrawFn, base: Any) -> Any:
    value = json.loads(json.dumps(base))

    def paths(node: Any, prefix: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        out = [prefix]
        if isinstance(node, dict):
            for k, v in node.items():
                out += paths(v, (*prefix, k))
        elif isinstance(node, list):
            for k, v in enumerate(node):
                out += paths(v, (*prefix, k))
        return out

    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(value, ())))
        new = draw(st.one_of(JSON_ATOMS, ANY_JSON))
        if not where:
            return new
        node = value
        for key in where[:-1]:
            node = node[key]
        if isinstance(node, dict) and draw(st.booleans()):
            node.pop(where[-1], None)
        else:
            node[where[-1]] = new
    return value


TEXT_KINDS = sorted(VALID)
FILE_NAMES = {"voc": "a.xml", "voc_image": "a.xml", "csv": "e.csv", "spec": "spec.txt"}
JSON_KINDS = sorted(JSON_VALID)


@pytest.mark.parametrize("kind", TEXT_KINDS)
@FUZZ
@given(data=st.data())
def test_text_readers(kind: str, data: st.DataObject) -> None:
    raw = data.draw(
        st.one_of(
            st.binary(max_size=300),
            mutated_text(VALID[kind]).map(lambda t: t.encode("utf-8", "surrogatepass")),
        )
    )
    name = FILE_NAMES.get(kind, "a.txt")
    _either_result_or_our_error(_read_text_reader(kind), raw, name)


@pytest.mark.parametrize("kind", JSON_KINDS)
@FUZZ
@given(data=st.data())
def test_json_readers(kind: str, data: st.DataObject) -> None:
    value = data.draw(st.one_of(ANY_JSON, mutated_json(JSON_VALID[kind])))
    raw = (
        json.dumps(value).encode() if data.draw(st.booleans()) else json.dumps(value)[:-1].encode()
    )
    _either_result_or_our_error(_json_reader(kind), raw, "a.json")


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_valid_samples_parse(kind: str, tmp_path: Path) -> None:
    path = tmp_path / FILE_NAMES.get(kind, "a.txt")
    path.write_text(VALID[kind])
    _read_text_reader(kind)(path)


@pytest.mark.parametrize("kind", JSON_KINDS)
def test_valid_json_samples_parse(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(JSON_VALID[kind]))
    _json_reader(kind)(path)
