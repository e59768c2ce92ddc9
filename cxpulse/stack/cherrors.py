"""ClickHouse's error model for the local front: codes, symbolic names, HTTP statuses and message format.

Its own module so the front's parts (:mod:`cxpulse.stack.chserver`, :mod:`cxpulse.stack.chguard`,
:mod:`cxpulse.stack.chpolicy`) refuse things in exactly the words a ClickHouse server would use, and clients
(clickhouse-connect reads ``X-ClickHouse-Exception-Code``) react to them as they would to a server's.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from cxpulse.errors import CxpulseError

# ClickHouse error codes this module raises or maps (values checked against the engine's errorCodeToName).
SYNTAX_ERROR = 62
UNKNOWN_FORMAT = 73
UNKNOWN_TYPE_OF_QUERY = 78
UNKNOWN_COMPRESSION_METHOD = 89
UNKNOWN_SETTING = 115
READONLY = 164
QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING = 216
QUERY_IS_TOO_LARGE = 229
CANNOT_DECOMPRESS = 271
INTO_OUTFILE_NOT_ALLOWED = 358
SESSION_NOT_FOUND = 372
SESSION_IS_LOCKED = 373
INVALID_SESSION_TIMEOUT = 374
HTTP_LENGTH_REQUIRED = 381
BAD_ARGUMENTS = 36
NOT_IMPLEMENTED = 48
CANNOT_SCHEDULE_TASK = 439
REQUIRED_PASSWORD = 194
ACCESS_DENIED = 497
AUTHENTICATION_FAILED = 516
UNKNOWN_EXCEPTION = 1002

_ERROR_NAMES = {
    SYNTAX_ERROR: "SYNTAX_ERROR",
    UNKNOWN_FORMAT: "UNKNOWN_FORMAT",
    UNKNOWN_TYPE_OF_QUERY: "UNKNOWN_TYPE_OF_QUERY",
    UNKNOWN_COMPRESSION_METHOD: "UNKNOWN_COMPRESSION_METHOD",
    UNKNOWN_SETTING: "UNKNOWN_SETTING",
    READONLY: "READONLY",
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING: "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING",
    QUERY_IS_TOO_LARGE: "QUERY_IS_TOO_LARGE",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
    INTO_OUTFILE_NOT_ALLOWED: "INTO_OUTFILE_NOT_ALLOWED",
    SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
    SESSION_IS_LOCKED: "SESSION_IS_LOCKED",
    INVALID_SESSION_TIMEOUT: "INVALID_SESSION_TIMEOUT",
    HTTP_LENGTH_REQUIRED: "HTTP_LENGTH_REQUIRED",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    CANNOT_SCHEDULE_TASK: "CANNOT_SCHEDULE_TASK",
    REQUIRED_PASSWORD: "REQUIRED_PASSWORD",
    ACCESS_DENIED: "ACCESS_DENIED",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    UNKNOWN_EXCEPTION: "UNKNOWN_EXCEPTION",
}


def _status_by_code() -> dict[int, HTTPStatus]:
    """ClickHouse's exceptionCodeToHTTPStatus (by error name in its source); every other code is a 500."""
    groups: dict[HTTPStatus, tuple[int, ...]] = {
        HTTPStatus.UNAUTHORIZED: (REQUIRED_PASSWORD,),
        # UNKNOWN_USER, WRONG_PASSWORD, AUTHENTICATION_FAILED, SET_NON_GRANTED_ROLE, ACCESS_DENIED
        HTTPStatus.FORBIDDEN: (192, 193, AUTHENTICATION_FAILED, 512, ACCESS_DENIED),
        HTTPStatus.BAD_REQUEST: (
            BAD_ARGUMENTS,
            427,  # CANNOT_COMPILE_REGEXP
            6,
            25,
            26,
            38,
            41,
            72,
            441,
            675,
            676,
            27,
            376,  # CANNOT_PARSE_{TEXT,…,UUID}
            15,
            44,
            8,  # DUPLICATE_COLUMN, ILLEGAL_COLUMN, THERE_IS_NO_COLUMN
            37,
            123,
            167,
            168,
            223,  # UNKNOWN_ELEMENT_IN_AST … UNEXPECTED_AST_STRUCTURE
            SYNTAX_ERROR,
            117,
            53,
            321,  # INCORRECT_DATA, TYPE_MISMATCH, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
        ),
        HTTPStatus.NOT_FOUND: (
            60,
            46,
            47,
            50,
            56,
            81,  # UNKNOWN_{TABLE,FUNCTION,IDENTIFIER,TYPE,STORAGE,DATABASE}
            UNKNOWN_SETTING,
            152,
            63,
            UNKNOWN_FORMAT,  # …DIRECTION_OF_SORTING, …AGGREGATE_FUNCTION
            336,
            UNKNOWN_TYPE_OF_QUERY,
            511,  # UNKNOWN_DATABASE_ENGINE, UNKNOWN_ROLE
        ),
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE: (QUERY_IS_TOO_LARGE,),
        HTTPStatus.NOT_IMPLEMENTED: (NOT_IMPLEMENTED,),
        HTTPStatus.SERVICE_UNAVAILABLE: (209, 76, CANNOT_SCHEDULE_TASK),  # SOCKET_TIMEOUT, CANNOT_OPEN_FILE
        HTTPStatus.LENGTH_REQUIRED: (HTTP_LENGTH_REQUIRED,),
        HTTPStatus.REQUEST_TIMEOUT: (159,),  # TIMEOUT_EXCEEDED
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE: (779,),
    }
    return {code: status for status, codes in groups.items() for code in codes}


_HTTP_STATUS_BY_CODE = _status_by_code()

_ENGINE_PREFIX = re.compile(r"Code: (\d+)\. DB::Exception: ")
#: ``. (NAME)`` optionally followed by ``(version 26.9.2.1)`` or ``(version 24.3.1.1 (official build))``.
_ENGINE_SUFFIX = re.compile(r"\.? \(([A-Z][A-Z0-9_]*)\)(?: \(version [^()]*(?:\([^()]*\))?\))?\s*$")


class ClickHouseError(CxpulseError):
    """An error in ClickHouse's terms (code, symbolic name), so clients see exactly what a server would send."""

    def __init__(self, code: int, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.name = name or _ERROR_NAMES.get(code, "UNKNOWN_EXCEPTION")

    @property
    def http_status(self) -> HTTPStatus:
        return _HTTP_STATUS_BY_CODE.get(self.code, HTTPStatus.INTERNAL_SERVER_ERROR)

    def render(self, version: str) -> str:
        return f"Code: {self.code}. DB::Exception: {self.message}. ({self.name}) (version {version})"

    @classmethod
    def from_engine(cls, exc: BaseException) -> ClickHouseError:
        """Recover code, name and message from chDB's exception text, undoing its nesting and prefixes."""
        if isinstance(exc, ClickHouseError):
            return exc
        text = str(exc).strip()
        start = text.find("Code: ")
        match = _ENGINE_PREFIX.match(text, start) if start >= 0 else None
        if match is None:
            return cls(UNKNOWN_EXCEPTION, text or type(exc).__name__)
        layers = 0
        while match is not None:
            code, text, layers = int(match[1]), text[match.end() :], layers + 1
            match = _ENGINE_PREFIX.match(text)
        name = None
        for _ in range(layers):
            suffix = _ENGINE_SUFFIX.search(text)
            if suffix is None:
                break
            name = name or suffix[1]
            text = text[: suffix.start()]
        return cls(code, text, name)
