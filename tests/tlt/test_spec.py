import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpick.errors import AlpickError
from alpick.tlt.spec import (
    Block,
    Field,
    Ident,
    Scalar,
    Spec,
    format_spec,
    load_spec,
    parse_spec,
    save_spec,
)

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SAMPLES = [SHARED / "samples" / kind / "yolo_v4_minneapple.txt" for kind in ("tlt", "tao")]

# Every feature of the sample specs, and a few more the format allows.
FIXTURE = """\
# a file-level comment
random_seed: 42
yolov4_config {
  big_anchor_shape: "[(29.33, 27.00), (32.27, 35.00), (41.07, 42.00)]"
  nlayers: 18
  freeze_bn: false
  #freeze_blocks: 0
  force_relu: true  # trailing note
}
training_config {
  learning_rate {
    soft_start_cosine_annealing_schedule {
      min_learning_rate: 1e-7
      max_learning_rate: 1E-4
    }
  }
  regularizer {
    type: L1
    weight: 3e-5
  }
  pretrain_model_path: "/workspace/tlt-experiments/x.hdf5"
}
augmentation_config {
  exposure:1.5
  vertical_flip:0
  offset: -2
  bias: -0.5
  mask: 0x1F
  ratio: .25
  big: inf
}
dataset_config {
  data_sources: {
      label_directory_path: "/a/labels"
      image_directory_path: "/a/images"
  }
  data_sources {
    label_directory_path: '/b/labels'
  }
     target_class_mapping {
       key: "car"
       value: "Apple"
   }
  target_class_mapping < key: "person" value: "Person" >
  note: "say \\"hi\\"\\n\\ttab \\\\ done"
  joined: "ab" "cd"
  ids: [1, 2, 3];
  # closing comment
}
"""


def _count_fields(block: Block) -> int:
    return sum(1 + (_count_fields(f.value) if isinstance(f.value, Block) else 0) for f in block)


@pytest.mark.parametrize("path", SAMPLES, ids=["tlt", "tao"])
def test_samples_round_trip(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"{path} not available")
    text = path.read_text()
    spec = parse_spec(text)
    out = format_spec(spec)
    again = parse_spec(out)
    assert again == spec
    assert format_spec(again) == out
    # every field kept: one per "key:" / "key {" line of the sample, comments aside
    lines = [ln.strip() for ln in text.splitlines()]
    assert _count_fields(spec) == sum(1 for ln in lines if ln and ln[0] not in "#}")
    assert "min_learning_rate: 1e-7" in out
    assert "exposure: 1.5" in out
    assert "#freeze_blocks: 0" in out
    assert spec.get("augmentation_config.output_width") == 704
    assert spec.get("dataset_config.target_class_mapping.value") == "Apple"


def test_fixture_round_trip_and_idempotent_format() -> None:
    spec = parse_spec(FIXTURE)
    out = format_spec(spec)
    assert parse_spec(out) == spec
    assert format_spec(parse_spec(out)) == out


def test_values_keep_type_and_literal() -> None:
    spec = parse_spec(FIXTURE)
    assert spec.get("random_seed") == 42 and isinstance(spec.get("random_seed"), int)
    assert spec.get("yolov4_config.freeze_bn") is False
    assert spec.get("yolov4_config.force_relu") is True
    assert spec.get("training_config.regularizer.type") == Ident("L1")
    assert isinstance(spec.get("training_config.regularizer.type"), Ident)
    lr = "training_config.learning_rate.soft_start_cosine_annealing_schedule"
    assert spec.get(f"{lr}.min_learning_rate") == pytest.approx(1e-7)
    assert spec.get("augmentation_config.exposure") == 1.5
    assert spec.get("augmentation_config.vertical_flip") == 0
    assert spec.get("augmentation_config.offset") == -2
    assert spec.get("augmentation_config.bias") == -0.5
    assert spec.get("augmentation_config.mask") == 31
    assert spec.get("augmentation_config.ratio") == 0.25
    big = spec.get("augmentation_config.big")
    assert isinstance(big, float) and math.isinf(big)
    assert spec.get("dataset_config.note") == 'say "hi"\n\ttab \\ done'
    assert spec.get("dataset_config.joined") == "abcd"
    assert spec.get_all("dataset_config.ids") == [1, 2, 3]
    out = format_spec(spec)
    for literal in ("1e-7", "1E-4", "3e-5", "0x1F", ".25", "-0.5", "inf"):
        assert f": {literal}\n" in out


def test_int_and_float_are_different_values() -> None:
    assert parse_spec("a: 1") != parse_spec("a: 1.0")
    assert parse_spec("a: 1.0") == parse_spec("a: 1.00")
    assert parse_spec("a: true") != parse_spec("a: 1")
    assert parse_spec("a: L1") != parse_spec('a: "L1"')


def test_comments_are_kept_but_do_not_count() -> None:
    spec = parse_spec(FIXTURE)
    out = format_spec(spec)
    assert out.startswith("# a file-level comment\nrandom_seed: 42\n")
    assert "  force_relu: true  # trailing note\n" in out
    assert "  # closing comment\n}\n" in out
    assert parse_spec(FIXTURE.replace("# closing comment", "")) == spec


def test_block_styles_and_repeats() -> None:
    spec = parse_spec(FIXTURE)
    sources = spec.get_all("dataset_config.data_sources")
    assert len(sources) == 2
    assert all(isinstance(s, Block) for s in sources)
    assert spec.get("dataset_config.data_sources[1].label_directory_path") == "/b/labels"
    mappings = spec.get_all("dataset_config.target_class_mapping")
    assert [m.get("key") for m in mappings if isinstance(m, Block)] == ["car", "person"]
    out = format_spec(spec)
    assert "  data_sources: {\n" in out  # the colon form is kept
    assert "  target_class_mapping {\n" in out


def test_get_set_add_remove() -> None:
    spec = parse_spec(FIXTURE)
    assert spec.get("training_config.num_epochs") is None
    assert spec.get("training_config.num_epochs", 50) == 50
    assert spec.get("nope.deeper") is None
    assert spec.get_all("nope.deeper") == []
    assert "training_config.regularizer" in spec and "training_config.nope" not in spec

    spec.set("training_config.num_epochs", 80)
    spec.set("yolov4_config.nlayers", 34)
    spec.set("new_block.inner.value", "x")
    spec.set("training_config.regularizer.type", Ident("L2"))
    spec.set("dataset_config.data_sources[1].label_directory_path", "/c/labels")
    spec.add("dataset_config.target_class_mapping", Block([Field("key", Scalar.of("tree"))]))
    again = parse_spec(format_spec(spec))
    assert again == spec
    assert again.get("training_config.num_epochs") == 80
    assert again.get("yolov4_config.nlayers") == 34
    assert again.get("new_block.inner.value") == "x"
    assert again.get("training_config.regularizer.type") == "L2"
    assert again.get("dataset_config.data_sources[1].label_directory_path") == "/c/labels"
    assert len(again.get_all("dataset_config.target_class_mapping")) == 3
    # the set field stays where it was
    assert again.keys().index("yolov4_config") == 1

    assert spec.remove("dataset_config.target_class_mapping[0]") == 1
    assert spec.remove("dataset_config.target_class_mapping") == 2
    assert spec.remove("dataset_config.target_class_mapping") == 0
    assert spec.get_all("dataset_config.target_class_mapping") == []


def test_set_errors() -> None:
    spec = parse_spec(FIXTURE)
    with pytest.raises(AlpickError, match="no index 5"):
        spec.set("dataset_config.data_sources[5].x", 1)
    with pytest.raises(AlpickError, match="not a block"):
        spec.set("random_seed.x", 1)
    with pytest.raises(AlpickError, match="bad spec path"):
        spec.get("a..b")
    with pytest.raises(AlpickError):
        spec.add("dataset_config.ids[0]", 4)


def test_set_writes_canonical_literals() -> None:
    spec = Spec()
    spec.set("a", 1e-7)
    spec.set("b", True)
    spec.set("c", 'quote " back \\ nl \n')
    spec.set("d", Ident("SAMPLE"))
    spec.set("e", float("nan"))
    spec.set("f", -3)
    out = format_spec(spec)
    assert out.splitlines()[:2] == ["a: 1e-07", "b: true"]
    assert "d: SAMPLE" in out
    assert parse_spec(out) == spec


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb {\n  c: 2\n", 3),  # missing closing brace
        ("a: 1\n}\n", 2),  # stray brace
        ("a: 1\nb 2\n", 2),  # no colon before a value
        ('a: 1\n\nb: "open\n', 3),  # unterminated string
        ("a: 1\nb:\n}", 3),  # colon, no value
        ("a: 1\nb: @\n", 2),  # bad character
        ("a {\n  b: 1\n>\n", 3),  # mismatched closer
        ("a: [1 2]\n", 1),  # list without comma
        ("a: 'bad \\q escape'\n", 1),
        ("a: -foo\n", 1),
        ("\n\n: 1\n", 3),  # no key
    ],
)
def test_malformed_spec_names_the_line(text: str, line: int) -> None:
    with pytest.raises(AlpickError, match=rf"line {line}\b"):
        parse_spec(text)


def test_load_and_save(tmp_path: Path) -> None:
    path = tmp_path / "specs" / "x.txt"
    spec = parse_spec(FIXTURE)
    save_spec(spec, path)
    assert load_spec(path) == spec
    assert [p.name for p in path.parent.iterdir()] == ["x.txt"]  # no temp file left
    with pytest.raises(AlpickError, match="cannot read spec"):
        load_spec(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("a {\n")
    with pytest.raises(AlpickError, match=r"bad\.txt line 1"):
        load_spec(bad)


_keys = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda k: k not in ("true", "false", "t", "f", "inf", "nan", "infinity")
)
_scalars = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=True, width=64),
    st.booleans(),
    st.text(max_size=12),
    _keys.filter(lambda k: k not in ("True", "False")).map(Ident),
)


def _blocks(depth: int) -> st.SearchStrategy[Block]:
    values: st.SearchStrategy[Scalar | Block] = _scalars.map(Scalar.of)
    if depth:
        values = st.one_of(values, _blocks(depth - 1))
    fields = st.lists(st.tuples(_keys, values).map(lambda kv: Field(*kv)), max_size=5)
    return fields.map(Block)


@settings(max_examples=60, deadline=None)
@given(_blocks(3))
def test_format_then_parse_gives_the_same_tree(block: Block) -> None:
    spec = Spec(block.fields)
    assert parse_spec(format_spec(spec)) == spec
