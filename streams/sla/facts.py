"""The facts the SLA stage publishes: one per answered/abandoned customer wait, one per closed conversation.

Facts are plain frozen dataclasses with stable ids derived from event ids, so a replayed event yields the same
fact id and ClickHouse's ReplacingMergeTree keeps one row. Times are epoch seconds internally and ISO-8601 UTC
on the wire.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

__all__ = ["ABANDONED", "ANSWERED", "ConversationFact", "Fact", "ResponseFact", "digest", "from_iso", "iso"]

ANSWERED = "answered"
ABANDONED = "abandoned"


def iso(ts: float | None) -> str | None:
    """Epoch seconds → ISO-8601 UTC with milliseconds (what ClickHouse's DateTime64(3) stores)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True)
class ResponseFact:
    """A customer wait that ended: answered by a human agent, or abandoned (conversation went quiet/closed).

    ``customer_at`` is the first message of the customer's run; ``reply_at`` the agent reply (answered) or the
    state change that ended the wait (abandoned).
    """

    response_id: str
    conversation_sid: str
    channel: str
    queue: str
    outcome: str
    agent: str
    customer_at: float
    reply_at: float
    response_s: float
    threshold_s: float
    is_first: bool
    breached: bool
    short_abandon: bool
    segment: int
    customer_messages: int
    retracted: bool = False
    version: int = 0

    kind = "response"

    @property
    def fact_id(self) -> str:
        return self.response_id

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["customer_at"] = iso(self.customer_at)
        data["reply_at"] = iso(self.reply_at)
        return data


@dataclass(frozen=True)
class ConversationFact:
    """What a closed conversation amounted to (re-published if a late event changes it)."""

    conversation_sid: str
    channel: str
    queue: str
    created_at: float
    closed_at: float
    handle_s: float
    first_response_s: float | None
    responses: int
    breaches: int
    abandoned_waits: int
    short_abandons: int
    unanswered_at_close: int
    reopen_count: int
    bot_contained: bool
    abandoned: bool
    messages_customer: int
    messages_agent: int
    messages_bot: int
    messages_other: int
    cost: float
    agents: tuple[str, ...] = field(default_factory=tuple)
    version: int = 0

    kind = "conversation"

    @property
    def fact_id(self) -> str:
        return f"{self.conversation_sid}:c"

    @property
    def messages_total(self) -> int:
        return self.messages_customer + self.messages_agent + self.messages_bot + self.messages_other

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = iso(self.created_at)
        data["closed_at"] = iso(self.closed_at)
        data["agents"] = list(self.agents)
        data["messages_total"] = self.messages_total
        return data


Fact = ResponseFact | ConversationFact


_DIGEST_FIELDS = {
    cls: tuple(f.name for f in fields(cls) if f.name != "version") for cls in (ResponseFact, ConversationFact)
}


def digest(fact: Fact) -> str:
    """A fingerprint of a fact's content without its version: unchanged facts are not re-published.

    ``repr`` of the field values, not JSON: it is computed for every fact an event touches, and float and
    string reprs are stable across processes, which is all a stored fingerprint needs.
    """
    values = tuple(getattr(fact, name) for name in _DIGEST_FIELDS[type(fact)])
    return hashlib.blake2b(repr(values).encode(), digest_size=8).hexdigest()
