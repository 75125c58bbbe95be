"""TLT/TAO experiment specs: protobuf *text format*, parsed and written without protobuf.

A spec is a tree of fields in file order: ``key: value`` scalars and ``key { ... }`` blocks, keys
may repeat. Scalars keep their Python value *and* the literal they were written with, so
``1e-7`` is written back as ``1e-7``. Comments are kept (above a field, after it on its line, or
before a closing brace) but take no part in equality: ``parse_spec(format_spec(s)) == s``.

Paths name fields with dots, optionally indexed among repeated keys::

    spec = parse_spec(text)
    spec.get("training_config.num_epochs")                  # 50
    spec.set("training_config.num_epochs", 80)
    [m.get("key") for m in spec.get_all("dataset_config.target_class_mapping")]
    spec.get("dataset_config.target_class_mapping[1].value")
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from alpick.errors import AlpickError
from alpick.fileio import read_text, write_text_atomic

__all__ = [
    "Block",
    "Field",
    "Ident",
    "Scalar",
    "Spec",
    "format_spec",
    "load_spec",
    "parse_spec",
    "save_spec",
]


class Ident(str):
    """A bare identifier value: an enum name such as ``SAMPLE`` or ``L1``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Ident({str.__repr__(self)})"


ScalarValue = str | int | float | bool | Ident


def _same(a: ScalarValue, b: ScalarValue) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@dataclass(eq=False)
class Scalar:
    """A scalar value and the literal it is written with."""

    value: ScalarValue
    literal: str

    @classmethod
    def of(cls, value: ScalarValue) -> Scalar:
        """A scalar with the canonical literal of ``value``."""
        return cls(value, _literal(value))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scalar) and _same(self.value, other.value)

    def __repr__(self) -> str:
        return f"Scalar({self.literal})"


@dataclass(eq=False)
class Field:
    """One ``key: value`` or ``key { ... }`` entry; comments don't count in equality."""

    key: str
    value: Scalar | Block
    comments: list[str] = field(default_factory=list)
    inline_comment: str | None = None
    colon: bool = False  # a block written as ``key: { ... }``

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Field) and self.key == other.key and self.value == other.value


class Block:
    """An ordered list of fields; keys may repeat."""

    def __init__(self, fields: list[Field] | None = None) -> None:
        self.fields: list[Field] = list(fields or [])
        self.end_comments: list[str] = []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Block) and self.fields == other.fields

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({[f.key for f in self.fields]})"

    def __contains__(self, path: str) -> bool:
        return self._find(path) is not None

    def keys(self) -> list[str]:
        """The keys of this block's fields, in order, repeats included."""
        return [f.key for f in self.fields]

    def get(self, path: str, default: Value | None = None) -> Value | None:
        """The value at ``path`` (the first of repeated keys unless indexed), or ``default``."""
        found = self._find(path)
        return default if found is None else _unwrap(found.value)

    def get_all(self, path: str) -> list[Value]:
        """Every value of the last key of ``path`` (inside the first match of its parents)."""
        parent_path, key, index = _split_last(path)
        parent = self._block_at(parent_path)
        if parent is None:
            return []
        matches = [f for f in parent.fields if f.key == key]
        if index is not None:
            matches = matches[index : index + 1]
        return [_unwrap(f.value) for f in matches]

    def set(self, path: str, value: Value | Scalar) -> None:
        """Set the value at ``path``: replace the first match, or append a new field.

        Missing parent blocks are created. An index past the repeats of a key is an error.
        """
        parent_path, key, index = _split_last(path)
        parent = self._block_at(parent_path, create=True)
        assert parent is not None
        matches = [f for f in parent.fields if f.key == key]
        new = _wrap(value)
        if index is not None and index >= len(matches):
            raise AlpickError(f"spec has {len(matches)} {key!r} fields, no index {index}")
        if matches:
            target = matches[index or 0]
            target.value = new
            if isinstance(new, Scalar):
                target.colon = False
        else:
            parent.fields.append(Field(key, new))

    def add(self, path: str, value: Value | Scalar) -> None:
        """Append another ``key`` field at ``path``, keeping the existing ones."""
        parent_path, key, index = _split_last(path)
        if index is not None:
            raise AlpickError(f"cannot add at an indexed path: {path!r}")
        parent = self._block_at(parent_path, create=True)
        assert parent is not None
        parent.fields.append(Field(key, _wrap(value)))

    def remove(self, path: str) -> int:
        """Remove every field at ``path`` (or just the indexed one); return how many."""
        parent_path, key, index = _split_last(path)
        parent = self._block_at(parent_path)
        if parent is None:
            return 0
        positions = [i for i, f in enumerate(parent.fields) if f.key == key]
        if index is not None:
            positions = positions[index : index + 1]
        for i in reversed(positions):
            del parent.fields[i]
        return len(positions)

    def _find(self, path: str) -> Field | None:
        parent_path, key, index = _split_last(path)
        parent = self._block_at(parent_path)
        if parent is None:
            return None
        matches = [f for f in parent.fields if f.key == key]
        i = index or 0
        return matches[i] if i < len(matches) else None

    def _block_at(
        self, segments: list[tuple[str, int | None]], *, create: bool = False
    ) -> Block | None:
        block = self
        for key, index in segments:
            matches = [f for f in block.fields if f.key == key]
            i = index or 0
            if i < len(matches):
                value = matches[i].value
                if not isinstance(value, Block):
                    if not create:
                        return None
                    raise AlpickError(f"spec field {key!r} is a value, not a block")
                block = value
            elif create and i == len(matches):
                child = Block()
                block.fields.append(Field(key, child))
                block = child
            else:
                if create:
                    raise AlpickError(f"spec has {len(matches)} {key!r} fields, no index {i}")
                return None
        return block


class Spec(Block):
    """A whole spec file: the top-level block."""


Value = ScalarValue | Block


_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


def _split_path(path: str) -> list[tuple[str, int | None]]:
    out: list[tuple[str, int | None]] = []
    for part in path.split("."):
        m = _SEGMENT.match(part)
        if m is None:
            raise AlpickError(f"bad spec path {path!r} (use e.g. 'a.b[1].c')")
        out.append((m.group(1), None if m.group(2) is None else int(m.group(2))))
    return out


def _split_last(path: str) -> tuple[list[tuple[str, int | None]], str, int | None]:
    segments = _split_path(path)
    key, index = segments[-1]
    return segments[:-1], key, index


def _unwrap(value: Scalar | Block) -> Value:
    return value.value if isinstance(value, Scalar) else value


def _wrap(value: Value | Scalar) -> Scalar | Block:
    if isinstance(value, Scalar | Block):
        return value
    return Scalar.of(value)


# ---------------------------------------------------------------- literals

_ESCAPE_OUT = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _quote(text: str) -> str:
    body = "".join(
        _ESCAPE_OUT.get(c, c if c.isprintable() else f"\\{ord(c):03o}") if ord(c) < 128 else c
        for c in text
    )
    return f'"{body}"'


def _literal(value: ScalarValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Ident):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    raise TypeError(f"not a spec value: {value!r}")


def parse_spec(text: str, *, source: str = "spec") -> Spec:
    """Parse protobuf text format into a :class:`Spec`.

    Args:
        text: The spec file's content.
        source: Name used in error messages (e.g. the file path).

    Raises:
        AlpickError: On malformed text, naming the line.
    """
    from alpick.tlt.spec_parser import parse_into

    spec = Spec()
    parse_into(spec, text, source)
    return spec


# ---------------------------------------------------------------- writer


def _write_block(block: Block, depth: int, indent: str, out: list[str]) -> None:
    pad = indent * depth
    for f in block.fields:
        out.extend(pad + c for c in f.comments)
        tail = f"  {f.inline_comment}" if f.inline_comment else ""
        if isinstance(f.value, Block):
            out.append(f"{pad}{f.key}{':' if f.colon else ''} {{{tail}")
            _write_block(f.value, depth + 1, indent, out)
            out.append(pad + "}")
        else:
            out.append(f"{pad}{f.key}: {f.value.literal}{tail}")
    out.extend(indent * depth + c for c in block.end_comments)


def format_spec(spec: Block, *, indent: str = "  ") -> str:
    """Write a spec as protobuf text format: one field per line, blocks indented."""
    lines: list[str] = []
    _write_block(spec, 0, indent, lines)
    return "\n".join(lines) + "\n"


def load_spec(path: Path) -> Spec:
    """Read and parse a spec file.

    Raises:
        AlpickError: If the file is missing, unreadable or malformed.
    """
    try:
        text = read_text(Path(path))
    except AlpickError as exc:
        raise AlpickError(f"cannot read spec {path}: {exc}") from None
    return parse_spec(text, source=str(path))


def save_spec(spec: Block, path: Path) -> None:
    """Write a spec atomically (temporary file in the same folder, then rename)."""
    write_text_atomic(Path(path), format_spec(spec))
