"""Vectorised tokenising of whitespace-separated text files (KITTI, YOLO), many files at once.

The files are joined into one byte buffer and split into tokens and lines with numpy, so that
parsing 100,000 small files costs a handful of array operations, not a Python object per box.
Whitespace is every byte up to 32 (space, tab, CR, other control characters); a line is what
ends with LF, so CRLF files, trailing spaces and blank lines need no special care.

Only token *starts* are located over the whole buffer (the costliest pass); a token's end is
found where it is needed, by reading on until whitespace.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from alpick.errors import AlpickError
from alpick.fileio import open_regular

_BOM = b"\xef\xbb\xbf"
_PAD = 64  # zero bytes after the buffer, so a fixed-width window fits at every token
_TOKEN = re.compile(rb"[^\x00-\x20]+")
_MAX_PLAIN_DIGITS = 15  # an integer of 15 digits is exact in float64
_POW10 = 10.0 ** np.arange(_MAX_PLAIN_DIGITS + 1)

Int64Array = NDArray[np.int64]


@dataclass(frozen=True)
class TokenTable:
    """Tokens and non-blank lines of several files.

    Attributes:
        raw: All files joined by newlines.
        buffer: ``raw`` followed by zero padding, ``(B,)`` uint8.
        starts: Byte offset where each token starts, ``(T,)``.
        line_first: Index of the first token of each non-blank line, ``(L,)``.
        line_ntok: Number of tokens on each non-blank line, ``(L,)``.
        line_file: Index of the file each non-blank line belongs to, ``(L,)``.
        line_number: 1-based line number of each non-blank line within its file, ``(L,)``.
        n_files: Number of files.
    """

    raw: bytes
    buffer: NDArray[np.uint8]
    starts: Int64Array
    line_first: Int64Array
    line_ntok: Int64Array
    line_file: Int64Array
    line_number: Int64Array
    n_files: int

    def lines_per_file(self) -> Int64Array:
        """Number of non-blank lines of each file, ``(n_files,)``."""
        return np.bincount(self.line_file, minlength=self.n_files).astype(np.int64)

    def token_bytes(self, token: int) -> bytes:
        """One token's bytes."""
        match = _TOKEN.match(self.raw, int(self.starts[token]))
        return match.group() if match else b""

    def text(self, token: int) -> str:
        """One token as text (for error messages)."""
        return self.token_bytes(token).decode("utf-8", errors="replace")


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file, or ``b""`` when it does not exist (a few microseconds a file).

    Raises:
        AlpickError: If the file exists but cannot be read.
    """
    try:
        fd = open_regular(path)  # a FIFO or device is refused, not waited on
    except FileNotFoundError:
        return b""
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) != size:  # a short read, or a file that grew: read on to the end
            chunks = [data]
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
            data = b"".join(chunks)
        return data
    except OSError as exc:
        raise AlpickError(f"{os.fspath(path)}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def tokenise(blobs: Sequence[bytes]) -> TokenTable:
    """Split the contents of several files into tokens and non-blank lines.

    Args:
        blobs: The raw bytes of each file (a leading UTF-8 byte-order mark is ignored).

    Returns:
        The token table; files without tokens simply have no lines.
    """
    blobs = [b[len(_BOM) :] if b.startswith(_BOM) else b for b in blobs]
    raw = b"\n".join(blobs)
    size = len(raw)
    buffer = np.zeros(size + _PAD, dtype=np.uint8)
    buffer[:size] = np.frombuffer(raw, dtype=np.uint8)
    text = buffer[:size]
    lengths = np.fromiter((len(b) + 1 for b in blobs), dtype=np.int64, count=len(blobs))
    file_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)

    solid = text > 32
    start_mask = solid.copy()
    start_mask[1:] &= ~solid[:-1]
    starts = np.flatnonzero(start_mask)

    # Lines: the tokens between two line feeds.
    newlines = np.flatnonzero(text == 10)
    line_bounds = np.concatenate([[0], newlines + 1, [size + 1]])
    first_token = np.searchsorted(starts, line_bounds)
    tokens_on_line = np.diff(first_token)
    line_global = np.flatnonzero(tokens_on_line)
    file_first_line = np.searchsorted(newlines, file_start)
    line_file = np.searchsorted(file_first_line, line_global, side="right") - 1
    return TokenTable(
        raw=raw,
        buffer=buffer,
        starts=starts.astype(np.int64),
        line_first=first_token[line_global].astype(np.int64),
        line_ntok=tokens_on_line[line_global].astype(np.int64),
        line_file=line_file.astype(np.int64),
        line_number=(line_global - file_first_line[line_file] + 1).astype(np.int64),
        n_files=len(blobs),
    )


def token_lengths(table: TokenTable, tokens: Int64Array) -> Int64Array:
    """Length in bytes of each of the given tokens, ``(K,)``."""
    if len(tokens) == 0:
        return np.zeros(0, np.int64)
    starts = table.starts[tokens]
    following = np.append(table.starts, len(table.raw))[tokens + 1]
    width = int((following - starts).max())  # a token ends before the next one starts
    if width > _PAD:
        return np.array([len(table.token_bytes(int(t))) for t in tokens], np.int64)
    chars = sliding_window_view(table.buffer, width)[starts]
    return np.logical_and.accumulate(chars > 32, axis=1).sum(1).astype(np.int64)


def check_number_chars(
    table: TokenTable, first_lengths: Int64Array, sources: Sequence[str], what: str
) -> None:
    """Check that every token after the first of each line looks like a number.

    A cheap lexical test (only ``0-9 . + - e E``) for columns that are read but not used; the
    first token of a line (a class name) may hold anything.

    Args:
        table: The token table.
        first_lengths: Length of the first token of each line, ``(L,)``.
        sources: File names, for error messages.
        what: The format, for error messages.

    Raises:
        AlpickError: ``FILE:LINE: ...`` naming the first offending token.
    """
    text = table.buffer
    number_like = (
        ((text >= 48) & (text <= 57))  # digits
        | (text == 46)  # .
        | (text == 43)  # +
        | (text == 45)  # -
        | ((text | 32) == 101)  # e E
        | (text <= 32)  # whitespace, and the zero padding
    )
    odd = np.flatnonzero(~number_like)
    if len(odd) == 0:
        return
    first_starts = table.starts[table.line_first]
    line = np.searchsorted(first_starts, odd, side="right") - 1
    inside = (line >= 0) & (odd < first_starts[np.maximum(line, 0)] + first_lengths[line])
    if not inside.all():
        pos = int(odd[np.flatnonzero(~inside)[0]])
        token = int(np.searchsorted(table.starts, pos, side="right") - 1)
        line_of_token = int(np.searchsorted(table.line_first, token, side="right") - 1)
        raise_at(table, sources, line_of_token, f"{what}: not a number: {table.text(token)!r}")


def to_float(
    table: TokenTable,
    tokens: Int64Array,
    token_line: Int64Array,
    sources: Sequence[str],
    what: str,
) -> NDArray[np.float64]:
    """Parse tokens as numbers; a bad one is an error naming its file and line.

    Plain decimals (``-12.34``, what every detector writes) are parsed with array arithmetic;
    anything else (exponents, ``+``) goes through numpy's own string-to-float conversion.

    Args:
        table: The token table.
        tokens: Indices of the tokens to parse, ``(K,)``.
        token_line: Index (into the table's lines) of the line of each token, ``(K,)``.
        sources: File names, for error messages.
        what: What the numbers are, for error messages (e.g. ``"KITTI"``).

    Returns:
        The values, ``(K,)`` float64, all finite.

    Raises:
        AlpickError: ``FILE:LINE: ...`` for the first token that is not a finite number.
    """
    k = len(tokens)
    values = np.zeros(k, np.float64)
    if k == 0:
        return values
    starts = table.starts[tokens]
    # Read the digits left to right into one exact integer (float64 holds 15 digits exactly),
    # then divide once by 10^(digits after the dot): a single correctly rounded operation, so
    # the result is the same as a full string-to-float parse.
    mantissa = np.zeros(k, np.float64)
    n_digits = np.zeros(k, np.int8)
    n_fraction = np.zeros(k, np.int8)
    n_dots = np.zeros(k, np.int8)
    odd = np.zeros(k, bool)  # a byte that has no place in a plain decimal
    alive = np.ones(k, bool)  # still inside the token
    negative = table.buffer[starts] == 45
    for j in range(_MAX_PLAIN_DIGITS + 2):
        c = table.buffer[starts + j]  # the j-th byte of every token (zero padding at the end)
        alive &= c > 32
        if not alive.any():
            break
        d = c - np.uint8(48)  # wraps around for bytes below "0"
        digit = alive & (d < 10)
        mantissa = np.where(digit, mantissa * 10 + d, mantissa)
        n_digits += digit
        n_fraction += digit & (n_dots > 0)
        dot = alive & (c == 46)
        n_dots += dot
        other = alive & ~digit & ~dot
        odd |= (other & ~negative) if j == 0 else other
    alive &= table.buffer[starts + _MAX_PLAIN_DIGITS + 2] > 32  # longer than a plain decimal
    plain = ~alive & ~odd & (n_digits >= 1) & (n_digits <= _MAX_PLAIN_DIGITS) & (n_dots <= 1)
    magnitude = mantissa / _POW10[np.minimum(n_fraction, _MAX_PLAIN_DIGITS)]
    values[plain] = np.where(negative, -magnitude, magnitude)[plain]
    other = np.flatnonzero(~plain)
    if len(other):
        values[other] = _to_float_slow(table, tokens[other], token_line[other], sources, what)
    return values


def to_str(
    table: TokenTable, tokens: Int64Array, lengths: Int64Array | None = None
) -> tuple[list[str], Int64Array]:
    """Distinct token texts in order of first appearance, and each token's index among them.

    Args:
        table: The token table.
        tokens: Indices of the tokens, ``(K,)``.
        lengths: Their lengths, if known (see :func:`token_lengths`).

    Raises:
        AlpickError: If a token is not valid UTF-8.
    """
    if len(tokens) == 0:
        return [], np.zeros(0, np.int64)
    lengths = token_lengths(table, tokens) if lengths is None else lengths
    width = int(lengths.max())
    if width > _PAD:
        text = np.array([table.token_bytes(int(t)) for t in tokens], dtype=f"S{width}")
    else:
        chars = sliding_window_view(table.buffer, width)[table.starts[tokens]]
        chars[np.arange(width) >= lengths[:, None]] = 0
        text = np.ascontiguousarray(chars).view(f"S{width}").reshape(-1)
    uniq, first, inverse = np.unique(text, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    try:
        names = [bytes(u).decode("utf-8") for u in uniq[order]]
    except UnicodeDecodeError as exc:
        raise AlpickError(f"a token is not valid UTF-8 text: {exc}") from None
    return names, rank[inverse.reshape(-1)].astype(np.int64)


def raise_at(table: TokenTable, sources: Sequence[str], line: int, message: str) -> NoReturn:
    """Raise ``AlpickError("FILE:LINE: message")`` for a line of the table."""
    source = sources[int(table.line_file[line])]
    raise AlpickError(f"{source}:{int(table.line_number[line])}: {message}")


def _to_float_slow(
    table: TokenTable,
    tokens: Int64Array,
    token_line: Int64Array,
    sources: Sequence[str],
    what: str,
) -> NDArray[np.float64]:
    raw = [table.token_bytes(int(t)) for t in tokens]
    text = np.array(raw, dtype=bytes)
    try:
        values = text.astype(np.float64)
    except ValueError:
        for k, item in enumerate(raw):
            try:
                np.array([item]).astype(np.float64)
            except ValueError:
                shown = item.decode("utf-8", errors="replace")
                raise_at(table, sources, int(token_line[k]), f"{what}: not a number: {shown!r}")
        raise  # pragma: no cover - astype failed but no single token did
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        k = int(bad[0])
        shown = raw[k].decode("utf-8", errors="replace")
        raise_at(table, sources, int(token_line[k]), f"{what}: not a finite number: {shown!r}")
    return values
