"""A ClickHouse HTTP-protocol server in front of chDB: the local stack's ClickHouse.

chDB is the real ClickHouse engine in-process, but it allows one process per data directory and has no server
mode. This module is that one process: it owns the data directory and speaks ClickHouse's HTTP interface, so the
worker, the dashboard, the tests and curl use ``clickhouse-connect`` (or any HTTP client) exactly as against a
real server, and pointing ``CLICKHOUSE_URL`` at a real ClickHouse changes nothing for them.

Run it (SIGTERM/SIGINT stop it cleanly and unlock the directory; ``cxpulse stack up`` passes the password in
``$CHSERVER_PASSWORD`` instead of a file)::

    python -m cxpulse.stack.chserver --data-dir .cxpulse/clickhouse --host 127.0.0.1 --port 8123 \
        --password-file .cxpulse/secrets/clickhouse

Access (docs/security.md; the front runs with the operator's file permissions)
    * One user and password (``--user``, ``--password-file`` or ``$CHSERVER_PASSWORD``), checked in constant time on
      every query: HTTP Basic, ``X-ClickHouse-User``/``-Key`` or ``user``/``password`` parameters (:mod:`.chguard`).
      Nothing sent → 194 (401), wrong → 516 (403). ``/ping`` and ``GET /`` answer without, as on a server.
    * ``Host`` must name this server with its port; browser requests (``Origin``, ``Sec-Fetch-*``) are refused;
      listening beyond loopback needs ``--allow-remote-bind``.
    * SQL that reaches the file system, the network or the process is refused with 497 (:mod:`.chpolicy`), and the
      engine is confined at start (:mod:`.chconfine`). VALUES data is parsed as literals only.

Supported, as ClickHouse 26.x does it
    * ``GET /``, ``/ping``, ``/replicas_status`` → ``Ok.``; queries on any path by GET or POST (HTTP/1.1 keep-alive,
      chunked or sized bodies, ``Expect: 100-continue``; over ``--max-body-size`` → 413).
    * The query is the ``query`` parameter, a newline, then the body. ``INSERT … FORMAT <fmt>`` or ``VALUES``
      streams the rest of the body into chDB's streaming insert, in any input format. Multi-statements (62),
      ``INTO OUTFILE`` (358) and ``FROM INFILE`` (78) are refused like a server refuses them.
    * GET, or a ``readonly`` parameter, is read-only (164): SELECT-like statements, SET, USE and
      CREATE TEMPORARY TABLE only.
    * Request ``Content-Encoding`` zstd, lz4 (any number of concatenated frames), gzip, deflate, xz, bz2, plus
      ``decompress=1`` (ClickHouse's own blocks: none/LZ4/ZSTD; checksums are not verified).
    * ``database``, ``default_format`` (and the ``X-ClickHouse-Database``/``-Format`` headers), ``param_<name>``,
      ``query_id`` (one running at a time → 216), sessions (``session_id``, ``session_timeout``,
      ``session_check``, ``close_session``: SET, USE and temporary tables persist, one request at a time → 373;
      URL settings last one query), ``wait_end_of_query``, ``enable_http_compression`` with ``Accept-Encoding``
      (ClickHouse's order zstd > lz4 > gzip > deflate > xz > bz2, ``q=0`` honoured, one frame per response),
      multipart/form-data (``query``/``param_*`` fields and external tables).
    * Every other parameter is a setting, applied with ``SET`` on the query's own connection (an unknown one
      fails with 115 as on a server). These real settings only steer HTTP, so the server consumes them instead:
      ``enable_http_compression``, ``http_zlib_compression_level``, ``send_progress_in_http_headers``,
      ``http_headers_progress_interval_ms``, ``cancel_http_readonly_queries_on_client_close``,
      ``http_wait_end_of_query``, ``http_response_buffer_size``, ``add_http_cors_header``,
      ``http_native_compression_disable_checksumming_on_decompress``, ``http_write_exception_in_output_format``,
      and ``readonly`` (enforced as for GET: chDB cannot lower ``readonly`` again on a session's connection).
    * Response headers ``X-ClickHouse-Query-Id``, ``-Format``, ``-Timezone`` (UTC: the engine is pinned to it),
      ``-Summary`` (the engine's counters), ``-Server-Display-Name``, ``-Exception-Code``; ``Content-Type`` per
      format. Errors read ``Code: N. DB::Exception: … (NAME) (version …)`` with ClickHouse's HTTP status per code.
    * Without ``wait_end_of_query``, SELECT results in row formats (Native, TSV, CSV, JSONEachRow, RowBinary…)
      stream: the first MiB is held back as ClickHouse does, so small results still go out whole with a complete
      summary; longer ones are chunked, and an error after the headers is marked ``__exception__`` with the
      ``X-ClickHouse-Exception-Tag`` (ClickHouse 25.11+). Everything else is sent whole, from chDB's buffer.

Not supported
    Several users and grants (one user for now), ``compress=1`` responses (they need
    CityHash checksums: answered 501), progress headers, cancelling a query whose client went away, ``KILL QUERY``
    by HTTP query id (chDB assigns its own ids), brotli and snappy, ``client_protocol_version`` (ignored, so
    clickhouse-connect's probe falls back to protocol 0, which it fully supports), HEAD/OPTIONS.

chDB quirks found on the way (chdb 4.4.0, ClickHouse 26.9.2.1)
    * The time zone is fixed when ``chdb`` is first imported, from ``TZ``: set ``TZ=UTC`` before the import.
    * ``Connection.query`` takes no data. ``send_insert(sql, fmt)`` streams any input format without a temp file,
      but wants the SQL *without* its ``FORMAT`` clause (117 otherwise); it takes ``SETTINGS`` and ``VALUES`` data.
    * Connections are cheap (≈0.3 ms) and isolated (settings, current database, temporary tables); queries on
      separate connections run in parallel with the GIL released. The engine stops when its last connection
      closes, so an anchor connection stays open for the server's lifetime.
    * ``send_query`` streams SELECTs only (SHOW, DESCRIBE… fail with 36), and only header-less row formats come
      out byte-identical to ``query``: JSON, Arrow, CSVWithNames, RowBinaryWithNamesAndTypes… repeat their
      header per chunk.
    * Error texts are sometimes nested (``Code: 73. DB::Exception: Code: 73. DB::Exception: …``), prefixed
      (``Streaming insert finish failed:``) or already carry ``(version …)``: they are normalised here. A locked
      data directory surfaces only as "Error initializing EmbeddedServer" (the reason goes to stderr).
    * ``readonly`` cannot be lowered again on a connection (164); chDB runs multi-statements and
      ``INTO OUTFILE``, which a server refuses over HTTP: these rules are enforced here instead.
    * Format names are case-insensitive, and ``DataFrame``/``ArrowTable`` make the Python API return Python
      objects: only formats from ``system.formats`` are accepted.
    * Reading ``system.settings`` costs ≈8 ms, ``getSetting()`` ≈0.2 ms: sessions snapshot settings with the latter.
    * Native output keeps ``LowCardinality`` columns, and is 0 bytes for an empty result.
"""

from __future__ import annotations

import argparse
import bz2
import contextlib
import email.parser
import email.policy
import json
import logging
import lzma
import os
import re
import secrets
import signal
import socket
import struct
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

import lz4.block
import lz4.frame
import zstandard

from cxpulse.errors import CxpulseError
from cxpulse.stack.chconfine import ConfinementError, build_policy, confine
from cxpulse.stack.cherrors import (
    BAD_ARGUMENTS,
    CANNOT_DECOMPRESS,
    CANNOT_SCHEDULE_TASK,
    HTTP_LENGTH_REQUIRED,
    INTO_OUTFILE_NOT_ALLOWED,
    INVALID_SESSION_TIMEOUT,
    NOT_IMPLEMENTED,
    QUERY_IS_TOO_LARGE,
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING,
    READONLY,
    SESSION_IS_LOCKED,
    SESSION_NOT_FOUND,
    SYNTAX_ERROR,
    UNKNOWN_COMPRESSION_METHOD,
    UNKNOWN_EXCEPTION,
    UNKNOWN_FORMAT,
    UNKNOWN_SETTING,
    UNKNOWN_TYPE_OF_QUERY,
    ClickHouseError,
)
from cxpulse.stack.chguard import PASSWORD_ENV, AccessConfig, AccessGuard, Credentials, check_bind_host
from cxpulse.stack.chlex import TokenStream, Truncated, token_text
from cxpulse.stack.chpolicy import VALUES_LITERALS_ONLY, QueryPolicy

if TYPE_CHECKING:
    from chdb.state.sqlitelike import Connection

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_PORT",
    "PASSWORD_ENV",
    "ChRequestHandler",
    "ChServer",
    "ChServerError",
    "ClickHouseError",
    "ConnectionPool",
    "Engine",
    "Format",
    "HttpOptions",
    "InsertSplit",
    "Session",
    "SessionStore",
    "SqlShape",
    "describe_sql",
    "locate_insert_data",
    "main",
    "negotiate_encoding",
    "serve",
]

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8123
DEFAULT_MAX_BODY_SIZE = 256 * 1024 * 1024
SERVER_TIMEZONE = "UTC"
DEFAULT_OUTPUT_FORMAT = "TabSeparated"
DEFAULT_EXTERNAL_FORMAT = "TabSeparated"
DEFAULT_USER = "default"
DEFAULT_DATABASE = "default"
#: ClickHouse's defaults for ``max_query_size`` (the SQL in front of INSERT data) and session timeouts.
DEFAULT_MAX_QUERY_SIZE = 262_144
DEFAULT_SESSION_TIMEOUT_S = 60
MAX_SESSION_TIMEOUT_S = 3600
DEFAULT_HTTP_COMPRESSION_LEVEL = 3
KEEP_ALIVE_TIMEOUT_S = 30
READ_CHUNK_SIZE = 1024 * 1024
SHUTDOWN_GRACE_S = 10.0
STOP_POLL_S = 0.5
LISTEN_BACKLOG = 128
POOL_SIZE = 16
EXCEPTION_TAG_BYTES = 8
#: ClickHouse holds back the first DBMS_DEFAULT_BUFFER_SIZE bytes of a result before sending headers.
STREAM_BUFFER_SIZE = 1024 * 1024
SQL_LOG_CHARS = 200
NS_PER_S = 1_000_000_000
MS_PER_S = 1000


class ChServerError(CxpulseError):
    """The server cannot start: data directory locked or unusable."""


# --------------------------------------------------------------------------------------------------------------
# SQL scanning: just enough lexing to split "INSERT … FORMAT x" from its data and to classify a statement.
# --------------------------------------------------------------------------------------------------------------

#: Statements that return rows (ClickHouse's ASTQueryWithOutput), so they get a FORMAT and X-ClickHouse-Format.
_ROW_KEYWORDS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "CHECK", "KILL", "("})
#: What GET (readonly=2) may run: reads, plus changing settings/database and temporary tables.
_READONLY_KEYWORDS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "(", "SET", "USE"})
#: Statements that change the session itself, so they must run without the per-query URL settings.
_SESSION_KEYWORDS = frozenset({"SET", "USE"})


@dataclass(frozen=True)
class InsertSplit:
    """Where an INSERT's SQL ends and its inline data begins (ClickHouse's ParserInsertQuery rules)."""

    sql_end: int  # start of the FORMAT/VALUES keyword: send_insert wants the SQL without it
    data_start: int
    format: str


def locate_insert_data(
    buf: bytes, *, final: bool, input_formats: Container[str] | None = None
) -> InsertSplit | bool | None:
    """Find inline INSERT data in ``query param + newline + body``.

    Returns the split, ``False`` when the statement carries no inline data (not an INSERT, INSERT SELECT, …),
    or ``None`` when ``buf`` ends too early to tell and more body is coming (``final`` is false). Only the bytes up
    to the decision are looked at, so binary data after ``FORMAT Native`` is never lexed.

    :param input_formats: lower-cased input format names; a ``FORMAT x`` whose ``x`` is not one is taken for an
        identifier (a table or column called ``format``).
    """
    stream = TokenStream(buf)
    try:
        first = stream.next()
        if first is None or (first.end == len(buf) and not final):
            return None if not final else False
        if first.kind != "word" or token_text(buf, first).upper() != "INSERT":
            return False
        depth, previous = 0, ""
        while (tok := stream.next()) is not None:
            if tok.kind == "open":
                depth += 1
            elif tok.kind == "close":
                depth = max(0, depth - 1)
            elif tok.kind == "semicolon" and depth == 0:
                return False
            elif tok.kind == "word" and depth == 0:
                word = token_text(buf, tok).upper()
                if word in ("SELECT", "WITH") or (word == "INFILE" and previous == "FROM"):
                    return False
                if word == "FORMAT":
                    name = stream.next()
                    if name is None or (name.end == len(buf) and not final):
                        return None if not final else False
                    fmt = token_text(buf, name)
                    if name.kind in ("word", "ident") and (input_formats is None or fmt.lower() in input_formats):
                        data_start = _data_start(buf, name.end, final)
                        return None if data_start is None else InsertSplit(tok.start, data_start, fmt)
                    stream.push(name)
                elif word == "VALUES":
                    follow = stream.next()
                    if follow is None:
                        return None if not final else InsertSplit(tok.start, len(buf), "Values")
                    if follow.kind == "open":
                        return InsertSplit(tok.start, follow.start, "Values")
                    stream.push(follow)
                previous = word
    except Truncated:
        return None if not final else False
    return None if not final else False


def _data_start(buf: bytes, pos: int, final: bool) -> int | None:
    """After the format name: skip blanks, then one line break, exactly as ClickHouse does."""
    if buf[pos : pos + 1] == b";":
        raise ClickHouseError(
            SYNTAX_ERROR,
            "You have excessive ';' symbol before data for INSERT. Note that there is no ';' just after format "
            "name, you need to put at least one whitespace symbol before the data",
        )
    n = len(buf)
    while pos < n and buf[pos] in b" \t\f":
        pos += 1
    if pos == n and not final:
        return None
    if buf[pos : pos + 1] == b"\r":
        pos += 1
    if pos == n and not final:
        return None
    if buf[pos : pos + 1] == b"\n":
        pos += 1
    return pos


@dataclass(frozen=True)
class SqlShape:
    """What the server must know about a complete statement before running it."""

    keyword: str  # first keyword upper-cased; "(" for a parenthesised SELECT; "" for an empty query
    statements: int
    output_format: str | None = None  # the statement's own top-level FORMAT clause
    second_keyword: str = ""
    into_outfile: bool = False
    from_infile: bool = False
    extra_statement_at: int = -1  # offset of the first ';' that is followed by another statement

    @property
    def returns_rows(self) -> bool:
        return self.keyword in _ROW_KEYWORDS

    @property
    def creates_temporary(self) -> bool:
        return (self.keyword, self.second_keyword) == ("CREATE", "TEMPORARY")

    @property
    def read_only(self) -> bool:
        return self.keyword in _READONLY_KEYWORDS or self.creates_temporary

    @property
    def changes_session(self) -> bool:
        return self.keyword in _SESSION_KEYWORDS


def describe_sql(sql: bytes, output_formats: Mapping[str, str] | None = None) -> SqlShape:
    """Classify a complete SQL text (no inline data).

    :param output_formats: lower-cased name → canonical name of output formats; ``FORMAT x`` counts only if ``x``
        is one, which keeps a column called ``format`` from being taken for a clause.
    """
    stream = TokenStream(sql)
    keyword = second = ""
    statements, depth, previous, semicolon_at, extra_at = 0, 0, "", -1, -1
    output_format: str | None = None
    into_outfile = from_infile = False
    try:
        while (tok := stream.next()) is not None:
            if tok.kind == "semicolon" and depth == 0:
                semicolon_at = tok.start if semicolon_at < 0 else semicolon_at
                continue
            if semicolon_at >= 0 or statements == 0:
                statements += 1
                if statements == 2:
                    extra_at = semicolon_at
                semicolon_at = -1
                if statements == 1:
                    keyword = token_text(sql, tok).upper() if tok.kind == "word" else sql[tok.start : tok.end].decode()
                    continue
            if statements > 1:
                continue
            if tok.kind == "open":
                depth += 1
            elif tok.kind == "close":
                depth = max(0, depth - 1)
            elif tok.kind == "word":
                word = token_text(sql, tok).upper()
                second = second or word
                if depth == 0:
                    into_outfile = into_outfile or (word == "OUTFILE" and previous == "INTO")
                    from_infile = from_infile or (word == "INFILE" and previous == "FROM")
                    if word == "FORMAT" and output_formats is not None and (name := stream.next()) is not None:
                        canonical = output_formats.get(token_text(sql, name).lower())
                        if name.kind in ("word", "ident") and canonical:
                            output_format = canonical
                        else:
                            stream.push(name)
                previous = word
    except Truncated:
        pass  # let the engine report the unterminated literal with its own message
    return SqlShape(keyword, statements, output_format, second, into_outfile, from_infile, extra_at)


# --------------------------------------------------------------------------------------------------------------
# Request bodies: transfer framing, Content-Encoding, ClickHouse native blocks.
# --------------------------------------------------------------------------------------------------------------


class _BodyReader:
    """One request body, Content-Length or chunked, read piecewise and capped so nothing is held whole."""

    def __init__(self, rfile: BinaryIO, headers: Mapping[str, str], method: str, limit: int) -> None:
        self._rfile = rfile
        self._limit = limit
        self._read = 0
        self._chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        self._chunk_left = 0
        self.eof = False
        length = headers.get("Content-Length")
        if self._chunked:
            self._remaining = 0
        elif length is not None:
            try:
                self._remaining = int(length)
            except ValueError:
                raise ClickHouseError(BAD_ARGUMENTS, f"Invalid Content-Length: {length!r}") from None
            if self._remaining > limit:
                raise _too_large(self._remaining, limit)
            self.eof = self._remaining == 0
        elif method == "POST":
            raise ClickHouseError(
                HTTP_LENGTH_REQUIRED,
                "The Transfer-Encoding is not chunked and there is no Content-Length header for POST request",
            )
        else:
            self._remaining, self.eof = 0, True

    def read(self, size: int = READ_CHUNK_SIZE) -> bytes:
        """Up to ``size`` bytes; ``b""`` only at the end of the body."""
        if self.eof:
            return b""
        data = self._read_chunked(size) if self._chunked else self._read_plain(size)
        self._read += len(data)
        if self._read > self._limit:
            raise _too_large(self._read, self._limit)
        return data

    def chunks(self) -> Iterator[bytes]:
        while data := self.read():
            yield data

    def drain(self) -> None:
        """Consume what the handler did not, so the next request on a keep-alive connection starts cleanly."""
        while self.read():
            pass

    def _read_plain(self, size: int) -> bytes:
        data = self._rfile.read(min(size, self._remaining))
        if not data:
            raise ConnectionError("client closed the connection mid-body")
        self._remaining -= len(data)
        self.eof = self._remaining == 0
        return data

    def _read_chunked(self, size: int) -> bytes:
        if self._chunk_left == 0:
            line = self._rfile.readline(READ_CHUNK_SIZE)
            try:
                self._chunk_left = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ClickHouseError(BAD_ARGUMENTS, "Malformed chunked request body") from None
            if self._chunk_left == 0:
                while self._rfile.readline(READ_CHUNK_SIZE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self.eof = True
                return b""
        data = self._rfile.read(min(size, self._chunk_left))
        if not data:
            raise ConnectionError("client closed the connection mid-chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._rfile.readline(READ_CHUNK_SIZE)  # the CRLF closing the chunk
        return data


def _too_large(size: int, limit: int) -> ClickHouseError:
    message = f"Request body of {size} bytes exceeds this server's limit of {limit} bytes (--max-body-size)"
    return ClickHouseError(QUERY_IS_TOO_LARGE, message)


class _Decompressor(Protocol):
    eof: bool
    unused_data: bytes

    def decompress(self, data: bytes) -> bytes: ...


_REQUEST_DECODERS: dict[str, Callable[[], _Decompressor]] = {
    "gzip": lambda: zlib.decompressobj(wbits=16 + zlib.MAX_WBITS),
    "x-gzip": lambda: zlib.decompressobj(wbits=16 + zlib.MAX_WBITS),
    "deflate": lambda: zlib.decompressobj(wbits=zlib.MAX_WBITS),
    "zstd": lambda: zstandard.ZstdDecompressor().decompressobj(),
    "lz4": lz4.frame.LZ4FrameDecompressor,
    "xz": lzma.LZMADecompressor,
    "bz2": bz2.BZ2Decompressor,
}
_KNOWN_BUT_UNAVAILABLE = ("br", "snappy")
#: What the decoders raise on corrupt input (lz4.frame raises RuntimeError, bz2 OSError).
_DECODE_ERRORS = (zlib.error, lzma.LZMAError, OSError, RuntimeError, zstandard.ZstdError)


def _decode_body(chunks: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    """Undo Content-Encoding, frame after frame: clients (clickhouse-connect's lz4) concatenate many."""
    name = encoding.strip().lower()
    if name in ("", "identity", "none"):
        yield from chunks
        return
    factory = _REQUEST_DECODERS.get(name)
    if factory is None:
        supported = ", ".join(sorted(_REQUEST_DECODERS))
        detail = "is not available in chserver" if name in _KNOWN_BUT_UNAVAILABLE else "is unknown"
        raise ClickHouseError(NOT_IMPLEMENTED, f"Compression method '{name}' {detail}; supported: {supported}")
    decoder, fed = factory(), False
    for chunk in chunks:
        while chunk:
            fed = True
            try:
                out = decoder.decompress(chunk)
            except _DECODE_ERRORS as exc:
                raise ClickHouseError(CANNOT_DECOMPRESS, f"Cannot decompress {name} request body: {exc}") from None
            if out:
                yield out
            chunk = b""
            if decoder.eof:
                chunk, decoder, fed = decoder.unused_data, factory(), False
    if fed and not decoder.eof:
        raise ClickHouseError(CANNOT_DECOMPRESS, f"Truncated {name} request body")


#: A native block: a 16-byte CityHash128 checksum, then method, compressed size (header included) and
#: uncompressed size, then the payload.
_NATIVE_CHECKSUM_SIZE = 16
_NATIVE_HEADER = struct.Struct("<BII")
_NATIVE_NONE, _NATIVE_LZ4, _NATIVE_ZSTD = 0x02, 0x82, 0x90


def _native_blocks(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """ClickHouse's own block compression (``decompress=1``); CityHash checksums are not verified."""
    buf = bytearray()
    prefix = _NATIVE_CHECKSUM_SIZE + _NATIVE_HEADER.size
    for chunk in chunks:
        buf += chunk
        while len(buf) >= prefix:
            method, compressed, size = _NATIVE_HEADER.unpack_from(buf, _NATIVE_CHECKSUM_SIZE)
            if compressed < _NATIVE_HEADER.size or size > limit:
                raise ClickHouseError(CANNOT_DECOMPRESS, "Corrupted compressed block header")
            end = _NATIVE_CHECKSUM_SIZE + compressed
            if len(buf) < end:
                break
            payload = bytes(buf[prefix:end])
            del buf[:end]
            yield _native_decompress(method, payload, size)
    if buf:
        raise ClickHouseError(CANNOT_DECOMPRESS, "Truncated compressed block")


def _native_decompress(method: int, payload: bytes, size: int) -> bytes:
    try:
        if method == _NATIVE_NONE:
            return payload
        if method == _NATIVE_LZ4:
            return lz4.block.decompress(payload, uncompressed_size=size)
        if method == _NATIVE_ZSTD:
            return zstandard.ZstdDecompressor().decompress(payload, max_output_size=size)
    except (lz4.block.LZ4BlockError, zstandard.ZstdError) as exc:
        raise ClickHouseError(CANNOT_DECOMPRESS, f"Cannot decompress block: {exc}") from None
    raise ClickHouseError(UNKNOWN_COMPRESSION_METHOD, f"Unknown compression method 0x{method:02x}")


# --------------------------------------------------------------------------------------------------------------
# Response compression.
# --------------------------------------------------------------------------------------------------------------

#: ClickHouse's preference order (CompressionMethod.cpp), minus brotli and snappy which we cannot produce.
_RESPONSE_ENCODINGS = ("zstd", "lz4", "gzip", "deflate", "xz", "bz2")
_MAX_DEFLATE_LEVEL = 9


class _Encoder(Protocol):
    def compress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class _Lz4FrameEncoder:
    """One LZ4 frame across all chunks: clickhouse-connect decodes a response with a single frame decoder."""

    def __init__(self) -> None:
        self._compressor = lz4.frame.LZ4FrameCompressor()
        self._header = self._compressor.begin()

    def compress(self, data: bytes) -> bytes:
        header, self._header = self._header, b""
        return header + self._compressor.compress(data)

    def flush(self) -> bytes:
        header, self._header = self._header, b""
        return header + self._compressor.flush()


def _new_encoder(name: str, level: int) -> _Encoder:
    if name == "zstd":
        return zstandard.ZstdCompressor(level=level).compressobj()
    if name == "lz4":
        return _Lz4FrameEncoder()
    level = min(max(level, 1), _MAX_DEFLATE_LEVEL)  # zlib, xz and bz2 all take 1..9
    if name in ("gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if name == "gzip" else zlib.MAX_WBITS
        return zlib.compressobj(level, zlib.DEFLATED, wbits)
    if name == "xz":
        return lzma.LZMACompressor(preset=level)
    return bz2.BZ2Compressor(level)


def negotiate_encoding(accept_encoding: str) -> str | None:
    """The response encoding for an ``Accept-Encoding`` header: server preference order, ``q=0`` excluded."""
    offered: dict[str, float] = {}
    for item in accept_encoding.split(","):
        token, *params = item.split(";")
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if token.strip():
            offered[token.strip().lower()] = quality
    wildcard = offered.get("*")
    for name in _RESPONSE_ENCODINGS:
        quality = offered.get(name, wildcard)
        if quality is not None and quality > 0:
            return name
    return None


# --------------------------------------------------------------------------------------------------------------
# The engine and its sessions.
# --------------------------------------------------------------------------------------------------------------

_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: chDB's Python API turns these "formats" into Python objects; a real server has no such formats.
_PYTHON_ONLY_FORMATS = frozenset({"dataframe", "arrowtable", "datastore", "debug"})


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _set_statement(values: Mapping[str, str | None]) -> str:
    """One ``SET`` for many settings (chDB applies it atomically); ``None`` restores the default."""
    parts = []
    for name, value in values.items():
        if not _SETTING_NAME.fullmatch(name):
            raise ClickHouseError(UNKNOWN_SETTING, f"Unknown setting '{name}'")
        parts.append(f"{name} = {'DEFAULT' if value is None else _quote(value)}")
    return "SET " + ", ".join(parts)


def _run(conn: Connection, sql: str, fmt: str = DEFAULT_OUTPUT_FORMAT, params: Mapping[str, str] | None = None) -> Any:
    try:
        return conn.query(sql, fmt, params=dict(params or {}))
    except Exception as exc:  # chDB raises ChdbError/RuntimeError carrying ClickHouse's text
        raise ClickHouseError.from_engine(exc) from None


def _pin_utc() -> None:
    """chDB reads the time zone once, when first imported: pin it so DateTime round-trips through UTC."""
    if "chdb" not in sys.modules:
        os.environ["TZ"] = SERVER_TIMEZONE
        time.tzset()


@dataclass(frozen=True)
class Format:
    """A format as the engine spells it, with the Content-Type a server answers it with."""

    name: str
    content_type: str


class Engine:
    """The process's single chDB engine on one data directory (chDB allows no second one), and its catalogue."""

    def __init__(self, data_dir: Path) -> None:
        _pin_utc()
        import chdb  # noqa: PLC0415 - must follow _pin_utc(); importing chdb starts an engine

        self.data_dir = data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._connect = chdb.connect
        try:
            self._anchor = chdb.connect(str(self.data_dir))  # keeps the engine up between requests
        except Exception as exc:
            reason = ClickHouseError.from_engine(exc).message.strip(" .")
            raise ChServerError(
                f"cannot open chDB on {self.data_dir} ({reason}); chDB allows one process per data directory: "
                "is another chserver or chDB user running on it?"
            ) from None
        try:
            version, zone = _run(self._anchor, "SELECT version(), timezone()", "TSV").bytes().decode().split()
            self.input_formats, self.output_formats = _formats(self._anchor)
            self.policy = build_policy(self._query)
            confine(self._query, self.policy)  # before any client: no Filesystem database, nothing reaching outside
        except (ConfinementError, ClickHouseError) as exc:
            self.close()
            raise ChServerError(f"cannot confine chDB on {self.data_dir}, refusing to serve it: {exc}") from None
        except BaseException:
            self.close()
            raise
        self.version = version
        self.timezone = SERVER_TIMEZONE
        self.output_format_names = {key: fmt.name for key, fmt in self.output_formats.items()}
        self._base_settings: dict[str, str | None] = {}
        if zone not in (SERVER_TIMEZONE, "Etc/UTC"):
            logger.warning("chdb was imported before TZ=%s was set (engine zone %s)", SERVER_TIMEZONE, zone)
            self._base_settings["session_timezone"] = SERVER_TIMEZONE

    def _query(self, sql: str) -> str:
        return str(_run(self._anchor, sql, "TSV").bytes().decode())

    def connect(self) -> Connection:
        """A fresh connection: settings, current database and temporary tables are private to it."""
        try:
            conn = self._connect(str(self.data_dir))
        except Exception as exc:
            raise ClickHouseError.from_engine(exc) from None
        if self._base_settings:
            _run(conn, _set_statement(self._base_settings))
        return conn

    def close(self) -> None:
        """Close the anchor; with every other connection closed the engine stops and unlocks the directory."""
        with contextlib.suppress(Exception):
            self._anchor.close()


def _formats(conn: Connection) -> tuple[dict[str, Format], dict[str, Format]]:
    """Input and output formats by lower-cased name (ClickHouse resolves format names case-insensitively)."""
    inputs: dict[str, Format] = {}
    outputs: dict[str, Format] = {}
    rows = _run(conn, "SELECT name, is_input, is_output, content_type FROM system.formats", "JSONEachRow")
    for line in rows.bytes().splitlines():
        row = json.loads(line)
        key = row["name"].lower()
        if key in _PYTHON_ONLY_FORMATS:
            continue
        fmt = Format(row["name"], row["content_type"] or "text/plain; charset=UTF-8")
        if row["is_input"]:
            inputs[key] = fmt
        if row["is_output"]:
            outputs[key] = fmt
    return inputs, outputs


def _apply_query_state(conn: Connection, settings: Mapping[str, str], database: str | None) -> None:
    """Give a fresh connection the request's settings and default database."""
    if settings:
        _run(conn, _set_statement(settings))
    if database:
        _run(conn, f"USE {_quote_identifier(database)}")


class Session:
    """A named HTTP session: one connection whose SET/USE/temporary tables persist between requests.

    URL settings apply to one query only (as on a server), but clickhouse-connect sends the same ones every time,
    so they are left applied and only undone when a later request stops sending them (or runs SET/USE).
    """

    def __init__(self, key: tuple[str, str], conn: Connection, timeout_s: int, *, pristine: bool = False) -> None:
        self.key = key
        self.conn = conn
        self.timeout_s = timeout_s
        self._pristine = pristine  # its own state is the defaults: restore with DEFAULT, no need to look
        self.last_used = time.monotonic()
        self.lock = threading.Lock()
        self._overlay: dict[str, tuple[str, str | None]] = {}  # name → (applied, session's own value)
        self._database: tuple[str, str] | None = None  # (applied, session's own)

    def apply(self, settings: Mapping[str, str], database: str | None) -> None:
        """Make the connection carry exactly these URL settings and database over the session's own state."""
        fresh = [name for name in settings if name not in self._overlay]
        own = self._snapshot(fresh)
        changes = {name: own_value for name, (_, own_value) in self._overlay.items() if name not in settings}
        changes |= {name: value for name, value in settings.items() if name in fresh or self._overlay[name][0] != value}
        if changes:
            _run(self.conn, _set_statement(changes))  # one atomic SET: if it fails, the overlay is still accurate
        self._overlay = {
            name: (value, self._overlay[name][1] if name in self._overlay else own[name])
            for name, value in settings.items()
        }
        self._use(database)

    def reset(self) -> None:
        """Undo URL settings/database so a SET or USE lands on the session's own state."""
        self.apply({}, None)

    def _use(self, database: str | None) -> None:
        applied, own = self._database or (None, None)
        if database == applied:
            return
        if database is None:
            _run(self.conn, f"USE {_quote_identifier(own or DEFAULT_DATABASE)}")
            self._database = None
            return
        own = own or self._current_database()
        _run(self.conn, f"USE {_quote_identifier(database)}")
        self._database = (database, own)

    def _current_database(self) -> str:
        if self._pristine:
            return DEFAULT_DATABASE
        return _run(self.conn, "SELECT currentDatabase()", "TSV").bytes().decode().strip()

    def _snapshot(self, names: list[str]) -> dict[str, str | None]:
        """The session's own values of settings about to be overridden; None means "the default"."""
        if not names or self._pristine:
            return dict.fromkeys(names)
        if not all(_SETTING_NAME.fullmatch(n) for n in names):
            return dict.fromkeys(names)  # the SET that follows reports the bad name
        sql = "SELECT " + ", ".join(f"toString(getSetting({_quote(n)}))" for n in names)
        try:
            values = json.loads(_run(self.conn, sql, "JSONCompactEachRow").bytes())
        except ClickHouseError:
            return dict.fromkeys(names)  # unknown setting: the SET that follows reports it properly
        return dict(zip(names, values, strict=True))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


class ConnectionPool:
    """Warm connections for session-less requests: a fresh one costs ≈1 ms more per query than a reused one.

    A pooled connection is an anonymous :class:`Session`, so the previous request's URL settings and database
    are undone by the next ``apply``; statements that would leave other state behind never get one.
    """

    def __init__(self, engine: Engine, size: int = POOL_SIZE) -> None:
        self._engine = engine
        self._size = size
        self._idle: list[Session] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def connection(self, settings: Mapping[str, str], database: str | None) -> Iterator[Connection]:
        with self._lock:
            pooled = self._idle.pop() if self._idle else None
        pooled = pooled or Session(("", ""), self._engine.connect(), timeout_s=0, pristine=True)
        reusable = False
        try:
            pooled.apply(settings, database)
            yield pooled.conn
            reusable = True
        finally:
            with self._lock:
                if reusable and len(self._idle) < self._size:
                    self._idle.append(pooled)
                    pooled = None
            if pooled is not None:
                pooled.close()  # after an error its state is unknown

    def close_all(self) -> None:
        with self._lock:
            for pooled in self._idle:
                pooled.close()
            self._idle.clear()


class SessionStore:
    """Sessions by (user, session_id), expired lazily; a session serves one request at a time like a server's."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions: dict[tuple[str, str], Session] = {}
        self._lock = threading.Lock()

    def acquire(self, user: str, session_id: str, timeout_s: int, check: bool) -> Session:
        key = (user, session_id)
        with self._lock:
            self._expire()
            session = self._sessions.get(key)
            if session is None:
                if check:
                    raise ClickHouseError(SESSION_NOT_FOUND, f"Session {session_id} not found")
                session = self._sessions[key] = Session(key, self._engine.connect(), timeout_s)
            if not session.lock.acquire(blocking=False):
                raise ClickHouseError(SESSION_IS_LOCKED, f"Session {session_id} is locked by a concurrent client")
            session.timeout_s = timeout_s
            return session

    def release(self, session: Session, *, close: bool) -> None:
        with self._lock:
            session.last_used = time.monotonic()
            if close and self._sessions.get(session.key) is session:
                del self._sessions[session.key]
                session.close()
            session.lock.release()

    def close_all(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()

    def _expire(self) -> None:
        now = time.monotonic()
        for key, session in list(self._sessions.items()):
            if now - session.last_used > session.timeout_s and not session.lock.locked():
                del self._sessions[key]
                session.close()


# --------------------------------------------------------------------------------------------------------------
# HTTP parameters.
# --------------------------------------------------------------------------------------------------------------

#: Parameters ClickHouse's HTTP handler consumes itself (never settings).
_PROTOCOL_PARAMS = frozenset(
    {
        "query",
        "database",
        "default_format",
        "compress",
        "decompress",
        "user",
        "password",
        "quota_key",
        "query_id",
        "stacktrace",
        "role",
        "buffer_size",
        "wait_end_of_query",
        "session_id",
        "session_timeout",
        "session_check",
        "client_protocol_version",
        "close_session",
    }
)
#: Real settings that only steer the HTTP layer; chDB has no HTTP layer, so they are read here, not SET.
_HTTP_SETTINGS = frozenset(
    {
        "enable_http_compression",
        "http_zlib_compression_level",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "cancel_http_readonly_queries_on_client_close",
        "http_wait_end_of_query",
        "http_response_buffer_size",
        "add_http_cors_header",
        "http_native_compression_disable_checksumming_on_decompress",
        "http_write_exception_in_output_format",
        "readonly",
    }
)
_EXTERNAL_SUFFIXES = ("_format", "_types", "_structure")
_PARAM_PREFIX = "param_"
_TRUE = frozenset({"1", "true", "yes", "on"})


def _flag(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _TRUE


def _int_param(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ClickHouseError(BAD_ARGUMENTS, f"Cannot parse parameter {name}={value!r} as an integer") from None


@dataclass
class HttpOptions:
    """One request's protocol parameters, split from its settings and query parameters."""

    query: str = ""
    database: str | None = None
    default_format: str | None = None
    query_id: str = ""
    user: str = DEFAULT_USER
    session_id: str | None = None
    session_timeout: int = DEFAULT_SESSION_TIMEOUT_S
    session_check: bool = False
    close_session: bool = False
    wait_end_of_query: bool = False
    compress: bool = False
    decompress: bool = False
    enable_http_compression: bool = False
    compression_level: int = DEFAULT_HTTP_COMPRESSION_LEVEL
    readonly: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    query_params: dict[str, str] = field(default_factory=dict)
    external: dict[str, dict[str, str]] = field(default_factory=dict)  # table → {format/types/structure}

    @classmethod
    def parse(cls, params: Iterable[tuple[str, str]], headers: Mapping[str, str], *, multipart: bool) -> HttpOptions:
        opts = cls()
        values: dict[str, str] = {}
        for key, value in params:
            if not key:
                continue
            if key.startswith(_PARAM_PREFIX):
                opts.query_params[key[len(_PARAM_PREFIX) :]] = value
            elif multipart and key.endswith(_EXTERNAL_SUFFIXES):
                table, _, kind = key.rpartition("_")
                opts.external.setdefault(table, {})[kind] = value
            elif key in _PROTOCOL_PARAMS or key in _HTTP_SETTINGS:
                values[key] = value
            else:
                opts.settings[key] = value
        opts.query = values.get("query", "")
        opts.database = headers.get("X-ClickHouse-Database") or values.get("database") or None
        opts.default_format = headers.get("X-ClickHouse-Format") or values.get("default_format") or None
        opts.query_id = values.get("query_id") or headers.get("X-ClickHouse-Query-Id") or str(uuid.uuid4())
        opts.session_id = values.get("session_id") or None
        if "session_timeout" in values:
            opts.session_timeout = _int_param("session_timeout", values["session_timeout"])
            if not 0 <= opts.session_timeout <= MAX_SESSION_TIMEOUT_S:
                raise ClickHouseError(
                    INVALID_SESSION_TIMEOUT,
                    f"Session timeout '{values['session_timeout']}' is larger than max_session_timeout: "
                    f"{MAX_SESSION_TIMEOUT_S}. Maximum session timeout could be modified in configuration file",
                )
        opts.session_check = _flag(values.get("session_check"))
        opts.close_session = _flag(values.get("close_session"))
        opts.wait_end_of_query = _flag(values.get("wait_end_of_query", values.get("http_wait_end_of_query")))
        opts.compress = _flag(values.get("compress"))
        opts.decompress = _flag(values.get("decompress"))
        opts.enable_http_compression = _flag(values.get("enable_http_compression"))
        if "http_zlib_compression_level" in values:
            opts.compression_level = _int_param("http_zlib_compression_level", values["http_zlib_compression_level"])
        opts.readonly = values.get("readonly", "0").strip() not in ("", "0")
        return opts


def _redact(path: str) -> str:
    """The request target without secrets, for logs."""
    url = urlsplit(path)
    params = [(k, "***" if k == "password" else v) for k, v in parse_qsl(url.query, keep_blank_values=True)]
    return url.path + ("?" + urlencode(params) if params else "")


# --------------------------------------------------------------------------------------------------------------
# The server.
# --------------------------------------------------------------------------------------------------------------

#: Formats whose chDB ``send_query`` chunks concatenate to exactly the ``query`` output (no per-chunk header).
_STREAMABLE_FORMATS = frozenset(
    {
        "Native",
        "TabSeparated",
        "TSV",
        "TabSeparatedRaw",
        "TSVRaw",
        "CSV",
        "JSONEachRow",
        "JSONCompactEachRow",
        "JSONStringsEachRow",
        "JSONCompactStringsEachRow",
        "RowBinary",
        "Values",
        "LineAsString",
    }
)
#: chDB's send_query refuses anything but a SELECT (SHOW, DESCRIBE… fail with "Streaming query is not supported").
_STREAMED_KEYWORDS = frozenset({"SELECT", "WITH", "("})
_OK = b"Ok.\n"
_HEALTH_PATHS = frozenset({"/ping", "/replicas_status"})
_NO_HANDLER = (
    "There is no handle {path}\n\nUse / or /ping for health checks.\nOr /replicas_status for more sophisticated "
    "health checks.\n\nSend queries from your program with POST method or GET /?query=...\n"
)


@dataclass
class _Summary:
    """X-ClickHouse-Summary: ClickHouse's field names, numbers as strings."""

    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    total_rows_to_read: int = 0
    result_rows: int = 0
    result_bytes: int = 0
    elapsed_ns: int = 0

    def header(self) -> str:
        return json.dumps({k: str(v) for k, v in vars(self).items()}, separators=(",", ":"))

    def add_chunk(self, chunk: Any) -> None:
        """A streamed block: chDB reports storage reads per block, incrementally."""
        self.read_rows += chunk.storage_rows_read()
        self.read_bytes += chunk.storage_bytes_read()
        self.total_rows_to_read = self.read_rows
        self.result_rows += chunk.rows_read()
        self.result_bytes += chunk.bytes_read()

    @classmethod
    def of_result(cls, result: Any) -> _Summary:
        """chDB's rows_read/bytes_read describe the result; storage_* what was read from tables."""
        return cls(
            read_rows=result.storage_rows_read(),
            read_bytes=result.storage_bytes_read(),
            written_rows=result.rows_written(),
            written_bytes=result.bytes_written(),
            total_rows_to_read=result.storage_rows_read(),
            result_rows=result.rows_read(),
            result_bytes=result.bytes_read(),
            elapsed_ns=int(result.elapsed() * NS_PER_S),
        )


class ChServer(ThreadingHTTPServer):
    """The HTTP server and what its handlers share: the engine, access rules, sessions, running query ids, limits."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(
        self,
        address: tuple[str, int],
        engine: Engine,
        *,
        access: AccessConfig,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        display_name: str | None = None,
    ) -> None:
        try:
            check_bind_host(address[0], allow_remote=access.allow_remote_bind)
        except ValueError as exc:
            raise ChServerError(str(exc)) from None
        super().__init__(address, ChRequestHandler)
        self.engine = engine
        self.policy = engine.policy
        # the port is known only now (0 = any free one): Host headers must name it
        self.guard = AccessGuard(access.credentials, (address[0], *access.host_names), self.server_port)
        self.sessions = SessionStore(engine)
        self.pool = ConnectionPool(engine)
        self.max_body_size = max_body_size
        self.display_name = display_name or socket.gethostname()
        self.closing = False
        self._active = 0
        self._idle = threading.Condition()
        self._running_ids: set[str] = set()

    @contextlib.contextmanager
    def running(self, query_id: str) -> Iterator[None]:
        """Count in-flight queries (shutdown waits for them) and refuse a query id already running."""
        with self._idle:
            if self.closing:
                raise ClickHouseError(CANNOT_SCHEDULE_TASK, "Server is shutting down")
            if query_id in self._running_ids:
                raise ClickHouseError(
                    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING, f"Query with id = {query_id} is already running"
                )
            self._running_ids.add(query_id)
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._running_ids.discard(query_id)
                self._active -= 1
                self._idle.notify_all()

    def begin_shutdown(self, grace_s: float) -> bool:
        """Refuse new queries, then wait for running ones; False if some were still running after ``grace_s``."""
        with self._idle:
            self.closing = True
            return self._idle.wait_for(lambda: self._active == 0, grace_s)


@dataclass
class _Prepared:
    """A request's SQL, split from its inline INSERT data and external tables."""

    sql: str
    shape: SqlShape
    insert_format: str | None = None
    data: Iterator[bytes] | None = None
    external: dict[str, bytes] = field(default_factory=dict)


class ChRequestHandler(BaseHTTPRequestHandler):
    """One keep-alive HTTP connection speaking ClickHouse's HTTP interface."""

    protocol_version = "HTTP/1.1"
    server_version = "chserver"
    timeout = KEEP_ALIVE_TIMEOUT_S
    disable_nagle_algorithm = True  # headers and body go out in separate writes: Nagle + delayed ACK cost 40 ms
    server: ChServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Queries are logged once, with their outcome, by _handle_query."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from http.server
        message, path = format % args, getattr(self, "path", "")  # no path yet on a malformed request line
        logger.debug("%s %s", self.address_string(), message.replace(path, _redact(path)) if path else message)

    # -- routing -----------------------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        self._responded = self._chunked = False
        url = urlsplit(self.path)
        params = parse_qsl(url.query, keep_blank_values=True)
        has_query = any(key == "query" for key, _ in params)
        try:
            self.server.guard.check_host(self.headers)  # every path: DNS rebinding must not even reach /ping
        except ClickHouseError as err:
            self._fail(err, None, None, None, time.perf_counter())
            return
        if self.command == "GET" and url.path in _HEALTH_PATHS:
            self._send_plain(HTTPStatus.OK, _OK)
        elif self.command == "GET" and not has_query and not self._has_body():
            if url.path == "/":
                self._send_plain(HTTPStatus.OK, _OK)
            else:
                self._send_plain(HTTPStatus.NOT_FOUND, _NO_HANDLER.format(path=url.path).encode())
        else:
            self._handle_query(params)

    def _has_body(self) -> bool:
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        return chunked or self.headers.get("Content-Length", "0").strip() not in ("", "0")

    # -- one query ---------------------------------------------------------------------------------------------

    def _handle_query(self, params: list[tuple[str, str]]) -> None:
        """Run one query and answer it; every failure becomes ClickHouse's error response."""
        started = time.perf_counter()
        opts: HttpOptions | None = None
        body: _BodyReader | None = None
        encoding: str | None = None
        try:
            # before the body is read: a refused request leaves nothing behind but a closed connection
            self.server.guard.check_not_browser(self.headers)
            user = self.server.guard.authenticate(self.headers, params)
            body = _BodyReader(self.rfile, self.headers, self.command, self.server.max_body_size)
            multipart = self.headers.get_content_type() == "multipart/form-data"
            opts = HttpOptions.parse(params, self.headers, multipart=multipart)
            opts.user = user
            if opts.enable_http_compression and (accept := self.headers.get("Accept-Encoding")):
                encoding = negotiate_encoding(accept)
            if opts.compress:
                raise ClickHouseError(
                    NOT_IMPLEMENTED,
                    "compress=1 (ClickHouse-native response compression) is not supported by chserver; "
                    "use enable_http_compression=1 with Accept-Encoding",
                )
            with self.server.running(opts.query_id):
                prepared = self._prepare(opts, body, multipart)
                summary = self._execute(opts, prepared, body, encoding)
            logger.debug(
                "query %s ok: %s user=%s session=%s read=%d written=%d result=%d in %.1f ms",
                opts.query_id,
                prepared.shape.keyword or "-",
                opts.user,
                opts.session_id or "-",
                summary.read_rows,
                summary.written_rows,
                summary.result_rows,
                (time.perf_counter() - started) * MS_PER_S,
            )
            logger.debug("query %s: %s", opts.query_id, prepared.sql[:SQL_LOG_CHARS])
        except ClickHouseError as err:
            self._fail(err, opts, body, encoding, started)
        except (ConnectionError, TimeoutError) as exc:
            self.close_connection = True
            logger.info("client connection lost: %s", exc)
        except Exception as exc:
            logger.exception("internal error")
            err = ClickHouseError(UNKNOWN_EXCEPTION, f"{type(exc).__name__}: {exc}")
            self._fail(err, opts, body, encoding, started)

    def _fail(
        self,
        err: ClickHouseError,
        opts: HttpOptions | None,
        body: _BodyReader | None,
        encoding: str | None,
        started: float,
    ) -> None:
        query_id = opts.query_id if opts else "-"
        first_line = err.message.splitlines()[0][:SQL_LOG_CHARS] if err.message else ""
        elapsed_ms = (time.perf_counter() - started) * MS_PER_S
        logger.info("query %s failed: code %d %s (%.1f ms)", query_id, err.code, first_line, elapsed_ms)
        if self._responded:  # a streamed response is under way: a second one would corrupt it
            self.close_connection = True
            return
        if body is None or err.code == QUERY_IS_TOO_LARGE:
            self.close_connection = True  # unread body bytes must not be taken for the next request
        else:
            try:
                body.drain()
            except (ClickHouseError, OSError):
                self.close_connection = True
        headers = {"X-ClickHouse-Exception-Code": str(err.code)}
        if opts is not None:
            headers["X-ClickHouse-Query-Id"] = opts.query_id
        payload = (err.render(self.server.engine.version) + "\n").encode()
        level = opts.compression_level if opts else DEFAULT_HTTP_COMPRESSION_LEVEL
        with contextlib.suppress(OSError):
            self._send_whole(err.http_status, None, headers, payload, encoding, level)

    def _prepare(self, opts: HttpOptions, body: _BodyReader, multipart: bool) -> _Prepared:
        """Assemble the SQL as ClickHouse does (query param, newline, body) and split off INSERT data.

        Only the head of the body is read here when it carries INSERT data; the rest streams into chDB later.
        """
        if multipart:
            return self._prepare_multipart(opts, body)
        engine = self.server.engine
        chunks = _decode_body(body.chunks(), self.headers.get("Content-Encoding", ""))
        if opts.decompress:
            chunks = _native_blocks(chunks, self.server.max_body_size)
        head = bytearray((opts.query + "\n").encode() if opts.query else b"")
        max_query_size = _int_param("max_query_size", opts.settings.get("max_query_size", str(DEFAULT_MAX_QUERY_SIZE)))
        limit = len(head) + max_query_size
        exhausted = False
        while (split := locate_insert_data(bytes(head), final=exhausted, input_formats=engine.input_formats)) is None:
            if len(head) > limit:
                raise ClickHouseError(SYNTAX_ERROR, "Max query size exceeded: the INSERT is too long before its data")
            chunk = next(chunks, None)
            exhausted = chunk is None
            head += chunk or b""
        if split is False:
            for chunk in chunks:
                head += chunk
                if len(head) > self.server.max_body_size:
                    raise _too_large(len(head), self.server.max_body_size)
            sql = bytes(head)
            return _Prepared(sql.decode("utf-8", "replace"), describe_sql(sql, engine.output_format_names))
        sql = bytes(head[: split.sql_end])
        data = _prepend(bytes(head[split.data_start :]), chunks)
        return _Prepared(sql.decode("utf-8", "replace"), describe_sql(sql), split.format, data)

    def _prepare_multipart(self, opts: HttpOptions, body: _BodyReader) -> _Prepared:
        """Form fields ``query``/``param_*`` and external-data files, which become per-query temporary tables."""
        header = f"Content-Type: {self.headers.get('Content-Type')}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + b"".join(body.chunks()))
        query, external = opts.query, {}
        for part in message.iter_parts():  # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition") or ""
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                external[name] = payload
            elif name == "query":
                query += payload.decode("utf-8", "replace")
            elif name.startswith(_PARAM_PREFIX):
                opts.query_params.setdefault(name[len(_PARAM_PREFIX) :], payload.decode("utf-8", "replace"))
        shape = describe_sql(query.encode(), self.server.engine.output_format_names)
        return _Prepared(query, shape, external=external)

    def _execute(self, opts: HttpOptions, prepared: _Prepared, body: _BodyReader, encoding: str | None) -> _Summary:
        self._check(opts, prepared)
        # after the check (which refuses them as URL parameters): VALUES data, which streams past the SQL check,
        # is parsed as literals only, never evaluated as expressions
        opts.settings = {**opts.settings, **VALUES_LITERALS_ONLY}
        output = self._output_format(opts, prepared.shape)
        with self._connection(opts, prepared) as conn, self._external_tables(conn, opts, prepared):
            if prepared.insert_format is not None:
                summary = self._insert(conn, prepared)
                body.drain()
                self._send_whole(
                    HTTPStatus.OK, None, self._headers(opts, summary, None), b"", encoding, opts.compression_level
                )
                return summary
            body.drain()
            if output is not None and self._streams(opts, prepared.shape, output):
                return self._stream(conn, opts, prepared, output, encoding)
            result = _run(conn, prepared.sql, output.name if output else DEFAULT_OUTPUT_FORMAT, opts.query_params)
            summary = _Summary.of_result(result)
            buffer = result.get_memview() if result.size() else None  # chDB's buffer, sent without a copy
            payload = buffer.view() if buffer is not None else b""
            content_type = output.content_type if output else None
            self._send_whole(
                HTTPStatus.OK,
                content_type,
                self._headers(opts, summary, output),
                payload,
                encoding,
                opts.compression_level,
            )
            return summary

    @staticmethod
    def _streams(opts: HttpOptions, shape: SqlShape, output: Format) -> bool:
        """Stream unless the client waits for the end anyway; chDB streams only SELECTs, in row formats only."""
        return not opts.wait_end_of_query and shape.keyword in _STREAMED_KEYWORDS and output.name in _STREAMABLE_FORMATS

    def _check(self, opts: HttpOptions, prepared: _Prepared) -> None:
        """Refuse what a real HTTP server refuses but chDB would happily run."""
        shape = prepared.shape
        if shape.statements == 0 and prepared.insert_format is None:
            raise ClickHouseError(SYNTAX_ERROR, "Empty query")
        if shape.statements > 1:
            position = shape.extra_statement_at + 1
            raise ClickHouseError(
                SYNTAX_ERROR,
                f"Syntax error (Multi-statements are not allowed): failed at position {position} (end of query)",
            )
        if shape.into_outfile:
            raise ClickHouseError(INTO_OUTFILE_NOT_ALLOWED, "INTO OUTFILE is not allowed")
        if shape.from_infile:
            raise ClickHouseError(UNKNOWN_TYPE_OF_QUERY, "Query has infile and was send directly to server")
        policy = self.server.policy
        policy.check_settings(opts.settings, opts.user)
        policy.check_sql(prepared.sql, opts.user)
        for table, spec in opts.external.items():  # their structure is SQL too, spliced into a CREATE
            if table in prepared.external:
                _vet_internal(policy, _external_create_sql(table, spec), opts.user)
        via_get = self.command == "GET"
        if (via_get or opts.readonly) and (prepared.insert_format is not None or not shape.read_only):
            hint = (
                " For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries"
                if via_get
                else ""
            )
            raise ClickHouseError(READONLY, f"{opts.user}: Cannot execute query in readonly mode.{hint}")

    def _output_format(self, opts: HttpOptions, shape: SqlShape) -> Format | None:
        if not shape.returns_rows:
            return None
        name = shape.output_format or opts.default_format or DEFAULT_OUTPUT_FORMAT
        fmt = self.server.engine.output_formats.get(name.lower())
        if fmt is None:
            raise ClickHouseError(UNKNOWN_FORMAT, f"Unknown format {name}")
        return fmt

    @contextlib.contextmanager
    def _connection(self, opts: HttpOptions, prepared: _Prepared) -> Iterator[Connection]:
        """The session's connection, a pooled one, or a fresh one for statements that leave state behind."""
        shape = prepared.shape
        if opts.session_id is None and not (shape.changes_session or shape.creates_temporary or prepared.external):
            with self.server.pool.connection(opts.settings, opts.database) as conn:
                yield conn
            return
        if opts.session_id is None:
            conn = self.server.engine.connect()
            try:
                _apply_query_state(conn, opts.settings, opts.database)
                yield conn
            finally:
                conn.close()
            return
        sessions = self.server.sessions
        session = sessions.acquire(opts.user, opts.session_id, opts.session_timeout, opts.session_check)
        try:
            if shape.changes_session:
                session.reset()
            else:
                session.apply(opts.settings, opts.database)
            yield session.conn
        finally:
            sessions.release(session, close=opts.close_session)

    @contextlib.contextmanager
    def _external_tables(self, conn: Connection, opts: HttpOptions, prepared: _Prepared) -> Iterator[None]:
        """External data lives in temporary tables for this one query, as on a server."""
        loaded: list[str] = []
        try:
            for table, payload in prepared.external.items():
                _run(conn, _external_create_sql(table, opts.external.get(table, {})))
                loaded.append(table)
                fmt = opts.external.get(table, {}).get("format", DEFAULT_EXTERNAL_FORMAT)
                _insert_stream(conn, f"INSERT INTO {_quote_identifier(table)}", fmt, [payload])
            yield
        finally:
            for table in loaded:
                with contextlib.suppress(ClickHouseError):
                    _run(conn, f"DROP TEMPORARY TABLE IF EXISTS {_quote_identifier(table)}")

    def _insert(self, conn: Connection, prepared: _Prepared) -> _Summary:
        assert prepared.insert_format is not None and prepared.data is not None
        started = time.perf_counter()
        rows, size = _insert_stream(conn, prepared.sql, prepared.insert_format, prepared.data)
        elapsed_ns = int((time.perf_counter() - started) * NS_PER_S)
        return _Summary(read_rows=rows, read_bytes=size, written_rows=rows, written_bytes=size, elapsed_ns=elapsed_ns)

    def _stream(
        self, conn: Connection, opts: HttpOptions, prepared: _Prepared, output: Format, encoding: str | None
    ) -> _Summary:
        """Results as chDB produces them, after buffering the first MiB like ClickHouse does.

        A result that fits the buffer goes out whole, with a complete summary and a real status on error; a longer
        one is sent chunked, and an error after the headers is marked the way ClickHouse 25.11+ marks it.
        """
        started = time.perf_counter()
        summary, buffered, size = _Summary(), [], 0
        try:
            stream = conn.send_query(prepared.sql, output.name, params=dict(opts.query_params))
            while size <= STREAM_BUFFER_SIZE and (chunk := stream.fetch()) is not None:
                summary.add_chunk(chunk)
                buffered.append(chunk.bytes())
                size += len(buffered[-1])
        except Exception as exc:
            raise ClickHouseError.from_engine(exc) from None
        summary.elapsed_ns = int((time.perf_counter() - started) * NS_PER_S)
        headers = self._headers(opts, summary, output)
        if size <= STREAM_BUFFER_SIZE:
            payload = b"".join(buffered)
            self._send_whole(HTTPStatus.OK, output.content_type, headers, payload, encoding, opts.compression_level)
            return summary
        tag = secrets.token_hex(EXCEPTION_TAG_BYTES)
        encoder = _new_encoder(encoding, opts.compression_level) if encoding else None
        self._start_response(
            HTTPStatus.OK, output.content_type, headers | {"X-ClickHouse-Exception-Tag": tag}, encoding, length=None
        )
        try:
            for data in buffered:
                self._write_chunk(encoder.compress(data) if encoder else data)
            buffered.clear()
            while True:
                try:
                    chunk = stream.fetch()
                except Exception as exc:
                    message = ClickHouseError.from_engine(exc).render(self.server.engine.version).encode()
                    marker = b"__exception__\r\n%s\r\n%s\n%d %s\r\n__exception__\r\n" % (
                        tag.encode(),
                        message,
                        len(message),
                        tag.encode(),
                    )
                    self._write_chunk(encoder.compress(marker) if encoder else marker)
                    self.close_connection = True
                    break
                if chunk is None:
                    break
                summary.add_chunk(chunk)
                data = chunk.bytes()
                self._write_chunk(encoder.compress(data) if encoder else data)
            if encoder:
                self._write_chunk(encoder.flush())
            self._end_chunks()
        except OSError:
            self.close_connection = True
            with contextlib.suppress(Exception):
                stream.cancel()
            raise ConnectionError("client went away while results were streaming") from None
        return summary

    # -- response writing --------------------------------------------------------------------------------------

    def _headers(self, opts: HttpOptions, summary: _Summary, output: Format | None) -> dict[str, str]:
        headers = {
            "X-ClickHouse-Query-Id": opts.query_id,
            "X-ClickHouse-Timezone": opts.settings.get("session_timezone") or self.server.engine.timezone,
            "X-ClickHouse-Summary": summary.header(),
        }
        if output is not None:
            headers["X-ClickHouse-Format"] = output.name
        return headers

    def _start_response(
        self,
        status: HTTPStatus,
        content_type: str | None,
        headers: Mapping[str, str],
        encoding: str | None,
        *,
        length: int | None,
    ) -> None:
        self._responded = True
        self.send_response(status)
        self.send_header("Content-Type", content_type or "text/plain; charset=UTF-8")
        self.send_header("X-ClickHouse-Server-Display-Name", self.server.display_name)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Vary", "Accept-Encoding")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self._chunked = length is None and self.request_version == "HTTP/1.1"
        if self._chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif length is None:
            self.close_connection = True  # HTTP/1.0: the end of the body is the end of the connection
        else:
            self.send_header("Content-Length", str(length))
        if self.close_connection:
            self.send_header("Connection", "close")
        else:
            self.send_header("Keep-Alive", f"timeout={KEEP_ALIVE_TIMEOUT_S}")
        self.end_headers()

    def _send_whole(
        self,
        status: HTTPStatus,
        content_type: str | None,
        headers: Mapping[str, str],
        payload: bytes | memoryview,
        encoding: str | None,
        level: int = DEFAULT_HTTP_COMPRESSION_LEVEL,
    ) -> None:
        if encoding:
            encoder = _new_encoder(encoding, level)
            payload = encoder.compress(payload) + encoder.flush()
        self._start_response(status, content_type, headers, encoding, length=len(payload))
        self.wfile.write(payload)

    def _send_plain(self, status: HTTPStatus, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _write_chunk(self, data: bytes) -> None:
        if not data:  # an empty chunk would end the body: compressors often return b"" until they flush
            return
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if self._chunked else data)

    def _end_chunks(self) -> None:
        if self._chunked:
            self.wfile.write(b"0\r\n\r\n")


def _external_create_sql(table: str, spec: Mapping[str, str]) -> str:
    return f"CREATE TEMPORARY TABLE {_quote_identifier(table)} ({_external_structure(table, spec)})"


def _vet_internal(policy: QueryPolicy, sql: str, user: str) -> None:
    """SQL the server builds from request fields gets the same scrutiny as the request's own SQL."""
    shape = describe_sql(sql.encode())
    if shape.statements != 1 or shape.into_outfile or shape.from_infile:
        raise ClickHouseError(SYNTAX_ERROR, f"Malformed external table definition: {sql[:SQL_LOG_CHARS]}")
    policy.check_sql(sql, user)


def _external_structure(table: str, spec: Mapping[str, str]) -> str:
    if structure := spec.get("structure"):
        return structure
    if types := spec.get("types"):
        return ", ".join(f"_{i} {t.strip()}" for i, t in enumerate(types.split(","), start=1))
    raise ClickHouseError(
        BAD_ARGUMENTS,
        f"Neither structure nor types have not been provided for external table {table}. "
        f"Use fields {table}_structure or {table}_types to do so.",
    )


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _insert_stream(conn: Connection, sql: str, fmt: str, chunks: Iterable[bytes]) -> tuple[int, int]:
    """Stream data into chDB's INSERT; returns (rows, bytes) written."""
    try:
        inserter = conn.send_insert(sql, fmt)
    except Exception as exc:
        raise ClickHouseError.from_engine(exc) from None
    try:
        for chunk in chunks:
            if chunk:
                inserter.append(chunk)
        result = inserter.finish()
    except ClickHouseError:
        with contextlib.suppress(Exception):
            inserter.cancel()
        raise
    except Exception as exc:
        with contextlib.suppress(Exception):
            inserter.cancel()
        raise ClickHouseError.from_engine(exc) from None
    return result.rows_written, result.bytes_written


# --------------------------------------------------------------------------------------------------------------
# Entry points.
# --------------------------------------------------------------------------------------------------------------


def serve(
    data_dir: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    access: AccessConfig,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    display_name: str | None = None,
    stop: threading.Event | None = None,
    ready: Callable[[ChServer], None] | None = None,
) -> None:
    """Serve until ``stop`` is set or SIGTERM/SIGINT arrives, then close chDB so the data directory unlocks.

    :param access: who may connect, and whether ``host`` may be other than a loopback address.
    :param port: 0 picks a free port; the bound one is logged and available to ``ready`` as ``server.server_port``.
    :param ready: called once the server accepts connections.
    """
    try:
        check_bind_host(host, allow_remote=access.allow_remote_bind)  # before the engine locks the data dir
    except ValueError as exc:
        raise ChServerError(str(exc)) from None
    stop = stop or threading.Event()
    previous = _install_signal_handlers(stop)  # first, so a SIGTERM during startup still ends in a clean stop
    try:
        engine = Engine(data_dir)
        try:
            _serve_until(engine, stop, host, port, access, max_body_size, display_name, ready)
        finally:
            engine.close()
            logger.info("stopped; %s is unlocked", engine.data_dir)
    finally:
        _restore_signal_handlers(previous)


def _serve_until(
    engine: Engine,
    stop: threading.Event,
    host: str,
    port: int,
    access: AccessConfig,
    max_body_size: int,
    display_name: str | None,
    ready: Callable[[ChServer], None] | None,
) -> None:
    server = ChServer((host, port), engine, access=access, max_body_size=max_body_size, display_name=display_name)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="chserver")
    thread.start()
    try:
        logger.info(
            "ClickHouse %s (chDB) on %s serving http://%s:%d/",
            engine.version,
            engine.data_dir,
            server.server_address[0],
            server.server_port,
        )
        if ready is not None:
            ready(server)
        while not stop.wait(STOP_POLL_S):
            pass
        logger.info("shutting down")
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        if not server.begin_shutdown(SHUTDOWN_GRACE_S):
            logger.warning("queries still running after %.0f s; closing the engine anyway", SHUTDOWN_GRACE_S)
        server.sessions.close_all()
        server.pool.close_all()


def _install_signal_handlers(stop: threading.Event) -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s", signal.Signals(signum).name)
        stop.set()

    return {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}


def _restore_signal_handlers(previous: Mapping[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def _password(password_file: Path | None) -> str:
    """From the file, else the environment (how the stack hands it over)."""
    password = password_file.read_text(encoding="utf-8").strip() if password_file else os.environ.get(PASSWORD_ENV, "")
    if not password:
        raise ChServerError(f"refusing to serve without a password: give --password-file or set {PASSWORD_ENV}")
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cxpulse.stack.chserver",
        description="Serve a chDB data directory over ClickHouse's HTTP protocol.",
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="chDB data directory (created if missing)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port (logged)")
    parser.add_argument("--max-body-size", type=int, default=DEFAULT_MAX_BODY_SIZE, help="bytes; larger → 413")
    parser.add_argument("--display-name", default=None, help="X-ClickHouse-Server-Display-Name (default: hostname)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--user", default=DEFAULT_USER, help="the one user clients must authenticate as")
    parser.add_argument(
        "--password-file", type=Path, default=None, help=f"file holding the password (else ${PASSWORD_ENV})"
    )
    parser.add_argument(
        "--allowed-host", action="append", default=[], help="another Host header name to answer to (repeatable)"
    )
    parser.add_argument(
        "--allow-remote-bind", action="store_true", help="allow a --host that is not a loopback address"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        access = AccessConfig(
            Credentials(args.user, _password(args.password_file)),
            host_names=tuple(args.allowed_host),
            allow_remote_bind=args.allow_remote_bind,
        )
        serve(
            args.data_dir,
            args.host,
            args.port,
            access=access,
            max_body_size=args.max_body_size,
            display_name=args.display_name,
        )
    except (CxpulseError, OSError, ValueError) as exc:
        logger.error("cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
