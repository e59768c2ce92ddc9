"""Throughput of the SLA state machine on simulated traffic, against a baseline measured in the same run.

Baseline: parsing each event's canonical JSON (work every stage does anyway). Measured: parse + load the
conversation's state from JSON + apply + save it back to JSON, i.e. what the SLA agent does per event besides
Kafka. Prints figures and the ratio; asserts nothing.

    .venv/bin/python bench/sla_state.py [events]
"""

from __future__ import annotations

import itertools
import sys
import time
from datetime import UTC, datetime

from cxpulse.settings import Settings
from cxpulse.simulate import generate_posts
from schemas.events import ConversationEvent
from schemas.twilio import from_webhook_form
from streams.sla.config import SlaConfig
from streams.sla.state import ConversationState, apply


def main(total: int) -> None:
    settings = Settings()
    cfg = SlaConfig.from_settings(settings)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    posts = itertools.islice(generate_posts(seed=1, settings=settings.simulator, start=start), total)
    payloads = [from_webhook_form(p.form, idempotency_token=p.idempotency_token, rules=settings.roles).to_json()
                for p in posts]

    started = time.perf_counter()
    for payload in payloads:
        ConversationEvent.from_json(payload)
    baseline_s = time.perf_counter() - started

    table: dict[str, dict] = {}
    facts = 0
    started = time.perf_counter()
    for payload in payloads:
        event = ConversationEvent.from_json(payload)
        stored = table.get(event.conversation_sid)
        result = apply(ConversationState.from_json(stored) if stored else None, event, cfg)
        table[event.conversation_sid] = result.state.to_json()
        facts += len(result.facts)
    sla_s = time.perf_counter() - started

    n = len(payloads)
    print(f"events={n} conversations={len(table)} facts={facts}")
    print(f"baseline parse only: {n / baseline_s:,.0f} events/s")
    print(f"sla parse+state+apply: {n / sla_s:,.0f} events/s  (ratio to baseline {baseline_s / sla_s:.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
