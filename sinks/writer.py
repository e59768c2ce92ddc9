"""Batched, idempotent, retrying writes to ClickHouse: the one write path every sink uses.

A sink turns a micro-batch of Kafka records into rows per table (:data:`TableRows`) and calls
:meth:`BatchWriter.write`; the stream acknowledges the offsets only after it returned, so nothing is committed
that is not stored. A batch that keeps failing raises :class:`~sinks.errors.SinkBackpressure` after a bounded
number of attempts, so the caller decides to wait and retry (holding its offsets) instead of the writer
sleeping forever. Every insert carries a deduplication token: a retried batch is dropped by ClickHouse, and
ReplacingMergeTree tables collapse rows replayed in other batches.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from cxpulse.settings import SinkSettings
from sinks.clickhouse import Client
from sinks.errors import SinkBackpressure

__all__ = ["BatchWriter", "TableRows", "WriteResult", "dedup_token"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableRows:
    """Rows for one table, in the order of ``columns``."""

    columns: Sequence[str]
    rows: list[list[object]]


@dataclass(frozen=True)
class WriteResult:
    rows: dict[str, int]
    attempts: int
    elapsed_s: float


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
                for table, batch in tables.items():
                    if batch.rows:
                        client.insert(
                            table,
                            batch.rows,
                            column_names=list(batch.columns),
                            settings={"insert_deduplication_token": token},
                        )
                return WriteResult(
                    rows={t: len(b.rows) for t, b in tables.items()},
                    attempts=attempt,
                    elapsed_s=time.monotonic() - started,
                )
            except Exception as exc:  # noqa: BLE001 - every failure is retried, then surfaced as backpressure
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

    def close(self) -> None:
        self._reset()
