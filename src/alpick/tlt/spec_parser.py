"""The reader of :mod:`alpick.tlt.spec`: protobuf text format tokens and grammar.

Grammar (what TLT/TAO specs use, plus the rest of the text format that is cheap to accept)::

    block  := (field | comment | "," | ";")*
    field  := KEY ":" scalar | KEY [":"] ("{" block "}" | "<" block ">") | KEY [":"] "[" items "]"
    scalar := STRING+ | NUMBER | IDENT        (true/false -> bool, inf/nan -> float, else enum)

A list ``key: [a, b]`` becomes repeated ``key`` fields. Errors name the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alpick.errors import AlpickError
from alpick.tlt.spec import Block, Field, Ident, Scalar

__all__ = ["parse_into"]

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPES.update({c: c for c in "\\'\"?"})


def _unquote(token: str, line: int, source: str) -> str:
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt and nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[i + 1 :])
            assert digits is not None
            out.append(chr(int(digits.group(), 8)))
            i += 1 + len(digits.group())
        elif nxt and nxt in "xX" and re.match(r"[0-9a-fA-F]{1,2}", body[i + 2 :]):
            digits = re.match(r"[0-9a-fA-F]{1,2}", body[i + 2 :])
            assert digits is not None
            out.append(chr(int(digits.group(), 16)))
            i += 2 + len(digits.group())
        elif nxt == "u" and re.match(r"[0-9a-fA-F]{4}", body[i + 2 :]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            raise AlpickError(f"{source} line {line}: bad escape '\\{nxt}' in string")
    return "".join(out)


def _number(text: str) -> int | float:
    body = text.lstrip("-")
    sign = -1 if text.startswith("-") else 1
    if body[:2] in ("0x", "0X"):
        return sign * int(body, 16)
    if re.fullmatch(r"\d+", body):
        return sign * int(body)
    return sign * float(body.rstrip("fF"))


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<nl>\n)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fF]?)(?![A-Za-z_0-9]))
  | (?P<ident>-?[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[:{}<>\[\],;])
    """,
    re.VERBOSE,
)


@dataclass
class _Token:
    kind: str
    text: str
    line: int
    first_on_line: bool


def _tokenize(text: str, source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, line, first = 0, 1, True
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            snippet = text[pos : pos + 10].split("\n")[0]
            if text[pos] in "\"'":
                raise AlpickError(f"{source} line {line}: unterminated string")
            raise AlpickError(f"{source} line {line}: unexpected text {snippet!r}")
        kind = m.lastgroup
        assert kind is not None
        if kind == "nl":
            line, first = line + 1, True
        elif kind != "ws":
            tokens.append(_Token(kind, m.group(), line, first))
            first = False
        pos = m.end()
    return tokens


# ---------------------------------------------------------------- parser

_CLOSE = {"{": "}", "<": ">"}


class _Parser:
    def __init__(self, tokens: list[_Token], source: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.source = source

    def error(self, message: str, token: _Token | None = None) -> AlpickError:
        if token is None:
            token = self.peek() or (self.tokens[-1] if self.tokens else None)
        line = token.line if token else 1
        return AlpickError(f"{self.source} line {line}: {message}")

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of spec")
        self.pos += 1
        return token

    def block(self, into: Block, close: str | None) -> None:
        pending: list[str] = []
        last: Field | None = None
        last_line = -1
        while True:
            token = self.peek()
            if token is None:
                if close is not None:
                    raise self.error(f"missing '{close}' at end of spec")
                break
            if token.kind == "comment":
                self.pos += 1
                text = token.text.rstrip()
                if last is not None and not token.first_on_line and token.line == last_line:
                    last.inline_comment = text
                else:
                    pending.append(text)
                continue
            if token.kind == "punct" and token.text in (",", ";"):
                self.pos += 1
                continue
            if token.kind == "punct" and token.text in ("}", ">"):
                if close != token.text:
                    raise self.error(f"unexpected '{token.text}'", token)
                self.pos += 1
                break
            new = self.fields(pending)
            pending = []
            into.fields.extend(new)
            last = new[-1] if new else None
            last_line = self.tokens[self.pos - 1].line
        into.end_comments.extend(pending)

    def fields(self, comments: list[str]) -> list[Field]:
        key = self.take()
        if key.kind != "ident" or key.text.startswith("-"):
            raise self.error(f"expected a field name, got {key.text!r}", key)
        token = self.take()
        colon = token.kind == "punct" and token.text == ":"
        if colon:
            token = self.take()
        values: list[tuple[Scalar | Block, bool]]
        if token.kind == "punct" and token.text == "[":
            values = [(v, colon) for v in self.list_values(key.text)]
        elif token.kind == "punct" and token.text in _CLOSE:
            values = [(self.sub_block(token), colon)]
        elif not colon:
            raise self.error(f"expected ':' or '{{' after {key.text!r}", token)
        else:
            values = [(self.scalar(token), False)]
        out = [Field(key.text, v, colon=c) for v, c in values]
        if out:
            out[0].comments = comments
        return out

    def sub_block(self, opener: _Token) -> Block:
        child = Block()
        self.block(child, _CLOSE[opener.text])
        return child

    def list_values(self, key: str) -> list[Scalar | Block]:
        values: list[Scalar | Block] = []
        while True:
            token = self.take()
            if token.kind == "punct" and token.text == "]":
                return values
            if values:
                if not (token.kind == "punct" and token.text == ","):
                    raise self.error(f"expected ',' or ']' in the list of {key!r}", token)
                token = self.take()
            if token.kind == "punct" and token.text in _CLOSE:
                values.append(self.sub_block(token))
            else:
                values.append(self.scalar(token))

    def scalar(self, token: _Token) -> Scalar:
        if token.kind == "string":
            parts, literals = [_unquote(token.text, token.line, self.source)], [token.text]
            while (nxt := self.peek()) is not None and nxt.kind == "string":
                self.pos += 1
                parts.append(_unquote(nxt.text, nxt.line, self.source))
                literals.append(nxt.text)
            return Scalar("".join(parts), " ".join(literals))
        if token.kind == "number":
            return Scalar(_number(token.text), token.text)
        if token.kind == "ident":
            word = token.text
            low = word.lower().lstrip("-")
            if word in ("true", "True", "t"):
                return Scalar(True, word)
            if word in ("false", "False", "f"):
                return Scalar(False, word)
            if low in ("inf", "infinity", "nan"):
                return Scalar(float(word), word)
            if word.startswith("-"):
                raise self.error(f"bad value {word!r}", token)
            return Scalar(Ident(word), word)
        raise self.error(f"expected a value, got {token.text!r}", token)


def parse_into(block: Block, text: str, source: str) -> None:
    """Parse ``text`` into ``block`` (appending its fields).

    Raises:
        AlpickError: On malformed text, as ``<source> line N: ...``.
    """
    _Parser(_tokenize(text, source), source).block(block, None)
