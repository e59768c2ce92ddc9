"""Errors of the sink room, and which ClickHouse failures are an outage and which are a bad row.

An outage (connection refused, timeout, server overloaded) must hold the offsets and retry: nothing is lost by
waiting. A bad row (a value out of its column's range, a type the column cannot take) will fail the same way
forever: retrying it stops storage for every other row behind it ("one signed event stops storage for
everyone"). :func:`is_transient` draws that line; :class:`~sinks.writer.BatchWriter` isolates the bad rows and
the sink dead-letters them.
"""

from __future__ import annotations

import struct

from clickhouse_connect.driver.exceptions import DatabaseError, DataError

from cxpulse.errors import CxpulseError

__all__ = ["PERMANENT_CODES", "TRANSIENT_CODES", "MigrationError", "SinkBackpressure", "error_code", "is_transient"]

#: ClickHouse error codes that say "this data cannot be stored": parsing, types, ranges, sizes.
PERMANENT_CODES = frozenset(
    {
        6,  # CANNOT_PARSE_TEXT
        26,  # CANNOT_PARSE_QUOTED_STRING
        27,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
        32,  # ATTEMPT_TO_READ_AFTER_EOF (a truncated value in a Native block)
        33,  # CANNOT_READ_ALL_DATA
        38,  # CANNOT_PARSE_DATE
        41,  # CANNOT_PARSE_DATETIME
        53,  # TYPE_MISMATCH
        69,  # ARGUMENT_OUT_OF_BOUND
        70,  # CANNOT_CONVERT_TYPE
        72,  # CANNOT_PARSE_NUMBER
        117,  # INCORRECT_DATA
        131,  # TOO_LARGE_STRING_SIZE
        190,  # SIZES_OF_ARRAYS_DONT_MATCH
        321,  # VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
        349,  # CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
        377,  # CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING
        395,  # FUNCTION_THROW_IF_VALUE_IS_NON_ZERO (a CHECK constraint)
        469,  # VIOLATED_CONSTRAINT
    }
)
#: ClickHouse error codes that say "try again later": load, timeouts, the network, replicas, the keeper.
TRANSIENT_CODES = frozenset({159, 160, 164, 202, 203, 209, 210, 236, 241, 242, 252, 285, 319, 394, 425, 439, 999})
#: Client-side errors of serialising one row: the value cannot be written in its column's type.
_ROW_ERRORS = (struct.error, OverflowError, ValueError, TypeError, UnicodeError, IndexError, KeyError)


class SinkBackpressure(CxpulseError):
    """ClickHouse did not take a batch after the configured retries; the caller must hold offsets.

    :param retry_after: seconds the caller should wait before trying the same batch again.
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MigrationError(CxpulseError):
    """A migration file failed to apply."""


def error_code(exc: BaseException) -> int | None:
    """The ClickHouse error code of ``exc``, when the server sent one."""
    return getattr(exc, "code", None) if isinstance(exc, DatabaseError) else None


def is_transient(exc: BaseException) -> bool:
    """True for an outage (hold the offsets, retry), False for a row that can never be stored as it is.

    Unknown server errors count as transient: holding offsets loses nothing, dead-lettering a valid row would.
    Schema errors (an unknown table or column: a migration missing) are transient for the same reason.
    """
    if isinstance(exc, DatabaseError):
        code = error_code(exc)
        if code in PERMANENT_CODES:
            return False
        if isinstance(exc, DataError) and code is None:
            return False  # raised by the client while converting a value: no server was involved
        return True
    return not isinstance(exc, _ROW_ERRORS)
