"""Acknowledge an input once Kafka acknowledged its outputs, without waiting for that event by event.

Waiting for the broker's acknowledgement of each event's outputs before reading the next event caps a stage at
one broker round trip per event. Here each event's outputs are sent at once and its acknowledgement is
scheduled for when they are delivered; faust commits only contiguous acknowledged offsets, so out-of-order
completions are safe. At most ``limit`` events wait at a time (back-pressure). A failed delivery leaves its
event unacknowledged: it is processed again after a restart (idempotent downstream), never lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any

__all__ = ["AckAfterDelivery"]

log = logging.getLogger(__name__)


class AckAfterDelivery:
    """:param stream: the faust stream whose events are acknowledged; :param limit: events in flight at most."""

    def __init__(self, stream: Any, *, limit: int = 500) -> None:
        self._stream = stream
        self._slots = asyncio.Semaphore(limit)
        self._pending: set[asyncio.Task[None]] = set()

    async def submit(self, record: Any, deliveries: Sequence[Awaitable[Any]]) -> None:
        await self._slots.acquire()
        task = asyncio.ensure_future(self._ack_when_delivered(record, deliveries))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _ack_when_delivered(self, record: Any, deliveries: Sequence[Awaitable[Any]]) -> None:
        try:
            await asyncio.gather(*deliveries)
            await self._stream.ack(record)
        except Exception as exc:  # noqa: BLE001 - unacknowledged on purpose: replayed after a restart
            log.error("outputs not delivered; event left unacknowledged error=%s", type(exc).__name__)
        finally:
            self._slots.release()
