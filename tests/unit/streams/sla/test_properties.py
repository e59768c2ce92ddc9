"""Property tests: duplicates never change a metric, arrival order never changes the result, SL% is a share."""

from __future__ import annotations

from dataclasses import astuple, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.events import AuthorRole, ConversationEvent
from streams.sla.config import SlaConfig
from streams.sla.facts import ABANDONED, ANSWERED, Fact, ResponseFact
from streams.sla.feed import window_inputs
from streams.sla.metrics import service_level_pct
from streams.sla.state import apply, current_facts, derive
from streams.sla.windows import WindowBook, WindowSpec
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


WINDOW_SPEC = WindowSpec(step=60, hopping=900, grace=10**9)  # lateness is another test's subject
_EMPTY = {None, 0}
#: Row fields from here on are gauges (active, awaiting, oldest wait at the window's end): a window holding
#: nothing but a gauge is published only when an input touches it, so only windows with metrics are compared.
_GAUGES = -3


def published_windows(events: list[ConversationEvent]) -> dict[tuple, tuple]:
    """Deliver ``events`` one by one as the stage does: apply, publish its window inputs (``window_inputs``) to
    the book of their channel × queue, and publish the rows of the windows each input touched, computed then.
    Returns the last row published for every window with any metric (an emptied window equals none)."""
    state, books, rows = None, {}, {}
    for event in events:
        result = apply(state, event, CFG)
        state = result.state
        facts = current_facts(state, CFG) if result.duplicate else result.facts
        for item in window_inputs(event, result, facts, CFG):
            book = books.setdefault(item.key, WindowBook(item.channel, item.queue, WINDOW_SPEC, minutes={}))
            for row in book.rows(book.apply(item)):
                content = astuple(replace(row, version=0))
                rows[content[:4]] = content
    return {key: row for key, row in rows.items() if set(row[5:_GAUGES]) - _EMPTY}


@settings(max_examples=150, deadline=None)
@given(events=conversations(), data=st.data())
def test_arrival_order_and_duplicates_never_change_the_windows(
    events: list[ConversationEvent], data: st.DataObject
) -> None:
    """Unordered, duplicated delivery (Event Streams) ends in the rows in-order delivery publishes: a fact first
    counted under a provisional channel or queue (seen before ``conversation.added``) leaves that book, and a
    late marker re-publishes the later windows whose gauges it changes."""
    shuffled = data.draw(st.permutations(events))
    duplicated = [*shuffled, *data.draw(st.lists(st.sampled_from(events), max_size=5))]
    assert published_windows(duplicated) == published_windows(events)
