"""Just enough of ClickHouse's lexer for the local front: split INSERT data, classify statements, vet SQL.

Shared by :mod:`cxpulse.stack.chserver` (where does the INSERT data start, what kind of statement is this) and
:mod:`cxpulse.stack.chpolicy` (does it call anything that reaches outside). For the latter, every place where this
lexer and ClickHouse's could disagree is a way to hide a call, so the rules follow the engine's (checked against
chDB 4.4 / ClickHouse 26.9): ``--`` and ``# ``/``#!`` comments to the end of the line, nested ``/* */``, strings and
quoted identifiers with backslash escapes and doubled quotes, and heredoc strings ``$tag$ … $tag$``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["Tok", "TokenStream", "Truncated", "token_text", "tokens"]

_WHITESPACE = frozenset(b" \t\n\r\f\v")
_WORD_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_") | frozenset(range(0x80, 0x100))
_WORD_CHARS = _WORD_START | frozenset(b"0123456789$")
_QUOTES = {ord("'"): "string", ord('"'): "ident", ord("`"): "ident"}
_BACKSLASH = 0x5C
_PUNCTUATION = {c: "open" for c in b"([{"} | {c: "close" for c in b")]}"} | {ord(";"): "semicolon"}
#: ``$$ … $$`` or ``$tag$ … $tag$``: a string literal in ClickHouse, whatever it contains.
_HEREDOC_TAG = re.compile(rb"\$[A-Za-z0-9_]*\$")


class Truncated(Exception):
    """A string, quoted identifier or comment runs past the end of the bytes seen so far."""


class Tok(NamedTuple):
    kind: str  # word | string | ident | open | close | semicolon | other
    start: int
    end: int


def tokens(buf: bytes) -> Iterator[Tok]:
    """ClickHouse-ish tokens; raises :class:`Truncated` when an unterminated literal or comment reaches the end."""
    i, n = 0, len(buf)
    while i < n:
        c = buf[i]
        if c in _WHITESPACE:
            i += 1
        elif buf.startswith(b"--", i) or buf.startswith(b"# ", i) or buf.startswith(b"#!", i):
            end = buf.find(b"\n", i)
            i = n if end < 0 else end + 1
        elif buf.startswith(b"/*", i):
            i = _skip_block_comment(buf, i)
        elif c in _QUOTES:
            end = _skip_quoted(buf, i)
            yield Tok(_QUOTES[c], i, end)
            i = end
        elif c == ord("$") and (tag := _HEREDOC_TAG.match(buf, i)) is not None:
            closing = buf.find(tag[0], tag.end())
            if closing < 0:
                raise Truncated
            yield Tok("string", i, closing + len(tag[0]))
            i = closing + len(tag[0])
        elif c in _WORD_CHARS:
            j = i + 1
            while j < n and buf[j] in _WORD_CHARS:
                j += 1
            yield Tok("word" if c in _WORD_START else "other", i, j)
            i = j
        else:
            yield Tok(_PUNCTUATION.get(c, "other"), i, i + 1)
            i += 1


def _skip_block_comment(buf: bytes, i: int) -> int:
    depth, i = 1, i + 2  # ClickHouse nests /* */ comments
    while depth:
        opening, closing = buf.find(b"/*", i), buf.find(b"*/", i)
        if closing < 0:
            raise Truncated
        if 0 <= opening < closing:
            depth, i = depth + 1, opening + 2
        else:
            depth, i = depth - 1, closing + 2
    return i


def _skip_quoted(buf: bytes, i: int) -> int:
    quote, i, n = buf[i], i + 1, len(buf)
    while i < n:
        c = buf[i]
        if c == _BACKSLASH:
            i += 2
        elif c == quote:
            if i + 1 < n and buf[i + 1] == quote:  # doubled quote
                i += 2
            else:
                return i + 1
        else:
            i += 1
    raise Truncated


def token_text(buf: bytes, tok: Tok) -> str:
    """The token's text; a quoted identifier without its quotes, a doubled quote inside it made single.

    Backslash escapes are left as they are: callers that must know the engine's exact name treat an identifier
    containing a backslash as suspect rather than decode it (ClickHouse decodes ``\\x66`` to ``f``).
    """
    raw = buf[tok.start : tok.end]
    if tok.kind == "ident":
        quote = raw[:1]
        return raw[1:-1].replace(quote + quote, quote).decode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


class TokenStream:
    """Tokens with one-token push-back, so a FORMAT/VALUES lookahead that does not pan out can be replayed."""

    def __init__(self, buf: bytes) -> None:
        self._tokens = tokens(buf)
        self._back: list[Tok] = []

    def next(self) -> Tok | None:
        return self._back.pop() if self._back else next(self._tokens, None)

    def push(self, tok: Tok) -> None:
        self._back.append(tok)
