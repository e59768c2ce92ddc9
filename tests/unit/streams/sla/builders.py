"""A tiny script language for SLA scenarios: canonical events at offsets (seconds) from a fixed origin."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.sla.config import SlaConfig
from streams.sla.facts import Fact
from streams.sla.state import ConversationState, apply

__all__ = ["SID", "T0", "Script", "run"]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SID = "CH" + "a" * 32


class Script:
    """Builds one conversation's events; ids and message indexes are assigned in call order."""

    def __init__(self, sid: str = SID, channel: str = "sms", queue: str = "billing") -> None:
        self.sid, self.channel, self.queue = sid, channel, queue
        self.events: list[ConversationEvent] = []
        self._ids = itertools.count()
        self._index = itertools.count()

    def _event(self, event_type: EventType, at: float, **fields: Any) -> ConversationEvent:
        event = ConversationEvent(
            event_id=f"ev-{next(self._ids)}",
            event_type=event_type,
            account_sid="AC" + "0" * 32,
            conversation_sid=self.sid,
            occurred_at=T0 + timedelta(seconds=at),
            redacted=True,
            **fields,
        )
        self.events.append(event)
        return event

    def added(self, at: float = 0.0) -> Script:
        self._event(EventType.CONVERSATION_ADDED, at, channel=self.channel, queue=self.queue)
        return self

    def joins(self, at: float, role: AuthorRole, author: str) -> Script:
        self._event(EventType.PARTICIPANT_ADDED, at, author=author, author_role=role)
        return self

    def says(self, at: float, role: AuthorRole, author: str = "", *, handoff: bool = False) -> Script:
        author = author or {
            AuthorRole.CUSTOMER: "cust_1",
            AuthorRole.AGENT: "agent:ann",
            AuthorRole.BOT: "bot:aria",
        }.get(role, "system")
        # Agent and bot messages come from the SDK: Twilio calls their channel "chat" whatever the conversation.
        channel = self.channel if role is AuthorRole.CUSTOMER else "chat"
        index = next(self._index)
        self._event(
            EventType.MESSAGE_ADDED,
            at,
            author=author,
            author_role=role,
            index=index,
            message_sid=f"IM{index:032d}",
            channel=channel,
            attributes={"escalated": True} if handoff else {},
        )
        return self

    def customer(self, at: float) -> Script:
        return self.says(at, AuthorRole.CUSTOMER)

    def agent(self, at: float, author: str = "agent:ann") -> Script:
        return self.says(at, AuthorRole.AGENT, author)

    def bot(self, at: float, *, handoff: bool = False) -> Script:
        return self.says(at, AuthorRole.BOT, handoff=handoff)

    def state(self, at: float, state_from: str, state_to: str, reason: str = "TIMER") -> Script:
        self._event(EventType.CONVERSATION_STATE_UPDATED, at, state_from=state_from, state_to=state_to, reason=reason)
        return self

    def receipt(self, at: float) -> Script:
        self._event(EventType.DELIVERY_UPDATED, at)
        return self


def run(events: list[ConversationEvent], cfg: SlaConfig) -> tuple[ConversationState, list[Fact]]:
    """Apply events in the given order; returns the final state and every fact published on the way."""
    state: ConversationState | None = None
    published: list[Fact] = []
    for event in events:
        result = apply(state, event, cfg)
        state = result.state
        published.extend(result.facts)
    assert state is not None
    return state, published
