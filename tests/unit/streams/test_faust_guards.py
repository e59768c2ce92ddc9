"""The faust guards: the flow is stopped before recovery's seek, gaps are reported, installing twice is harmless."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest
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
    faust_guards.install()
    recovery, gap = Recovery.on_recovery_completed, Consumer._add_gap
    faust_guards.install()
    assert (Recovery.on_recovery_completed, Consumer._add_gap) == (recovery, gap)
    assert getattr(recovery, "__wrapped__", None) is not None and getattr(gap, "__wrapped__", None) is not None
    assert not hasattr(recovery.__wrapped__, "__wrapped__"), "wrapped twice"
