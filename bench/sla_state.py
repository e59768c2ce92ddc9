"""Throughput of the SLA state machine on simulated traffic, against a baseline measured in the same run.

Baseline: parsing each event's canonical JSON (work every stage does anyway). Measured, per event, what the
SLA agent does besides Kafka: parse + load the conversation's state + apply + save it for the table, in two
ways over the same events:

* ``replay``: the state decoded from JSON and the whole timeline re-derived for every event (the stage's
  behaviour before the checkpoint and the state cache: the "before" figure);
* ``incremental``: what the agent does now (state cache, checkpoint resume for in-order events).

``--long N`` also times conversations of N events each (the replay's cost grows with their length).
Prints figures and ratios; asserts nothing.

    .venv/bin/python bench/sla_state.py [events] [--long N]
"""

from __future__ import annotations

import argparse
import itertools
import time
from datetime import UTC, datetime, timedelta

from cxpulse.settings import Settings
from cxpulse.simulate import generate_posts
from schemas.events import AuthorRole, ConversationEvent, EventType
from schemas.twilio import from_webhook_form
from streams.sla.cache import StateCache
from streams.sla.config import SlaConfig
from streams.sla.state import ConversationState, apply


def _run(payloads: list[bytes | str], cfg: SlaConfig, *, incremental: bool) -> tuple[float, int, int]:
    """Seconds, conversations and facts for one pass over ``payloads`` in the given mode."""
    table: dict[str, dict] = {}
    cache = StateCache(20_000 if incremental else 0)
    facts = 0
    started = time.perf_counter()
    for payload in payloads:
        event = ConversationEvent.from_json(payload)
        stored = table.get(event.conversation_sid)
        state = (
            cache.load(event.conversation_sid, stored)
            if incremental
            else (ConversationState.from_json(stored) if stored else None)
        )
        result = apply(state, event, cfg, incremental=incremental)
        if result.live is not None:  # as the agent: only events that joined the timeline are written
            table[event.conversation_sid] = cache.store(event.conversation_sid, result.state)
        facts += len(result.facts)
    return time.perf_counter() - started, len(table), facts


def _long_conversations(count: int, length: int) -> list[str]:
    """``count`` conversations of ``length`` alternating customer/agent messages, interleaved."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = []
    for i in range(length):
        for c in range(count):
            role = AuthorRole.CUSTOMER if i % 2 == 0 else AuthorRole.AGENT
            events.append(
                ConversationEvent(
                    event_id=f"e{c}-{i}",
                    event_type=EventType.MESSAGE_ADDED,
                    account_sid="AC" + "0" * 32,
                    conversation_sid=f"CH{c:032d}",
                    occurred_at=start + timedelta(seconds=10 * i),
                    redacted=True,
                    author="cust" if role is AuthorRole.CUSTOMER else "agent:a",
                    author_role=role,
                    index=i,
                    message_sid=f"IM{c:08d}{i:024d}",
                    channel="sms",
                ).to_json()
            )
    return events


def _report(label: str, n: int, baseline_s: float, replay_s: float, incremental_s: float) -> None:
    print(f"{label}: baseline parse only {n / baseline_s:,.0f} events/s")
    print(
        f"{label}: replay (before)      {n / replay_s:,.0f} events/s  (ratio to baseline {baseline_s / replay_s:.2f})"
    )
    print(
        f"{label}: incremental (now)    {n / incremental_s:,.0f} events/s  "
        f"(ratio to baseline {baseline_s / incremental_s:.2f}; {replay_s / incremental_s:.1f}x the replay)"
    )


def _baseline(payloads: list) -> float:
    started = time.perf_counter()
    for payload in payloads:
        ConversationEvent.from_json(payload)
    return time.perf_counter() - started


def main(total: int, long: int) -> None:
    settings = Settings()
    cfg = SlaConfig.from_settings(settings)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    posts = itertools.islice(generate_posts(seed=1, settings=settings.simulator, start=start), total)
    payloads = [from_webhook_form(p.form, rules=settings.roles).to_json() for p in posts]
    baseline_s = _baseline(payloads)
    replay_s, conversations, replay_facts = _run(payloads, cfg, incremental=False)
    incremental_s, _, facts = _run(payloads, cfg, incremental=True)
    assert facts == replay_facts, "both modes must publish the same number of facts"
    print(f"events={len(payloads)} conversations={conversations} facts={facts}")
    _report("simulated", len(payloads), baseline_s, replay_s, incremental_s)
    if long:
        payloads = _long_conversations(count=max(1, 2000 // long), length=long)
        baseline_s = _baseline(payloads)
        replay_s, _, _ = _run(payloads, cfg, incremental=False)
        incremental_s, _, _ = _run(payloads, cfg, incremental=True)
        _report(f"{long}-event conversations", len(payloads), baseline_s, replay_s, incremental_s)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=20_000)
    parser.add_argument("--long", type=int, default=0, help="also time conversations of this many events")
    args = parser.parse_args()
    main(args.events, args.long)
