"""Guards around faust's consumer offsets: no skipped records after recovery, and a loud log if one is skipped.

Measured on faust-streaming 0.15.3 (``tests/integration/test_sla_restart.py`` failed 2 of 9 runs before this
fix): when a worker owns tables (the SLA stage), table recovery starts the fetcher with flow *active* and only
the changelog partitions requested. When recovery completes, ``Recovery.on_recovery_completed`` first resumes the
stream partitions and then awaits ``Consumer.perform_seek()``. The fetcher keeps running in between: it hands the
streams some prefetched records, the seek resets the consumer's read offsets, and the records that follow arrive
with an offset jump. faust's consumer takes such a jump for a gap (meant for transaction markers and compacted
topics) and commits past it: the skipped raw events were never redacted and never reprocessed (seen: 3, and
about 30, of 383 events lost after a kill -9 and restart).

The fix stops the consumer's flow before that method runs, so no record reaches a stream between the resume
and the seek. The method itself resumes the flow once the seek is done (or a new rebalance does). This is the
state faust already guarantees when a worker has no tables: its fetcher only starts after the seek.

faust's gap bookkeeping stays as it is, but each gap is now logged as a warning naming the topic, partition
and offsets: none of our topics is compacted or transactional, so a gap there is always a skipped record.

Third, a bound on ``Consumer.wait_empty``: on a stop or a rebalance faust waits, without limit, until every
record a stream took has been acknowledged. A record taken by an agent that stopped first never is, and a
SIGTERM of a worker running the SLA stage was seen to hang there ("wait_empty: Waiting for tasks …
cx.events.validated") until it was killed. After ``[worker] stop_wait_s`` the wait gives up, commits what was
acknowledged and lets the stop go on: the rest is not committed, so the next owner processes it again, which
every stage tolerates (idempotent sinks, SLA facts keyed by id and version).

Fifth, no delivery lost to a flow stop (found by the ten-run kill/restart loop: 1 run in 10 lost exactly one
record per partition of ``cx.events.redacted`` at the restart, silently). faust's fetch loop races each record's
delivery against ``suspend_flow`` and cancels the loser, then marks the record read anyway. A record whose delivery
was waiting for flow control (suspended during recovery, and by the first guard) when the flow stopped was
therefore never delivered, and faust's commit then went past it: its check for a missing head record
(``Consumer._new_offset``) allows a hole of exactly one offset, because it compares the first acked offset with the
committed offset as if that were the last record processed, while Kafka's committed offset is the next one to
read. Now each delivery runs shielded, so a flow stop leaves it waiting for the flow to resume instead of
dropping it (a replay after the seek may deliver the record twice: every stage is idempotent), and no commit goes
past a head record that was never acknowledged: the group's progress stalls there, with a warning, rather than
skip it.

Fourth, a pause after a failed metadata update of aiokafka's client. While the broker is away, the fetcher and
the group coordinator ask for metadata again as soon as an update fails, and the update fails at once
(connection refused): a worker made about 2,000 attempts a second during a broker restart, each logging "Unable
connect to node" and "Unable to update metadata". A failed update now waits ``[kafka] metadata_retry_backoff_s``
before it returns, which bounds the attempts of every client of the worker to a few a second.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.client import AIOKafkaClient
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer

__all__ = ["install"]

log = logging.getLogger(__name__)

_MARK = "_cxpulse_stops_flow_before_seek"
#: A held commit is logged at most this often per partition.
_HEAD_WARN_INTERVAL_S = 30.0
_head_warned: dict[Any, float] = {}
#: Seconds ``wait_empty`` may take (set by :func:`install` from ``[worker] stop_wait_s``).
_limits = {"stop_wait_s": 15.0, "metadata_retry_backoff_s": 0.5}


def _stopping_flow_first(
    on_recovery_completed: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    @functools.wraps(on_recovery_completed)
    async def wrapper(self: Any, generation_id: int = 0) -> None:
        # The flow is resumed by the wrapped method after its seek; a rebalance that interrupts it stops and
        # resumes the flow itself.
        self.app.consumer.stop_flow()
        await on_recovery_completed(self, generation_id)

    setattr(wrapper, _MARK, True)
    return wrapper


def _reporting_gaps(add_gap: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    @functools.wraps(add_gap)
    async def wrapper(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
        # Our topics are neither compacted nor transactional: a jump means records this worker never handed to
        # a stream, which faust will commit as done. Say so loudly; behaviour is unchanged.
        log.warning(
            "faust consumer skipped offsets it will commit as done topic=%s partition=%d from=%d to=%d",
            tp.topic,
            tp.partition,
            offset_from,
            offset_to - 1,
        )
        await add_gap(self, tp, offset_from, offset_to)

    setattr(wrapper, _MARK, True)
    return wrapper


def _bounded(wait_empty: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    @functools.wraps(wait_empty)
    async def wrapper(self: Any) -> None:
        limit = _limits["stop_wait_s"]
        try:
            await asyncio.wait_for(wait_empty(self), timeout=limit)
        except TimeoutError:
            pending = len(getattr(self, "_unacked_messages", ()))
            log.warning(
                "stopped waiting for %d unacknowledged records after %.0fs; they are not committed and will be "
                "processed again",
                pending,
                limit,
            )
            await self.commit_and_end_transactions()

    setattr(wrapper, _MARK, True)
    return wrapper


def _pausing_after_failure(update: Callable[..., Awaitable[bool]]) -> Callable[..., Awaitable[bool]]:
    @functools.wraps(update)
    async def wrapper(self: Any, cluster_metadata: Any, topics: Any) -> bool:
        updated = await update(self, cluster_metadata, topics)
        if not updated:
            await asyncio.sleep(_limits["metadata_retry_backoff_s"])
        return updated

    setattr(wrapper, _MARK, True)
    return wrapper


def _shielding_deliveries(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        deliver = self.callback
        late: set[asyncio.Future[Any]] = set()
        self._cxpulse_late_deliveries = late

        async def shielded(message: Any) -> None:
            task = asyncio.ensure_future(deliver(message))
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.done():  # the flow stopped: the record is delivered once it resumes
                    late.add(task)
                    task.add_done_callback(_late_delivery_done(late, message))
                raise

        self.callback = shielded

    setattr(wrapper, _MARK, True)
    return wrapper


def _late_delivery_done(late: set[asyncio.Future[Any]], message: Any) -> Callable[[asyncio.Future[Any]], None]:
    def done(task: asyncio.Future[Any]) -> None:
        late.discard(task)
        where = f"topic={getattr(message, 'topic', '?')} partition={getattr(message, 'partition', '?')}"
        if task.cancelled():
            return
        if task.exception() is not None:
            log.error("late record delivery failed %s error=%s", where, type(task.exception()).__name__)
        else:
            # faust would have dropped this record (it marked it read when the flow stopped)
            log.info("record delivered after a flow stop %s offset=%s", where, getattr(message, "offset", "?"))

    return done


def _cancelling_late_deliveries(on_stop: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    @functools.wraps(on_stop)
    async def wrapper(self: Any) -> None:
        for task in list(getattr(self, "_cxpulse_late_deliveries", ())):
            task.cancel()  # the worker stops: nothing was acked, the next owner reads them again
        await on_stop(self)

    setattr(wrapper, _MARK, True)
    return wrapper


def _holding_missing_head(new_offset: Callable[[Any, Any], int | None]) -> Callable[[Any, Any], int | None]:
    @functools.wraps(new_offset)
    def wrapper(self: Any, tp: Any) -> int | None:
        acked = self._acked[tp]
        committed = self._committed_offset[tp]
        if acked and committed is not None and min(acked) > committed and not self._gap[tp]:
            now = time.monotonic()
            if now - _head_warned.get(tp, 0.0) >= _HEAD_WARN_INTERVAL_S:
                _head_warned[tp] = now
                log.warning(
                    "commit held: record never acknowledged topic=%s partition=%s offset=%s first_acked=%s",
                    tp.topic,
                    tp.partition,
                    committed,
                    min(acked),
                )
            return None
        return new_offset(self, tp)

    setattr(wrapper, _MARK, True)
    return wrapper


def install(stop_wait_s: float = 15.0, metadata_retry_backoff_s: float = 0.5) -> None:
    """Patch faust and aiokafka once per process (idempotent: every app factory call may ask for it)."""
    _limits["stop_wait_s"] = stop_wait_s
    _limits["metadata_retry_backoff_s"] = metadata_retry_backoff_s
    patches: tuple[tuple[Any, str, Callable[..., Any]], ...] = (
        (AIOKafkaClient, "_metadata_update", _pausing_after_failure),
        (Consumer, "wait_empty", _bounded),
        (Recovery, "on_recovery_completed", _stopping_flow_first),
        (Consumer, "_add_gap", _reporting_gaps),
        (Consumer, "__init__", _shielding_deliveries),
        (Consumer, "on_stop", _cancelling_late_deliveries),
        (Consumer, "_new_offset", _holding_missing_head),
    )
    for owner, name, guard in patches:
        current = getattr(owner, name)
        if not getattr(current, _MARK, False):
            setattr(owner, name, guard(current))
