"""Property tests: duplicates never change a metric, arrival order never changes the result, SL% is a share."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.events import AuthorRole, ConversationEvent
from streams.sla.config import SlaConfig
from streams.sla.facts import ABANDONED, ANSWERED, Fact, ResponseFact
from streams.sla.metrics import service_level_pct
from streams.sla.state import derive
from tests.unit.streams.sla.builders import Script, run

CFG = SlaConfig(prices={"sms": 0.01})

_STEPS = st.sampled_from(
    ["customer", "customer", "customer", "agent", "bot", "handoff", "receipt", "bot_joins", "agent_joins", "pause"]
)


@st.composite
def conversations(draw: st.DrawFn) -> list[ConversationEvent]:
    """A plausible conversation: messages and joins with random gaps, pauses (inactive → maybe active), a close."""
    script = Script().added(0)
    now, state = 0.0, "active"
    for step in draw(st.lists(_STEPS, min_size=1, max_size=25)):
        now += draw(st.floats(min_value=0.0, max_value=120.0, allow_nan=False))
        if step == "pause":
            if state == "active":
                script.state(now, "active", "inactive")
                state = "inactive"
            else:
                script.state(now, "inactive", "active", "EVENT")
                state = "active"
        elif step == "bot_joins":
            script.joins(now, AuthorRole.BOT, "bot:aria")
        elif step == "agent_joins":
            script.joins(now, AuthorRole.AGENT, "agent:ann")
        elif step == "receipt":
            script.receipt(now)
        elif step == "handoff":
            script.bot(now, handoff=True)
        else:
            getattr(script, step)(now)
    if draw(st.booleans()):
        script.state(now + 1, state, "closed")
    return script.events


def final(published: list[Fact]) -> dict[str, Fact]:
    latest: dict[str, Fact] = {}
    for fact in published:
        if fact.fact_id not in latest or fact.version >= latest[fact.fact_id].version:
            latest[fact.fact_id] = fact
    return latest


def live_facts(published: list[Fact]) -> dict[str, Fact]:
    """The final facts without retractions, versions blanked: what the metrics are computed from."""
    return {
        k: replace(f, version=0)
        for k, f in final(published).items()
        if not (isinstance(f, ResponseFact) and f.retracted)
    }


@settings(max_examples=150, deadline=None)
@given(events=conversations(), data=st.data())
def test_duplicates_never_change_any_metric(events: list[ConversationEvent], data: st.DataObject) -> None:
    state, published = run(events, CFG)
    with_duplicates = list(events)
    for _ in range(data.draw(st.integers(min_value=1, max_value=10))):
        original = data.draw(st.integers(min_value=0, max_value=len(events) - 1))
        position = data.draw(
            st.integers(min_value=with_duplicates.index(events[original]) + 1, max_value=len(with_duplicates))
        )
        with_duplicates.insert(position, events[original])
    dup_state, dup_published = run(with_duplicates, CFG)
    assert dup_state.to_json() == state.to_json()
    assert final(dup_published) == final(published)  # same facts, same versions: ClickHouse rows identical


@settings(max_examples=150, deadline=None)
@given(events=conversations(), data=st.data())
def test_arrival_order_never_changes_the_facts(events: list[ConversationEvent], data: st.DataObject) -> None:
    in_order_state, in_order = run(events, CFG)
    shuffled = data.draw(st.permutations(events))
    state, published = run(shuffled, CFG)
    assert derive(state, CFG) == derive(in_order_state, CFG)
    assert live_facts(published) == live_facts(in_order)


@settings(max_examples=150, deadline=None)
@given(events=conversations())
def test_service_level_is_a_percentage(events: list[ConversationEvent]) -> None:
    _, published = run(events, CFG)
    facts = [f for f in final(published).values() if isinstance(f, ResponseFact)]
    sl = service_level_pct(facts)
    assert sl is None or 0.0 <= sl <= 100.0
    counted = [
        f
        for f in facts
        if not f.retracted
        and (f.outcome == ANSWERED or (f.outcome == ABANDONED and f.breached and not f.short_abandon))
    ]
    assert (sl is None) == (not counted)
