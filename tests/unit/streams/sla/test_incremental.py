"""The checkpoint path (in-order events resume the previous replay) must equal the full replay, always."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.events import ConversationEvent
from streams.sla.cache import StateCache
from streams.sla.config import SlaConfig
from streams.sla.facts import Fact
from streams.sla.state import ConversationState, apply, derive
from tests.unit.streams.sla.builders import Script
from tests.unit.streams.sla.test_properties import conversations

CFG = SlaConfig(prices={"sms": 0.01})


def _run(events: list[ConversationEvent], *, incremental: bool) -> tuple[ConversationState, list[Fact], int]:
    """Apply through JSON as the agent's table does; returns state, published facts, events resumed."""
    stored = None
    published: list[Fact] = []
    resumed = 0
    for event in events:
        state = ConversationState.from_json(stored) if stored else None
        result = apply(state, event, CFG, incremental=incremental)
        stored = result.state.to_json()
        published.extend(result.facts)
        resumed += result.incremental
    assert stored is not None
    return ConversationState.from_json(stored), published, resumed


@settings(max_examples=200, deadline=None)
@given(events=conversations(), data=st.data())
def test_resuming_from_the_checkpoint_equals_replaying(events: list[ConversationEvent], data: st.DataObject) -> None:
    arrival = data.draw(st.sampled_from([events, data.draw(st.permutations(events))]))
    state, published, _ = _run(arrival, incremental=True)
    replayed_state, replayed, _ = _run(arrival, incremental=False)
    assert published == replayed  # the same facts, versions and order: ClickHouse cannot tell the paths apart
    assert state.to_json() == replayed_state.to_json()
    fresh = ConversationState(conversation_sid=state.conversation_sid, timeline=list(state.timeline))
    assert derive(fresh, CFG) == derive(state, CFG)


def test_in_order_events_resume_and_late_ones_replay() -> None:
    script = Script().added(0).customer(10).agent(30).customer(40)
    _, _, resumed = _run(script.events, incremental=True)
    assert resumed == 3  # everything after conversation.added (the first event always replays)
    late = [script.events[0], script.events[2], script.events[3], script.events[1]]  # the customer's 10 s last
    _, _, resumed = _run(late, incremental=True)
    assert resumed == 2  # the agent's 30 s and the customer's 40 s resumed; the late 10 s message replayed


def test_the_cache_serves_only_the_exact_stored_value() -> None:
    cache = StateCache(size=1)
    state, _, _ = _run(Script().added(0).customer(10).events, incremental=True)
    stored = cache.store("a", state)
    assert cache.load("a", stored) is state
    assert cache.load("a", dict(stored)) is not state  # a recovered copy: decoded again
    assert cache.load("a", dict(stored)) == state
    cache.store("b", state)  # size 1: "a" is dropped
    assert cache.load("a", stored) is not state
    assert cache.load("a", None) is None
