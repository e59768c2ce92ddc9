"""Batched, idempotent, retrying writes to ClickHouse.

The stream calls :meth:`ClickHouseEventWriter.write` with one micro-batch and acknowledges the Kafka offsets
only after it returned: nothing is committed that is not stored. A batch that keeps failing raises
:class:`~sinks.errors.SinkBackpressure` after a bounded number of attempts, so the caller decides whether to
wait and retry (the worker does, holding its offsets) instead of the sink sleeping forever.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cxpulse.settings import SinkSettings
from schemas.events import ConversationEvent
from sinks.clickhouse import Client
from sinks.errors import SinkBackpressure
from sinks.rows import CONVERSATION_COLUMNS, EVENT_COLUMNS, MESSAGE_COLUMNS, rows_by_table

__all__ = ["ClickHouseEventWriter", "WriteResult", "dedup_token"]

log = logging.getLogger(__name__)

_COLUMNS = {"events": EVENT_COLUMNS, "messages": MESSAGE_COLUMNS, "conversations": CONVERSATION_COLUMNS}


@dataclass(frozen=True)
class WriteResult:
    rows: dict[str, int]
    attempts: int
    elapsed_s: float


def dedup_token(events: Sequence[ConversationEvent]) -> str:
    """Same events → same token, so ClickHouse drops a batch it already stored (a retry after a timeout)."""
    digest = hashlib.sha256()
    for event_id in sorted(e.event_id for e in events):
        digest.update(event_id.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class ClickHouseEventWriter:
    """Writes redacted events to ``events``, ``messages`` and ``conversations``.

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

    def write(self, events: Sequence[ConversationEvent]) -> WriteResult:
        """Store one batch in every table it touches, retrying with capped exponential backoff."""
        started = time.monotonic()
        tables = rows_by_table(events)
        token = dedup_token(events)
        cfg = self._settings
        last_error: Exception | None = None
        for attempt in range(1, cfg.insert_attempts + 1):
            try:
                client = self._connection()
                for table, rows in tables.items():
                    if rows:
                        client.insert(
                            table,
                            rows,
                            column_names=list(_COLUMNS[table]),
                            settings={"insert_deduplication_token": token},
                        )
                return WriteResult(
                    rows={t: len(r) for t, r in tables.items()},
                    attempts=attempt,
                    elapsed_s=time.monotonic() - started,
                )
            except Exception as exc:  # noqa: BLE001 - every failure is retried, then surfaced as backpressure
                last_error = exc
                self._reset()
                delay = min(cfg.backoff_max_s, cfg.backoff_s * 2 ** (attempt - 1))
                log.warning(
                    "clickhouse insert failed attempt=%d/%d events=%d retry_in_s=%.2f error=%s",
                    attempt, cfg.insert_attempts, len(events), delay, type(exc).__name__,
                )
                if attempt < cfg.insert_attempts:
                    self._sleep(delay)
        raise SinkBackpressure(
            f"ClickHouse rejected a batch of {len(events)} events {cfg.insert_attempts} times: {last_error}",
            retry_after=cfg.backoff_max_s,
        )

    def close(self) -> None:
        self._reset()
