"""The QA sampling policy, as pure functions: which conversations reviewers get, and why.

The sampler stage (:mod:`streams.qa`) folds three kinds of input into one :class:`QaState` per conversation:
redacted events (attributes carry the AI layer's intent, sentiment and confidence; state changes show
reopens; a bot's escalation attribute or a human reply after a bot shows a hand-off) and the SLA stage's
response and conversation facts (breaches, reopens, the resolved channel and queue). :func:`sample` then
turns a state into a :class:`Sample` when at least one reason applies.

Every fold is commutative and idempotent (set union, minimum, "newest by event time wins", highest-priority
source wins): the same inputs give the same state in any order and any number of times. That is what makes
the sampler safe under Kafka's at-least-once delivery and replays: the final sample of a conversation does
not depend on how its topics interleaved.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cxpulse.settings import QaSettings

__all__ = [
    "BREACH",
    "ESCALATION",
    "LOW_CONFIDENCE",
    "REASONS",
    "REOPEN",
    "RANDOM",
    "QaPolicy",
    "QaState",
    "Sample",
    "observe_conversation_fact",
    "observe_event",
    "observe_response_fact",
    "random_pick",
    "reasons",
    "sample",
]

RANDOM = "random"
BREACH = "breach"
LOW_CONFIDENCE = "low_ai_confidence"
ESCALATION = "escalation"
REOPEN = "reopen"
#: Canonical order of reasons in a sample (and on the dashboard).
REASONS = (BREACH, LOW_CONFIDENCE, ESCALATION, REOPEN, RANDOM)

#: Where a channel/queue came from; a higher rank wins. SLA facts resolve the conversation's own channel
#: (agents answering from a web app send ``chat`` messages inside WhatsApp conversations).
_RANK_NONE, _RANK_MESSAGE, _RANK_CONVERSATION_EVENT, _RANK_SLA_FACT = 0, 1, 2, 3
_HASH_SPACE = float(2**64)
_PERCENT = 100.0
_TRUTHY = frozenset({"true", "1", "yes", "y"})
_HUMAN = "agent"
_BOT = "bot"
_CUSTOMER = "customer"


@dataclass(frozen=True)
class QaPolicy:
    """The parts of ``[qa]`` that decide picks (see :class:`cxpulse.settings.QaSettings`)."""

    version: str
    random_pct: float
    random_salt: str
    breaches: bool
    low_confidence_below: float
    escalations: bool
    reopens: bool
    intent_attribute: str = "intent"
    sentiment_attribute: str = "sentiment"
    confidence_attribute: str = "ai_confidence"
    escalation_attribute: str = "escalated"

    @classmethod
    def from_settings(cls, qa: QaSettings) -> QaPolicy:
        return cls(
            version=qa.policy_version,
            random_pct=qa.random_pct,
            # no salt (tools and tests, never the worker: it refuses to start without one) = a sample nobody can
            # predict, though replays would not agree
            random_salt=qa.random_salt.get_secret_value() if qa.random_salt else secrets.token_hex(16),
            breaches=qa.breaches,
            low_confidence_below=qa.low_confidence_below,
            escalations=qa.escalations,
            reopens=qa.reopens,
            intent_attribute=qa.intent_attribute,
            sentiment_attribute=qa.sentiment_attribute,
            confidence_attribute=qa.confidence_attribute,
            escalation_attribute=qa.escalation_attribute,
        )


@dataclass(frozen=True)
class QaState:
    """What the sampler knows about one conversation. Times are epoch seconds (event time, never wall clock)."""

    conversation_sid: str
    channel: str = ""
    queue: str = ""
    channel_rank: int = _RANK_NONE
    intent: str = ""
    intent_at: float | None = None
    sentiment: str = ""
    sentiment_at: float | None = None
    #: The lowest AI confidence seen on any event of the conversation.
    ai_confidence: float | None = None
    #: Event time of the first input seen (the random reason applies from there).
    first_at: float | None = None
    #: Event time of the earliest input that carried each signal.
    breach_at: float | None = None
    escalation_at: float | None = None
    reopen_at: float | None = None
    low_confidence_at: float | None = None
    #: Earliest bot and earliest human agent message: a first human message after the first bot message is a
    #: hand-off (both are minima, so the answer does not depend on arrival order).
    bot_at: float | None = None
    human_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QaState:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Sample:
    """One conversation picked for review, with the metadata reviewers filter by."""

    conversation_sid: str
    reasons: tuple[str, ...]
    picked_at: float
    policy_version: str
    channel: str
    queue: str
    intent: str
    sentiment: str
    ai_confidence: float | None

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["reasons"] = list(self.reasons)
        return data


def random_pick(conversation_sid: str, *, pct: float, salt: str) -> bool:
    """Is the conversation in the random ``pct`` % sample? A salted SHA-256 of the sid decides, so every
    worker, restart and replay gives the same answer, and the share converges to ``pct``."""
    if pct <= 0:
        return False
    if pct >= _PERCENT:
        return True
    digest = hashlib.sha256(f"{salt}\0{conversation_sid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _HASH_SPACE < pct / _PERCENT


def _min(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _newest(current: str, current_at: float | None, value: str, at: float) -> tuple[str, float | None]:
    """Newest by event time; ties go to the larger value, so the outcome does not depend on arrival order."""
    if not value:
        return current, current_at
    if current_at is None or at > current_at or (at == current_at and value > current):
        return value, at
    return current, current_at


def _place(state: QaState, channel: str, queue: str, rank: int) -> QaState:
    """Channel and queue from the most authoritative source seen; among equals, the larger value (stable)."""
    if not channel and not queue:
        return state
    candidate = (rank, channel, queue)
    if candidate > (state.channel_rank, state.channel, state.queue):
        return replace(state, channel=channel, queue=queue, channel_rank=rank)
    return state


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in _TRUTHY


def _confidence(value: object) -> float | None:
    """A confidence in [0, 1] from a number or numeric string; anything else is not a confidence."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if 0.0 <= number <= 1.0 else None


def _seen(state: QaState, at: float) -> QaState:
    return replace(state, first_at=_min(state.first_at, at))


def observe_event(
    state: QaState,
    policy: QaPolicy,
    *,
    event_type: str,
    occurred_at: datetime,
    author_role: str,
    channel: str,
    queue: str | None,
    state_from: str | None,
    state_to: str | None,
    attributes: Mapping[str, Any],
) -> QaState:
    """Fold one redacted event (its fields as plain values) into the conversation's state."""
    at = occurred_at.timestamp()
    state = _seen(state, at)
    if event_type.startswith("conversation."):
        state = _place(state, channel, queue or "", _RANK_CONVERSATION_EVENT)
    elif event_type == "message.added" and author_role == _CUSTOMER:
        state = _place(state, channel, queue or "", _RANK_MESSAGE)
    if event_type == "conversation.state_updated" and state_from == "inactive" and state_to == "active":
        state = replace(state, reopen_at=_min(state.reopen_at, at))
    if not event_type.startswith("message."):
        return state
    intent, intent_at = _newest(state.intent, state.intent_at, str(attributes.get(policy.intent_attribute) or ""), at)
    sentiment, sentiment_at = _newest(
        state.sentiment, state.sentiment_at, str(attributes.get(policy.sentiment_attribute) or ""), at
    )
    state = replace(state, intent=intent, intent_at=intent_at, sentiment=sentiment, sentiment_at=sentiment_at)
    confidence = _confidence(attributes.get(policy.confidence_attribute))
    if confidence is not None:
        state = replace(state, ai_confidence=_min(state.ai_confidence, confidence))
        if confidence < policy.low_confidence_below:
            state = replace(state, low_confidence_at=_min(state.low_confidence_at, at))
    if _truthy(attributes.get(policy.escalation_attribute)):
        state = replace(state, escalation_at=_min(state.escalation_at, at))
    if event_type == "message.added" and author_role == _BOT:
        state = replace(state, bot_at=_min(state.bot_at, at))
    elif event_type == "message.added" and author_role == _HUMAN:
        state = replace(state, human_at=_min(state.human_at, at))
    return state


def observe_response_fact(state: QaState, fact: Mapping[str, Any]) -> QaState:
    """Fold an SLA response fact (``cx.sla.responses`` JSON): a breached, unretracted wait is a breach."""
    at = datetime.fromisoformat(fact["customer_at"]).timestamp()
    state = _place(_seen(state, at), fact.get("channel") or "", fact.get("queue") or "", _RANK_SLA_FACT)
    if fact.get("breached") and not fact.get("retracted"):
        reply_at = datetime.fromisoformat(fact["reply_at"]).timestamp()
        state = replace(state, breach_at=_min(state.breach_at, reply_at))
    return state


def observe_conversation_fact(state: QaState, fact: Mapping[str, Any]) -> QaState:
    """Fold an SLA conversation fact (``cx.sla.conversations`` JSON): breaches and counted reopens."""
    created = datetime.fromisoformat(fact["created_at"]).timestamp()
    closed = datetime.fromisoformat(fact["closed_at"]).timestamp()
    state = _place(_seen(state, created), fact.get("channel") or "", fact.get("queue") or "", _RANK_SLA_FACT)
    if int(fact.get("breaches") or 0) > 0:
        state = replace(state, breach_at=_min(state.breach_at, closed))
    if int(fact.get("reopen_count") or 0) > 0:
        state = replace(state, reopen_at=_min(state.reopen_at, closed))
    return state


def _handoff_at(state: QaState) -> float | None:
    """The first human agent message after the first bot message is a hand-off, with or without the
    escalation attribute."""
    if state.bot_at is not None and state.human_at is not None and state.human_at > state.bot_at:
        return _min(state.escalation_at, state.human_at)
    return state.escalation_at


def reasons(state: QaState, policy: QaPolicy) -> dict[str, float]:
    """Each reason that applies → the event time it first applied, in :data:`REASONS` order."""
    found: dict[str, float | None] = {
        BREACH: state.breach_at if policy.breaches else None,
        LOW_CONFIDENCE: state.low_confidence_at if policy.low_confidence_below > 0 else None,
        ESCALATION: _handoff_at(state) if policy.escalations else None,
        REOPEN: state.reopen_at if policy.reopens else None,
        RANDOM: (
            state.first_at
            if random_pick(state.conversation_sid, pct=policy.random_pct, salt=policy.random_salt)
            else None
        ),
    }
    return {reason: at for reason, at in found.items() if at is not None}


def sample(state: QaState, policy: QaPolicy) -> Sample | None:
    """The conversation's sample when any reason applies; ``picked_at`` is the earliest reason's event time."""
    why = reasons(state, policy)
    if not why:
        return None
    return Sample(
        conversation_sid=state.conversation_sid,
        reasons=tuple(why),
        picked_at=min(why.values()),
        policy_version=policy.version,
        channel=state.channel,
        queue=state.queue,
        intent=state.intent,
        sentiment=state.sentiment,
        ai_confidence=state.ai_confidence,
    )
