"""The QA sampling policy: each reason, the deterministic random share, and order/duplicate independence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import reduce

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxpulse.settings import QaSettings
from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.qa import fold, sample_record, sample_tables
from streams.qa_policy import (
    BREACH,
    ESCALATION,
    LOW_CONFIDENCE,
    RANDOM,
    REASONS,
    REOPEN,
    QaPolicy,
    QaState,
    observe_conversation_fact,
    observe_event,
    observe_response_fact,
    random_pick,
    reasons,
    sample,
)

SID = "CH" + "a" * 32
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
#: No random picks, every other reason on: each test below sees only the reasons it provokes.
POLICY = QaPolicy.from_settings(QaSettings(random_pct=0.0, low_confidence_below=0.6))


def _event(
    kind: EventType,
    second: float,
    *,
    role: AuthorRole = AuthorRole.UNKNOWN,
    channel: str = "whatsapp",
    queue: str | None = None,
    state_from: str | None = None,
    state_to: str | None = None,
    attributes: dict | None = None,
) -> dict:
    return {
        "event_type": str(kind),
        "occurred_at": T0 + timedelta(seconds=second),
        "author_role": str(role),
        "channel": channel,
        "queue": queue,
        "state_from": state_from,
        "state_to": state_to,
        "attributes": attributes or {},
    }


def _apply(state: QaState, item: tuple[str, dict], policy: QaPolicy = POLICY) -> QaState:
    kind, data = item
    if kind == "event":
        return observe_event(state, policy, **data)
    if kind == "response":
        return observe_response_fact(state, data)
    return observe_conversation_fact(state, data)


def _response(second: float, *, breached: bool, retracted: bool = False) -> dict:
    return {
        "conversation_sid": SID,
        "channel": "whatsapp",
        "queue": "billing",
        "breached": breached,
        "retracted": retracted,
        "customer_at": (T0 + timedelta(seconds=second)).isoformat(),
        "reply_at": (T0 + timedelta(seconds=second + 90)).isoformat(),
    }


def _conversation_fact(*, breaches: int = 0, reopen_count: int = 0) -> dict:
    return {
        "conversation_sid": SID,
        "channel": "whatsapp",
        "queue": "billing",
        "breaches": breaches,
        "reopen_count": reopen_count,
        "created_at": T0.isoformat(),
        "closed_at": (T0 + timedelta(minutes=30)).isoformat(),
    }


def _run(items: list[tuple[str, dict]], policy: QaPolicy = POLICY) -> QaState:
    return reduce(lambda s, i: _apply(s, i, policy), items, QaState(SID))


ADDED = ("event", _event(EventType.CONVERSATION_ADDED, 0, channel="whatsapp", queue="billing"))
CUSTOMER = ("event", _event(EventType.MESSAGE_ADDED, 1, role=AuthorRole.CUSTOMER))
BOT_SURE = (
    "event",
    _event(
        EventType.MESSAGE_ADDED,
        5,
        role=AuthorRole.BOT,
        attributes={"intent": "billing_dispute", "ai_confidence": 0.91, "sentiment": "neutral"},
    ),
)
BOT_UNSURE = (
    "event",
    _event(
        EventType.MESSAGE_ADDED,
        9,
        role=AuthorRole.BOT,
        attributes={"intent": "refund", "ai_confidence": 0.42, "sentiment": "negative"},
    ),
)
BOT_HANDOFF = ("event", _event(EventType.MESSAGE_ADDED, 12, role=AuthorRole.BOT, attributes={"escalated": True}))
AGENT = ("event", _event(EventType.MESSAGE_ADDED, 40, role=AuthorRole.AGENT, channel="chat"))
REOPENED = ("event", _event(EventType.CONVERSATION_STATE_UPDATED, 600, state_from="inactive", state_to="active"))


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([ADDED, CUSTOMER, BOT_SURE], ()),
        ([ADDED, CUSTOMER, BOT_SURE, ("response", _response(1, breached=False))], ()),
        ([ADDED, ("response", _response(1, breached=True))], (BREACH,)),
        ([ADDED, ("response", _response(1, breached=True, retracted=True))], ()),
        ([ADDED, ("conversation", _conversation_fact(breaches=2))], (BREACH,)),
        ([ADDED, BOT_UNSURE], (LOW_CONFIDENCE,)),
        ([ADDED, BOT_HANDOFF], (ESCALATION,)),
        ([ADDED, BOT_SURE, AGENT], (ESCALATION,)),  # a human after a bot, without the attribute
        ([ADDED, AGENT], ()),  # a human with no bot before is no hand-off
        ([ADDED, REOPENED], (REOPEN,)),
        ([ADDED, ("conversation", _conversation_fact(reopen_count=1))], (REOPEN,)),
        (
            [ADDED, BOT_UNSURE, BOT_HANDOFF, REOPENED, ("response", _response(1, breached=True))],
            (BREACH, LOW_CONFIDENCE, ESCALATION, REOPEN),
        ),
    ],
)
def test_each_reason_picks_only_when_its_signal_is_present(items: list, expected: tuple[str, ...]) -> None:
    assert tuple(reasons(_run(items), POLICY)) == expected


def test_switched_off_reasons_never_pick() -> None:
    off = QaPolicy.from_settings(
        QaSettings(random_pct=0.0, breaches=False, low_confidence_below=0.0, escalations=False, reopens=False)
    )
    everything = [ADDED, BOT_UNSURE, BOT_HANDOFF, AGENT, REOPENED, ("response", _response(1, breached=True))]
    assert sample(_run(everything, off), off) is None


def test_sample_carries_metadata_from_the_right_sources() -> None:
    state = _run([ADDED, CUSTOMER, BOT_SURE, BOT_UNSURE, AGENT, ("response", _response(1, breached=True))])
    picked = sample(state, POLICY)
    assert picked is not None
    assert picked.reasons == (BREACH, LOW_CONFIDENCE, ESCALATION)
    # The agent's "chat" message never overrides the conversation's channel.
    assert (picked.channel, picked.queue) == ("whatsapp", "billing")
    assert (picked.intent, picked.sentiment) == ("refund", "negative")  # the newest annotation
    assert picked.ai_confidence == pytest.approx(0.42)  # the lowest confidence seen
    # The earliest reason: the low-confidence bot message at +9 s (breach: reply at +91 s, hand-off: +40 s).
    assert picked.picked_at == (T0 + timedelta(seconds=9)).timestamp()
    assert picked.policy_version == POLICY.version


def test_random_pick_is_deterministic_and_converges_to_the_configured_share() -> None:
    sids = [f"CH{n:032x}" for n in range(20_000)]
    picks = [random_pick(s, pct=5.0, salt="s1") for s in sids]
    assert picks == [random_pick(s, pct=5.0, salt="s1") for s in sids]
    share = sum(picks) / len(sids)
    # 5% of 20,000 has a standard deviation of about 0.15 percentage points: 4.4-5.6% is four sigmas.
    assert 0.044 < share < 0.056
    other_salt = [random_pick(s, pct=5.0, salt="s2") for s in sids]
    assert other_salt != picks, "a different salt draws a different sample"
    assert not any(random_pick(s, pct=0.0, salt="s1") for s in sids[:100])
    assert all(random_pick(s, pct=100.0, salt="s1") for s in sids[:100])


def test_random_reason_is_timed_at_the_first_input() -> None:
    sid = next(f"CH{n:032x}" for n in range(1000) if random_pick(f"CH{n:032x}", pct=10.0, salt="x"))
    policy = QaPolicy.from_settings(QaSettings(random_pct=10.0, random_salt="x"))
    state = reduce(lambda s, i: _apply(s, i, policy), [CUSTOMER, ADDED], QaState(sid))
    picked = sample(state, policy)
    assert picked is not None and picked.reasons == (RANDOM,)
    assert picked.picked_at == T0.timestamp()


ALL_INPUTS = [
    ADDED,
    CUSTOMER,
    BOT_SURE,
    BOT_UNSURE,
    BOT_HANDOFF,
    AGENT,
    REOPENED,
    ("response", _response(1, breached=True)),
    ("response", _response(300, breached=False)),
    ("conversation", _conversation_fact(breaches=1, reopen_count=1)),
]


@settings(max_examples=200, deadline=None)
@given(st.permutations(ALL_INPUTS), st.lists(st.sampled_from(ALL_INPUTS), max_size=6))
def test_any_order_and_any_duplicates_give_the_same_sample(order: list, duplicates: list) -> None:
    """At-least-once delivery and replays: the final sample depends only on the set of inputs."""
    expected = sample(_run(ALL_INPUTS), POLICY)
    assert sample(_run(order + duplicates), POLICY) == expected
    assert expected is not None and set(expected.reasons) == set(REASONS) - {RANDOM}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(ALL_INPUTS), min_size=1, max_size=8))
def test_reasons_only_grow(items: list) -> None:
    """A conversation once picked stays picked: every prefix's reasons are a subset of the next one's."""
    state = QaState(SID)
    seen: set[str] = set()
    for item in items:
        state = _apply(state, item)
        now = set(reasons(state, POLICY))
        assert seen <= now
        seen = now


def test_stage_fold_and_rows_round_trip() -> None:
    """The stage's thin parts: a canonical event and a fact fold in; a sample record becomes one row."""
    event = ConversationEvent(
        event_id="e1",
        event_type=EventType.MESSAGE_ADDED,
        account_sid="AC" + "0" * 32,
        conversation_sid=SID,
        message_sid="IM" + "1" * 32,
        author="bot:aria",
        author_role=AuthorRole.BOT,
        body="ok",
        channel="sms",
        attributes={"ai_confidence": 0.3, "intent": "refund"},
        occurred_at=T0,
        redacted=True,
    )
    state = fold(None, "events", event.to_json(), POLICY)
    assert state is not None and state.ai_confidence == pytest.approx(0.3)
    state = fold(state, "responses", json.dumps(_response(1, breached=True)).encode(), POLICY)
    assert state is not None
    assert fold(state, "responses", b"not json", POLICY) is None
    picked = sample(state, POLICY)
    assert picked is not None
    rows = sample_tables([sample_record(picked, 3), b"{broken"])["qa_samples"]
    assert len(rows.rows) == 1
    row = dict(zip(rows.columns, rows.rows[0], strict=True))
    assert row["reasons"] == [BREACH, LOW_CONFIDENCE]
    assert row["picked_at"] == T0
    assert (row["channel"], row["queue"], row["intent"], row["version"]) == ("whatsapp", "billing", "refund", 3)
