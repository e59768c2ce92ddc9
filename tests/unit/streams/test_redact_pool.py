"""The process pool gives the same outcomes, in the same order, as one in-process redactor."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import UTC, datetime

from cxpulse.settings import Settings
from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.redact.agent import BatchAnalyser
from streams.redact.pool import RedactionPool


def test_pool_redacts_in_input_order_across_processes() -> None:
    records = []
    for i in range(6):
        event = ConversationEvent(
            event_id=f"e{i}",
            event_type=EventType.MESSAGE_ADDED,
            account_sid="AC" + "0" * 32,
            conversation_sid="CH" + "1" * 32,
            author="+14155550123",
            author_role=AuthorRole.CUSTOMER,
            body=f"order {i}: mail me at person{i}@example.com",
            occurred_at=datetime(2026, 11, 25, tzinfo=UTC),
        )
        records.append((b"k", event.to_json()))
    records.append((b"k", b"not json"))
    pool = RedactionPool(Settings().redaction.model_copy(update={"processes": 2}))
    try:
        outcomes = pool.redact_records(records)
    finally:
        pool.close()
    assert [o.event_id for o in outcomes[:6]] == [f"e{i}" for i in range(6)]
    assert all(o.event is not None and "<EMAIL_ADDRESS>" in (o.event.body or "") for o in outcomes[:6])
    assert outcomes[6].event is None and outcomes[6].failure


def _records(bodies: list[str]) -> list[tuple[bytes | None, bytes]]:
    return [
        (
            b"k",
            ConversationEvent(
                event_id=f"p{i}",
                event_type=EventType.MESSAGE_ADDED,
                account_sid="AC" + "0" * 32,
                conversation_sid="CH" + "1" * 32,
                author="+14155550123",
                author_role=AuthorRole.CUSTOMER,
                body=body,
                occurred_at=datetime(2026, 11, 25, tzinfo=UTC),
            ).to_json(),
        )
        for i, body in enumerate(bodies)
    ]


def test_processes_zero_means_one_per_usable_core() -> None:
    settings = Settings().redaction
    assert settings.model_copy(update={"processes": 0}).analyzer_processes == len(os.sched_getaffinity(0))
    assert settings.model_copy(update={"processes": 3}).analyzer_processes == 3


def test_failures_in_pool_processes_fail_closed() -> None:
    """An analyzer failure inside a pool process fails only its event; a dead pool process fails the batch."""
    marker = "__pool_forced_failure__"
    # A generous timeout: this test is about failures, not speed, and may run on a busy machine.
    settings = Settings().redaction.model_copy(update={"processes": 2, "fail_marker": marker, "timeout_s": 600.0})
    analyser = BatchAnalyser(settings)
    try:
        bodies = ["mail me at a.b@example.com", f"{marker} ssn 536-22-8726", "call +14155550188", "thanks"]
        first = asyncio.run(analyser.outcomes(_records(bodies)))
        assert [o.event is not None for o in first] == [True, False, True, True]
        assert first[1].failure and "536-22-8726" not in first[1].failure

        pool = analyser._pool  # noqa: SLF001 - the test kills one of its processes
        for pid in list(pool._executor._processes)[:1]:  # noqa: SLF001
            os.kill(pid, signal.SIGKILL)
        # The executor learns of the death asynchronously (its management thread); until it has, a batch may
        # still be served, correctly, by the surviving process. The test is about the broken state.
        deadline = time.monotonic() + 60
        while not pool._executor._broken and time.monotonic() < deadline:  # noqa: SLF001
            time.sleep(0.05)
        broken = asyncio.run(analyser.outcomes(_records(["call +14155550188", "my ssn is 536-22-8726"])))
        assert all(o.event is None for o in broken), "nothing may go downstream from a broken pool"
        assert all(o.failure == "analysis failed: BrokenProcessPool" for o in broken)
        assert [o.event_id for o in broken] == ["p0", "p1"]

        again = asyncio.run(analyser.outcomes(_records(["mail me at c.d@example.com"])))
        assert again[0].event is not None and "<EMAIL_ADDRESS>" in (again[0].event.body or "")
    finally:
        analyser.close()


_USES_PRELOADED = (
    "(__import__('os').getpid(), __import__('sys').modules['streams.redact.pool']._redactor is "
    "__import__('sys').modules['streams.redact.preload']._REDACTOR, __import__('time').sleep(0.3))"
)


def test_every_pool_process_starts_with_the_fork_servers_redactor() -> None:
    """Processes fork from a server that built the redactor once (a restart redacts sooner), and use it only
    when it was built from their settings."""
    pool = RedactionPool(Settings().redaction.model_copy(update={"processes": 2}))
    try:
        pool.warm_up()
        answers = [f.result() for f in [pool._executor.submit(eval, _USES_PRELOADED) for _ in range(4)]]
    finally:
        pool.close()
    assert len({pid for pid, _, _ in answers}) == 2
    assert all(preloaded for _, preloaded, _ in answers)
    other = RedactionPool(Settings().redaction.model_copy(update={"processes": 1, "cache_size": 7}))
    try:
        [(_, preloaded, _)] = [other._executor.submit(eval, _USES_PRELOADED).result()]
    finally:
        other.close()
    assert not preloaded, "settings that differ get a redactor of their own"


def test_a_prestarted_pool_is_the_one_that_redacts() -> None:
    """The worker starts loading the model while it boots; the first batch uses that pool, not a new one."""
    analyser = BatchAnalyser(Settings().redaction.model_copy(update={"processes": 2}))
    analyser.prestart()
    warming = analyser._warming  # noqa: SLF001 - the pool being warmed up
    assert warming is not None
    try:
        [outcome] = asyncio.run(analyser.outcomes(_records(["mail me at a.b@example.com"])))
        assert analyser._pool is warming[0]  # noqa: SLF001
        assert outcome.event is not None and "<EMAIL_ADDRESS>" in (outcome.event.body or "")
    finally:
        analyser.close()
