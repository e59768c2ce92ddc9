"""The faust guards: the flow is stopped before recovery's seek, gaps are reported, installing twice is harmless."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.client import AIOKafkaClient
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer

from streams import faust_guards


class _Consumer:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def stop_flow(self) -> None:
        self.calls.append("stop_flow")


def test_flow_is_stopped_before_the_recovery_completion_runs() -> None:
    calls: list[str] = []

    async def on_recovery_completed(self: Any, generation_id: int = 0) -> None:
        calls.append(f"seek and resume (generation {generation_id})")

    guarded = faust_guards._stopping_flow_first(on_recovery_completed)
    recovery = SimpleNamespace(app=SimpleNamespace(consumer=_Consumer(calls)))
    asyncio.run(guarded(recovery, 7))
    assert calls == ["stop_flow", "seek and resume (generation 7)"]


def test_a_gap_is_reported_with_the_skipped_offsets(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[tuple[int, int]] = []

    async def add_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
        seen.append((offset_from, offset_to))

    guarded = faust_guards._reporting_gaps(add_gap)
    tp = SimpleNamespace(topic="cx.events.raw", partition=1)
    with caplog.at_level(logging.WARNING, logger=faust_guards.__name__):
        asyncio.run(guarded(object(), tp, 141, 156))
    assert seen == [(141, 156)], "faust's own bookkeeping still runs"
    assert "topic=cx.events.raw partition=1 from=141 to=155" in caplog.text


def test_install_wraps_once() -> None:
    def current() -> tuple[Any, ...]:
        return (
            Recovery.on_recovery_completed,
            Consumer._add_gap,
            Consumer.wait_empty,
            AIOKafkaClient._metadata_update,
            Consumer.__init__,
            Consumer.on_stop,
            Consumer._new_offset,
        )

    faust_guards.install()
    patched = current()
    faust_guards.install()
    assert current() == patched
    assert all(getattr(p, faust_guards._MARK, False) for p in patched)
    recovery, gap = patched[0], patched[1]
    assert getattr(recovery, "__wrapped__", None) is not None and getattr(gap, "__wrapped__", None) is not None
    assert not hasattr(recovery.__wrapped__, "__wrapped__"), "wrapped twice"


class _Stuck:
    """A consumer whose streams never acknowledge what they took (an agent stopped before the consumer)."""

    def __init__(self) -> None:
        self._unacked_messages = {"m1", "m2"}
        self.committed = False

    async def commit_and_end_transactions(self) -> None:
        self.committed = True


def test_a_wait_for_acknowledgements_that_never_come_gives_up_and_commits_what_was_acked(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def wait_empty(self: Any) -> None:
        await asyncio.Event().wait()  # faust's loop when nothing is ever acked

    monkeypatch.setitem(faust_guards._limits, "stop_wait_s", 0.05)
    stuck = _Stuck()
    with caplog.at_level(logging.WARNING, logger=faust_guards.__name__):
        asyncio.run(faust_guards._bounded(wait_empty)(stuck))
    assert stuck.committed
    assert "stopped waiting for 2 unacknowledged records" in caplog.text


def test_a_wait_that_ends_in_time_is_left_alone() -> None:
    done: list[str] = []

    async def wait_empty(self: Any) -> None:
        done.append("acked")

    stuck = _Stuck()
    asyncio.run(faust_guards._bounded(wait_empty)(stuck))
    assert done == ["acked"] and not stuck.committed


def test_a_failed_metadata_update_pauses_before_the_next_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the broker is away an update fails at once; callers ask again at once: the pause bounds the loop."""
    results = iter([False, True])
    slept: list[float] = []

    async def update(self: Any, cluster_metadata: Any, topics: Any) -> bool:
        return next(results)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setitem(faust_guards._limits, "metadata_retry_backoff_s", 0.5)
    monkeypatch.setattr(faust_guards.asyncio, "sleep", sleep)
    guarded = faust_guards._pausing_after_failure(update)
    assert asyncio.run(guarded(object(), None, set())) is False
    assert asyncio.run(guarded(object(), None, set())) is True
    assert slept == [0.5], "only the failed update pauses"


def _head_state(committed: int, acked: list[int]) -> Any:
    from collections import defaultdict

    from faust.types import TP
    from intervaltree import IntervalTree

    tp = TP("cx.events.redacted", 0)
    state = SimpleNamespace(
        _acked=defaultdict(list, {tp: list(acked)}),
        _acked_index=defaultdict(set, {tp: set(acked)}),
        _committed_offset=defaultdict(lambda: None, {tp: committed}),
        _gap=defaultdict(IntervalTree),
    )
    return state, tp


def test_faust_alone_commits_over_one_missing_head_record() -> None:
    """The bug the guard closes: committed 267 (the next record to read), 267 never acked, 268-269 acked."""
    original = getattr(Consumer._new_offset, "__wrapped__", Consumer._new_offset)
    state, tp = _head_state(267, [268, 269])
    assert original(state, tp) == 270  # 267 skipped for good


def test_no_commit_goes_past_a_head_record_that_was_never_acked(caplog: pytest.LogCaptureFixture) -> None:
    original = getattr(Consumer._new_offset, "__wrapped__", Consumer._new_offset)
    guarded = faust_guards._holding_missing_head(original)
    state, tp = _head_state(267, [268, 269])
    with caplog.at_level(logging.WARNING, logger=faust_guards.__name__):
        assert guarded(state, tp) is None
    assert "offset=267 first_acked=268" in caplog.text
    state, tp = _head_state(267, [267, 268, 269])
    assert guarded(state, tp) == 270  # the head was acked: commit as faust does


def test_a_delivery_cancelled_by_a_flow_stop_still_happens_when_the_flow_resumes() -> None:
    """faust's fetch loop cancels a delivery waiting on flow control when ``suspend_flow`` fires first, then marks
    the record read: without the guard the record is gone."""

    async def scenario(guard: bool) -> list[str]:
        delivered: list[str] = []
        flow = asyncio.Event()

        async def deliver(message: str) -> None:
            await flow.wait()  # flow control is suspended during recovery
            delivered.append(message)

        def init(self: Any) -> None:
            self.callback = deliver

        consumer = SimpleNamespace()
        (faust_guards._shielding_deliveries(init) if guard else init)(consumer)
        pending = asyncio.ensure_future(consumer.callback("offset 267"))
        await asyncio.sleep(0)
        pending.cancel()  # what mode's wait_first does to the loser when the flow stops first
        with pytest.raises(asyncio.CancelledError):
            await pending
        flow.set()
        await asyncio.sleep(0.01)
        return delivered

    assert asyncio.run(scenario(guard=False)) == []
    assert asyncio.run(scenario(guard=True)) == ["offset 267"]


def test_late_deliveries_are_cancelled_when_the_consumer_stops() -> None:
    async def scenario() -> bool:
        never = asyncio.Event()

        async def deliver(message: str) -> None:
            await never.wait()

        def init(self: Any) -> None:
            self.callback = deliver

        consumer = SimpleNamespace()
        faust_guards._shielding_deliveries(init)(consumer)
        pending = asyncio.ensure_future(consumer.callback("m"))
        await asyncio.sleep(0)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        (late,) = consumer._cxpulse_late_deliveries

        async def on_stop(self: Any) -> None:
            pass

        await faust_guards._cancelling_late_deliveries(on_stop)(consumer)
        await asyncio.sleep(0.01)
        return late.cancelled() and not consumer._cxpulse_late_deliveries

    assert asyncio.run(scenario())
