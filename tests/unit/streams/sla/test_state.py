"""Scenario tests of the SLA state machine, with expectations computed by hand from the scripts."""

from __future__ import annotations

import pytest

from cxpulse.settings import SlaSettings
from schemas.events import AuthorRole
from streams.sla.config import SlaConfig
from streams.sla.facts import ConversationFact, Fact, ResponseFact
from streams.sla.state import ConversationState, apply, current_facts, derive
from tests.unit.streams.sla.builders import SID, T0, Script, run

CFG = SlaConfig(prices={"sms": 0.01, "chat": 0.0})


def final(published: list[Fact]) -> dict[str, Fact]:
    """What ClickHouse keeps: the highest version per fact id (retractions included)."""
    latest: dict[str, Fact] = {}
    for fact in published:
        if fact.fact_id not in latest or fact.version >= latest[fact.fact_id].version:
            latest[fact.fact_id] = fact
    return latest


def responses(published: list[Fact]) -> list[ResponseFact]:
    kept = [f for f in final(published).values() if isinstance(f, ResponseFact) and not f.retracted]
    return sorted(kept, key=lambda f: f.customer_at)


def conversation(published: list[Fact]) -> ConversationFact:
    (fact,) = [f for f in final(published).values() if isinstance(f, ConversationFact)]
    return fact


def at(seconds: float) -> float:
    return T0.timestamp() + seconds


def test_a_run_of_customer_messages_is_timed_from_its_first_message() -> None:
    script = Script().added(0).customer(10).customer(20).customer(25).agent(70).customer(100).agent(161)
    _, published = run(script.events, CFG)
    first, second = responses(published)
    assert (first.customer_at, first.reply_at, first.response_s) == (at(10), at(70), 60.0)
    assert (first.customer_messages, first.is_first, first.breached) == (3, True, False)  # 60 s is within 60 s
    assert (second.response_s, second.is_first, second.breached) == (61.0, False, True)
    assert (first.channel, first.queue, first.agent, first.outcome) == ("sms", "billing", "agent:ann", "answered")


def test_channel_comes_from_the_conversation_not_from_sdk_agent_messages() -> None:
    script = Script(channel="whatsapp", queue="sales").added(0).customer(5).agent(15).receipt(16)
    _, published = run(script.events, CFG)
    (response,) = responses(published)
    assert (response.channel, response.queue) == ("whatsapp", "sales")


def test_threshold_lookup_is_most_specific_first() -> None:
    cfg = SlaConfig(
        sla=SlaSettings(
            default_threshold_s=60,
            channel_threshold_s={"sms": 120},
            queue_threshold_s={"billing": 30},
            threshold_s={"sms:sales": 300},
        )
    )
    assert cfg.threshold_s("sms", "sales") == 300
    assert cfg.threshold_s("sms", "billing") == 30
    assert cfg.threshold_s("sms", "support") == 120
    assert cfg.threshold_s("chat", "support") == 60
    _, published = run(Script().added(0).customer(1).agent(40).events, cfg)
    (response,) = responses(published)
    assert (response.threshold_s, response.breached) == (30, True)


def test_bot_answers_stop_the_clock_and_a_hand_off_starts_the_human_wait() -> None:
    script = (
        Script()
        .added(0)
        .joins(1, AuthorRole.CUSTOMER, "cust_1")
        .joins(2, AuthorRole.BOT, "bot:aria")
        .customer(10)
        .bot(12)  # the bot answered: nobody waits for a human
        .customer(30)
        .bot(32, handoff=True)  # "let me transfer you": the wait from 30 s counts
        .joins(80, AuthorRole.AGENT, "agent:bo")
        .agent(90, "agent:bo")
        .state(200, "active", "closed", "API")
    )
    _, published = run(script.events, CFG)
    (response,) = responses(published)
    assert (response.customer_at, response.reply_at) == (at(30), at(90))
    assert (response.response_s, response.is_first) == (60.0, True)
    fact = conversation(published)
    assert fact.bot_contained is False and fact.abandoned is False
    assert (fact.messages_customer, fact.messages_bot, fact.messages_agent) == (2, 2, 1)
    assert (fact.handle_s, fact.first_response_s, fact.agents) == (200.0, 60.0, ("agent:bo",))
    assert fact.cost == pytest.approx(5 * 0.01)


def test_bot_contained_conversation_has_no_waits_and_costs_per_message() -> None:
    script = (
        Script()
        .added(0)
        .joins(2, AuthorRole.BOT, "bot:aria")
        .customer(10)
        .bot(12)
        .customer(40)
        .bot(42)
        .customer(60)  # "thanks" - to a bot: not a wait for a human, so not an abandon
        .state(240, "active", "inactive")
        .state(540, "inactive", "closed")
    )
    _, published = run(script.events, CFG)
    assert responses(published) == []
    fact = conversation(published)
    assert (fact.bot_contained, fact.abandoned, fact.abandoned_waits, fact.responses) == (True, False, 0, 0)
    assert (fact.handle_s, fact.messages_total, fact.first_response_s) == (540.0, 5, None)
    assert fact.cost == pytest.approx(5 * 0.01)


def test_reopen_counts_and_restarts_first_response() -> None:
    script = (
        Script()
        .added(0)
        .customer(10)
        .agent(40)
        .state(100, "active", "inactive", "API")
        .state(400, "inactive", "active", "EVENT")
        .customer(400.5)
        .agent(420.5)
        .state(500, "active", "closed", "API")
    )
    _, published = run(script.events, CFG)
    first, second = responses(published)
    assert (first.is_first, first.segment) == (True, 0)
    assert (second.is_first, second.segment, second.response_s) == (True, 1, 20.0)
    fact = conversation(published)
    assert (fact.reopen_count, fact.responses, fact.first_response_s) == (1, 2, 30.0)


def test_reactivation_after_the_reopen_window_is_not_a_reopen() -> None:
    cfg = SlaConfig(sla=SlaSettings(reopen_window_s=200))
    script = (
        Script()
        .added(0)
        .customer(10)
        .agent(40)
        .state(100, "active", "inactive")
        .state(400, "inactive", "active", "EVENT")
        .customer(401)
        .agent(411)
        .state(500, "active", "closed")
    )
    _, published = run(script.events, cfg)
    assert conversation(published).reopen_count == 0
    assert [r.is_first for r in responses(published)] == [True, True]


def test_going_inactive_while_awaiting_a_first_answer_is_an_abandoned_wait() -> None:
    script = (
        Script().added(0).customer(10).customer(40).state(190, "active", "inactive").state(490, "inactive", "closed")
    )
    _, published = run(script.events, CFG)
    (wait,) = responses(published)
    assert (wait.outcome, wait.response_s, wait.breached, wait.short_abandon, wait.agent) == (
        "abandoned",
        180.0,
        True,
        False,
        "",
    )
    fact = conversation(published)
    assert (fact.abandoned, fact.abandoned_waits, fact.responses, fact.first_response_s) == (True, 1, 0, None)
    assert fact.bot_contained is False


def test_short_abandon_is_flagged_and_does_not_make_the_conversation_abandoned() -> None:
    script = Script().added(0).customer(10).state(13, "active", "closed", "API")
    _, published = run(script.events, CFG)
    (wait,) = responses(published)
    assert (wait.outcome, wait.response_s, wait.short_abandon, wait.breached) == ("abandoned", 3.0, True, False)
    fact = conversation(published)
    assert (fact.abandoned, fact.short_abandons) == (False, 1)


def test_a_trailing_thanks_closed_by_the_agent_is_unanswered_not_abandoned() -> None:
    script = Script().added(0).customer(10).agent(20).customer(300).state(320, "active", "closed", "API")
    _, published = run(script.events, CFG)
    assert [r.outcome for r in responses(published)] == ["answered"]
    fact = conversation(published)
    assert (fact.abandoned, fact.unanswered_at_close, fact.abandoned_waits) == (False, 1, 0)


def test_duplicates_change_nothing_and_are_reported_as_such() -> None:
    script = Script().added(0).customer(10).agent(30)
    state, _ = run(script.events, CFG)
    before = state.to_json()
    result = apply(ConversationState.from_json(before), script.events[1], CFG)
    assert result.duplicate and result.facts == []
    assert result.state.to_json() == before
    # What the agent re-publishes for a duplicate: the same facts, same versions (idempotent rows).
    assert current_facts(result.state, CFG) == current_facts(state, CFG)


def test_ignored_events_do_not_enter_the_state() -> None:
    script = Script().added(0).receipt(1)
    state, published = run(script.events, CFG)
    assert [e.kind for e in state.timeline] == ["added"] and published == []


def test_a_late_customer_message_moves_the_start_of_its_run_under_the_same_fact_id() -> None:
    script = Script().added(0).customer(10).customer(25).agent(70)
    late_first = script.events[1]
    in_order_state, _ = run(script.events, CFG)
    events = [script.events[0], script.events[2], script.events[3], late_first]
    state, published = run(events, CFG)
    versions = [f for f in published if isinstance(f, ResponseFact)]
    assert [v.response_s for v in versions] == [45.0, 60.0]  # published, then corrected
    assert len({v.fact_id for v in versions}) == 1 and versions[1].version > versions[0].version
    assert derive(state, CFG) == derive(in_order_state, CFG)


def test_a_late_earlier_agent_reply_retracts_the_fact_it_supersedes() -> None:
    script = Script().added(0).customer(10).agent(50).agent(100)
    early_reply = script.events[2]
    events = [script.events[0], script.events[1], script.events[3], early_reply]
    _, published = run(events, CFG)
    kept = final(published)
    retracted = [f for f in kept.values() if isinstance(f, ResponseFact) and f.retracted]
    (answer,) = responses(published)
    assert answer.response_s == 40.0 and len(retracted) == 1
    assert retracted[0].fact_id.endswith(script.events[3].event_id)


def test_removed_messages_do_not_count() -> None:
    from datetime import timedelta

    from schemas.events import ConversationEvent, EventType

    script = Script().added(0).customer(10).agent(20)
    agent_message = script.events[2]
    removed = ConversationEvent(
        event_id="rm",
        event_type=EventType.MESSAGE_REMOVED,
        account_sid="AC" + "0" * 32,
        conversation_sid=SID,
        message_sid=agent_message.message_sid,
        occurred_at=T0 + timedelta(seconds=25),
        redacted=True,
    )
    state, published = run([*script.events, removed], CFG)
    assert [r for r in responses(published)] == []
    assert derive(state, CFG).live.awaiting_since == at(10)


def test_state_round_trips_through_json() -> None:
    import json

    state, _ = run(Script().added(0).customer(10).agent(20).events, CFG)
    restored = ConversationState.from_json(json.loads(json.dumps(state.to_json())))
    assert restored == state
