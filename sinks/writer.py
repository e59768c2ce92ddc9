"""Batched, idempotent, retrying writes to ClickHouse: the one write path every sink uses.

A sink turns a micro-batch of Kafka records into rows per table (:data:`TableRows`) and calls
:meth:`BatchWriter.write`; the stream acknowledges the offsets only after it returned, so nothing is committed
that is not stored. Two kinds of failure are told apart (:func:`sinks.errors.is_transient`):

- an *outage* (connection, timeout, overload) is retried with capped backoff, and after a bounded number of
  attempts raises :class:`~sinks.errors.SinkBackpressure`, so the caller waits and retries holding its offsets;
- a *bad row* (a value its column cannot take) is isolated by bisecting the table's rows: the halves without it
  are stored, and the row comes back in :attr:`WriteResult.rejected` for the caller to dead-letter. One bad row
  costs about ``2 log2(n)`` inserts and never blocks the rows around it. If every row of a batch of several is
  rejected for one reason, that is a systemic problem (a column of the wrong type), not bad data: the batch is
  held like an outage instead of dead-lettering everything.

Every insert carries a deduplication token (a bisected part: the batch token plus its row range, so a replay
bisects the same way and ClickHouse drops what it stored); ReplacingMergeTree tables collapse rows replayed in
other batches.
"""

from __future__ import annotations

import hashlib
import logging
import re
import struct
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from clickhouse_connect.driver.exceptions import DataError

from cxpulse.settings import SinkSettings
from sinks.clickhouse import Client
from sinks.errors import SinkBackpressure, error_code, is_transient

__all__ = [
    "UNREADABLE",
    "UNREADABLE_COLUMNS",
    "BatchWriter",
    "RejectedRow",
    "TableRows",
    "WriteResult",
    "dedup_token",
    "describe_error",
]

log = logging.getLogger(__name__)
#: clickhouse-connect logs every value it cannot serialise at ERROR with a traceback, before raising. The writer
#: handles that error (it isolates the row and logs one warning), so bisecting one bad row would otherwise write
#: about 2 log2(n) tracebacks.
logging.getLogger("clickhouse_connect.driver.transform").setLevel(logging.CRITICAL)
_COLUMN = re.compile(r"column `([A-Za-z0-9_.]{1,64})`")

_MAX_REASON = 120
#: Pseudo-table of a rows builder's result: one row ``[position in the batch, reason, keep_value]`` per record
#: it could not read. Never written to ClickHouse: the sink dead-letters those records with ``table_name`` "-",
#: with their value only when ``keep_value`` (a record not known to be redacted must not travel further).
UNREADABLE = "-"
UNREADABLE_COLUMNS = ("position", "reason", "keep_value")


@dataclass(frozen=True)
class TableRows:
    """Rows for one table, in the order of ``columns``."""

    columns: Sequence[str]
    rows: list[list[object]]


@dataclass(frozen=True)
class RejectedRow:
    """A row ClickHouse cannot store as it is: its table, its position in the batch's rows, and why.

    For :data:`UNREADABLE`, ``index`` is the record's position in the batch, and ``keep_value`` says whether its
    value may be dead-lettered as it is."""

    table: str
    index: int
    reason: str
    keep_value: bool = True


@dataclass(frozen=True)
class WriteResult:
    rows: dict[str, int]
    attempts: int
    elapsed_s: float
    rejected: tuple[RejectedRow, ...] = ()


def describe_error(exc: BaseException) -> str:
    """A short reason for a dead-letter row: the error type, the ClickHouse code, and for a number out of range
    the client's message ("'I' format requires 0 <= number <= 4294967295"), never a string value."""
    code = error_code(exc)
    if code is not None:
        name = getattr(exc, "name", None)
        return f"{type(exc).__name__}: ClickHouse code {code}" + (f" ({name})" if name else "")
    if isinstance(exc, DataError):
        # The client's conversion error names the column; the cause says which range ("'I' format requires
        # 0 <= number <= 4294967295"). Neither carries the value.
        column = _COLUMN.search(str(exc))
        where = f" in column {column.group(1)}" if column else ""
        cause = exc.__cause__ or exc.__context__
        why = f": {describe_error(cause)}" if isinstance(cause, struct.error | OverflowError) else ""
        return f"DataError{where}{why}"[: _MAX_REASON * 2]
    if isinstance(exc, struct.error):
        return f"struct.error: {str(exc)[:_MAX_REASON]}"
    if isinstance(exc, OverflowError):
        return f"OverflowError: {str(exc)[:_MAX_REASON]}"
    return type(exc).__name__


class _Systemic(Exception):
    """Every row of a batch of several failed for one reason: hold the batch, as for an outage."""


def dedup_token(keys: Iterable[str]) -> str:
    """Same batch → same token, whatever the order, so ClickHouse drops a batch it already stored."""
    digest = hashlib.sha256()
    for key in sorted(keys):
        digest.update(key.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class BatchWriter:
    """Inserts one batch into every table it touches, retrying with capped exponential backoff.

    :param client_factory: builds a fresh client; called again after a failure, so a restarted server or a
        broken connection does not poison later attempts.
    """

    def __init__(
        self,
        client_factory: Callable[[], Client],
        settings: SinkSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client_factory = client_factory
        self._settings = settings
        self._sleep = sleep
        self._client: Client | None = None

    def _connection(self) -> Client:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _reset(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - closing a broken client must not mask the real error
                pass
        self._client = None

    def write(self, tables: Mapping[str, TableRows], *, token: str) -> WriteResult:
        started = time.monotonic()
        cfg = self._settings
        last_error: Exception | None = None
        for attempt in range(1, cfg.insert_attempts + 1):
            try:
                client = self._connection()
                rejected: list[RejectedRow] = []
                for table, batch in tables.items():
                    if batch.rows and table != UNREADABLE:
                        rejected += self._insert_isolating(client, table, batch, token, 0, len(batch.rows))
                return WriteResult(
                    rows={
                        t: len(b.rows) - sum(r.table == t for r in rejected)
                        for t, b in tables.items()
                        if t != UNREADABLE
                    },
                    attempts=attempt,
                    elapsed_s=time.monotonic() - started,
                    rejected=tuple(rejected),
                )
            except Exception as exc:  # noqa: BLE001 - outages (and systemic rejections) are retried, then held
                last_error = exc
                self._reset()
                delay = min(cfg.backoff_max_s, cfg.backoff_s * 2 ** (attempt - 1))
                log.warning(
                    "clickhouse insert failed attempt=%d/%d tables=%s retry_in_s=%.2f error=%s",
                    attempt,
                    cfg.insert_attempts,
                    ",".join(tables),
                    delay,
                    type(exc).__name__,
                )
                if attempt < cfg.insert_attempts:
                    self._sleep(delay)
        raise SinkBackpressure(
            f"ClickHouse rejected a batch for {', '.join(tables)} {cfg.insert_attempts} times: "
            f"{type(last_error).__name__}",
            retry_after=cfg.backoff_max_s,
        )

    def _insert_isolating(
        self, client: Client, table: str, batch: TableRows, token: str, lo: int, hi: int
    ) -> list[RejectedRow]:
        """Insert ``batch.rows[lo:hi]``; on a bad-row error, bisect and return the rows that cannot be stored."""
        whole = (lo, hi) == (0, len(batch.rows))
        try:
            client.insert(
                table,
                batch.rows[lo:hi],
                column_names=list(batch.columns),
                settings={"insert_deduplication_token": token if whole else f"{token}:{table}:{lo}-{hi}"},
            )
            return []
        except Exception as exc:
            if is_transient(exc):
                raise
            if hi - lo == 1:
                return [RejectedRow(table, lo, describe_error(exc))]
            mid = (lo + hi) // 2
            rejected = self._insert_isolating(client, table, batch, token, lo, mid)
            rejected += self._insert_isolating(client, table, batch, token, mid, hi)
            if whole and len(rejected) == hi - lo and len({r.reason for r in rejected}) == 1:
                raise _Systemic(f"every row of {table} rejected: {rejected[0].reason}") from exc
            return rejected

    def close(self) -> None:
        self._reset()
