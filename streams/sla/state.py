"""Per-conversation SLA state and the pure function that applies one event to it.

Why a timeline and a replay instead of a running counter: events arrive at least once and, from Event Streams,
out of order. The state keeps the few facts of each relevant event (time, kind, role, author, index) in
event-time order, keyed by event id; :func:`derive` replays that timeline from the start. So a duplicate is a
no-op by construction, a late event lands in its place and corrects the facts it touches, and the result
depends only on the *set* of events seen, never on their arrival order (property-tested).

Response facts that change are re-published with a higher ``version``; a fact that no longer exists (a late
agent reply now answers that run earlier) is re-published as ``retracted``. Delivery receipts and
conversation updates carry nothing the metrics need and are ignored.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field, replace
from typing import Any

from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.sla.config import SlaConfig
from streams.sla.facts import ABANDONED, ANSWERED, ConversationFact, Fact, ResponseFact, digest

__all__ = ["Applied", "ConversationState", "Derived", "Entry", "LiveView", "apply", "current_facts", "derive"]

log = logging.getLogger(__name__)

#: Tie-break at equal timestamps: the conversation exists before people join, who join before they talk.
_RANK = {"added": 0, "participant": 1, "message": 2, "removed": 3, "state": 4}
_UNKNOWN_CHANNEL = "unknown"
_INACTIVE, _CLOSED, _ACTIVE = "inactive", "closed", "active"
#: Modes of a conversation: nobody but the customer yet, a bot serving, a human (or hand-off) serving.
_OPEN, _BOT, _HUMAN = "open", "bot", "human"


@dataclass(frozen=True, order=True)
class Entry:
    """One relevant event, reduced to what the metrics need (no body, no attributes: nothing personal)."""

    ts: float
    rank: int
    index: int
    event_id: str
    kind: str
    role: str = ""
    author: str = ""
    message_sid: str = ""
    state_to: str = ""
    handoff: bool = False
    channel: str = ""
    queue: str = ""

    def to_list(self) -> list[Any]:
        return [self.ts, self.rank, self.index, self.event_id, self.kind, self.role, self.author,
                self.message_sid, self.state_to, self.handoff, self.channel, self.queue]

    @classmethod
    def from_list(cls, data: list[Any]) -> Entry:
        return cls(*data)


@dataclass
class ConversationState:
    """Everything the stage remembers about one conversation (a Faust table value, JSON-serialised).

    :param timeline: relevant events in event-time order; their ids are the applied-event set.
    :param emitted: fact id → content digest of what was last published (to publish only changes).
    :param seq: how many distinct events were applied; the ``version`` of facts published now.
    :param partition: source partition, so a worker's live timer looks only at conversations it owns.
    """

    conversation_sid: str
    timeline: list[Entry] = field(default_factory=list)
    emitted: dict[str, str] = field(default_factory=dict)
    seq: int = 0
    partition: int | None = None

    def applied(self, event_id: str) -> bool:
        return any(e.event_id == event_id for e in self.timeline)

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_sid": self.conversation_sid,
            "timeline": [e.to_list() for e in self.timeline],
            "emitted": self.emitted,
            "seq": self.seq,
            "partition": self.partition,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConversationState:
        return cls(
            conversation_sid=data["conversation_sid"],
            timeline=[Entry.from_list(e) for e in data["timeline"]],
            emitted=dict(data["emitted"]),
            seq=int(data["seq"]),
            partition=data.get("partition"),
        )


@dataclass(frozen=True)
class LiveView:
    """What the wall-clock timer needs: is a customer waiting for a human now, since when, and how long quiet."""

    conversation_sid: str
    channel: str
    queue: str
    threshold_s: float
    state: str
    awaiting_since: float | None
    awaiting_first: bool
    last_activity: float | None


@dataclass(frozen=True)
class Derived:
    responses: list[ResponseFact]
    conversation: ConversationFact | None
    live: LiveView


@dataclass(frozen=True)
class Applied:
    """The result of :func:`apply`. ``duplicate`` events change nothing; the agent then re-publishes
    :func:`current_facts`, because the first delivery's output may have been lost in a crash."""

    state: ConversationState
    facts: list[Fact]
    duplicate: bool
    #: The live view after the event (None when the event was ignored or a duplicate).
    live: LiveView | None = None


def _entry(event: ConversationEvent, cfg: SlaConfig) -> Entry | None:
    """Reduce an event to a timeline entry; None for events the metrics ignore."""
    t = event.event_type
    # Milliseconds: the precision of the facts on the wire and in ClickHouse (DateTime64(3)), so the facts
    # compared for changes are exactly what is published.
    base = {"ts": round(event.occurred_at.timestamp(), 3), "index": event.index or 0, "event_id": event.event_id}
    if t is EventType.CONVERSATION_ADDED:
        return Entry(rank=_RANK["added"], kind="added", channel=event.channel, queue=event.queue or "", **base)
    if t in (EventType.PARTICIPANT_ADDED, EventType.PARTICIPANT_UPDATED):
        return Entry(rank=_RANK["participant"], kind="participant", role=event.author_role.value,
                     author=event.author or "", **base)
    if t is EventType.MESSAGE_ADDED:
        handoff = bool(event.attributes.get(cfg.sla.handoff_attribute))
        return Entry(rank=_RANK["message"], kind="message", role=event.author_role.value, author=event.author or "",
                     message_sid=event.message_sid or event.event_id, handoff=handoff, channel=event.channel,
                     **base)
    if t is EventType.MESSAGE_REMOVED:
        return Entry(rank=_RANK["removed"], kind="removed", message_sid=event.message_sid or "", **base)
    if t is EventType.CONVERSATION_STATE_UPDATED and event.state_to:
        return Entry(rank=_RANK["state"], kind="state", state_to=event.state_to.lower(), **base)
    if t is EventType.CONVERSATION_REMOVED:
        return Entry(rank=_RANK["state"], kind="state", state_to=_CLOSED, **base)
    return None


class _Walk:
    """One pass over a timeline in event-time order, accumulating facts (see docs/sla.md for the rules)."""

    def __init__(self, state: ConversationState, cfg: SlaConfig) -> None:
        self.sid = state.conversation_sid
        self.cfg = cfg
        timeline = state.timeline
        added = next((e for e in timeline if e.kind == "added"), None)
        first_customer = next((e for e in timeline if e.kind == "message" and e.role == AuthorRole.CUSTOMER), None)
        # The conversation's channel: from conversation.added; agent messages say "chat" even on SMS.
        self.channel = (added.channel if added else "") or (first_customer.channel if first_customer else "")
        self.channel = self.channel or _UNKNOWN_CHANNEL
        self.queue = added.queue if added else ""
        self.threshold = cfg.threshold_s(self.channel, self.queue)
        self.created_at = added.ts if added else (timeline[0].ts if timeline else 0.0)
        self.removed = {e.message_sid for e in timeline if e.kind == "removed" and e.message_sid}
        self.responses: list[ResponseFact] = []
        self.state = _ACTIVE
        self.mode = _OPEN
        self.segment = 0
        self.first_done = False
        self.run_start: Entry | None = None
        self.run_messages = 0
        self.inactive_at: float | None = None
        self.closed_at: float | None = None
        self.reopens = 0
        self.unanswered_at_close = 0
        self.counts = {"customer": 0, "agent": 0, "bot": 0, "other": 0}
        self.agents: set[str] = set()
        self.last_activity: float | None = None

    def awaiting_human(self) -> bool:
        return self.run_start is not None and self.mode in (_OPEN, _HUMAN)

    def run(self, timeline: list[Entry]) -> _Walk:
        for entry in timeline:
            if self.closed_at is not None and entry.kind == "state":
                continue  # closed is final in Twilio: later state events are noise
            getattr(self, f"_on_{entry.kind}")(entry)
        return self

    def _on_added(self, entry: Entry) -> None:
        self.last_activity = max(self.last_activity or entry.ts, entry.ts)

    def _on_removed(self, entry: Entry) -> None:
        return None

    def _on_participant(self, entry: Entry) -> None:
        if entry.role == AuthorRole.BOT and self.mode == _OPEN:
            self.mode = _BOT
        elif entry.role == AuthorRole.AGENT:
            self.mode = _HUMAN

    def _on_message(self, entry: Entry) -> None:
        if entry.message_sid in self.removed:
            return
        self.last_activity = max(self.last_activity or entry.ts, entry.ts)
        role = entry.role
        self.counts[role if role in self.counts else "other"] += 1
        if self.closed_at is not None:
            return
        if role == AuthorRole.CUSTOMER:
            if self.run_start is None:
                self.run_start, self.run_messages = entry, 0
            self.run_messages += 1
        elif role == AuthorRole.AGENT:
            self.mode = _HUMAN
            self.agents.add(entry.author)
            if self.run_start is not None:
                self._end_wait(entry, ANSWERED, agent=entry.author, prefix="r")
        elif role == AuthorRole.BOT:
            if entry.handoff:
                self.mode = _HUMAN
                if self.run_start is None:  # a proactive hand-off: the customer waits from here
                    self.run_start, self.run_messages = entry, 0
            elif self.mode != _HUMAN:
                self.mode = _BOT
                self.run_start = None  # the bot answered; nobody waits for a human

    def _on_state(self, entry: Entry) -> None:
        to = entry.state_to
        self.last_activity = max(self.last_activity or entry.ts, entry.ts)
        if to in (_INACTIVE, _CLOSED) and self.state == _ACTIVE:
            if self.awaiting_human() and not self.first_done:
                self._end_wait(entry, ABANDONED, agent="", prefix="a")
            elif self.awaiting_human():
                self.unanswered_at_close += 1
            self.run_start = None
            self.inactive_at = entry.ts
        if to == _ACTIVE and self.state == _INACTIVE:
            if self.inactive_at is not None and entry.ts - self.inactive_at <= self.cfg.sla.reopen_window_s:
                self.reopens += 1
            self.segment += 1
            self.first_done = False
        if to == _CLOSED:
            self.closed_at = entry.ts
        self.state = to

    def _end_wait(self, entry: Entry, outcome: str, *, agent: str, prefix: str) -> None:
        assert self.run_start is not None
        wait = round(entry.ts - self.run_start.ts, 3)
        answered = outcome == ANSWERED
        self.responses.append(ResponseFact(
            response_id=f"{self.sid}:{prefix}:{entry.event_id}",
            conversation_sid=self.sid, channel=self.channel, queue=self.queue, outcome=outcome, agent=agent,
            customer_at=self.run_start.ts, reply_at=entry.ts, response_s=wait, threshold_s=self.threshold,
            is_first=answered and not self.first_done, breached=wait > self.threshold,
            short_abandon=not answered and wait < self.cfg.sla.short_abandon_s,
            segment=self.segment, customer_messages=self.run_messages,
        ))
        if answered:
            self.first_done = True
        self.run_start, self.run_messages = None, 0

    def conversation(self) -> ConversationFact | None:
        if self.closed_at is None:
            return None
        answered = [r for r in self.responses if r.outcome == ANSWERED]
        abandoned = [r for r in self.responses if r.outcome == ABANDONED]
        total = sum(self.counts.values())
        long_abandons = [r for r in abandoned if not r.short_abandon]
        return ConversationFact(
            conversation_sid=self.sid, channel=self.channel, queue=self.queue, created_at=self.created_at,
            closed_at=self.closed_at, handle_s=round(self.closed_at - self.created_at, 3),
            first_response_s=answered[0].response_s if answered else None,
            responses=len(answered), breaches=sum(r.breached for r in answered),
            abandoned_waits=len(abandoned), short_abandons=len(abandoned) - len(long_abandons),
            unanswered_at_close=self.unanswered_at_close, reopen_count=self.reopens,
            bot_contained=self.counts["agent"] == 0 and self.counts["bot"] > 0 and not abandoned,
            abandoned=bool(long_abandons),
            messages_customer=self.counts["customer"], messages_agent=self.counts["agent"],
            messages_bot=self.counts["bot"], messages_other=self.counts["other"],
            cost=round(total * self.cfg.price(self.channel), 6), agents=tuple(sorted(self.agents)),
        )

    def live(self) -> LiveView:
        awaiting = self.awaiting_human() and self.state == _ACTIVE and self.closed_at is None
        return LiveView(
            conversation_sid=self.sid, channel=self.channel, queue=self.queue, threshold_s=self.threshold,
            state=_CLOSED if self.closed_at is not None else self.state,
            awaiting_since=self.run_start.ts if awaiting and self.run_start else None,
            awaiting_first=awaiting and not self.first_done, last_activity=self.last_activity,
        )


def derive(state: ConversationState, cfg: SlaConfig) -> Derived:
    """Replay the timeline: every response/abandon fact, the conversation fact if closed, the live view."""
    walk = _Walk(state, cfg).run(state.timeline)
    return Derived(responses=walk.responses, conversation=walk.conversation(), live=walk.live())


def _versioned(facts: list[Fact], version: int) -> list[Fact]:
    return [replace(f, version=version) for f in facts]


def current_facts(state: ConversationState, cfg: SlaConfig, derived: Derived | None = None) -> list[Fact]:
    """Every fact the state implies now (plus retractions of published ones that vanished)."""
    derived = derived or derive(state, cfg)
    facts: list[Fact] = [*derived.responses]
    if derived.conversation is not None:
        facts.append(derived.conversation)
    live_ids = {f.fact_id for f in facts}
    facts.extend(_retraction(state, fid, derived) for fid in sorted(state.emitted) if fid not in live_ids)
    return _versioned(facts, state.seq)


def _retraction(state: ConversationState, fact_id: str, derived: Derived) -> ResponseFact:
    """Only response facts can vanish (a conversation, once closed, stays closed). The retraction is dated at
    the conversation's latest event, so it is deterministic and not older than any retention cut-off."""
    live = derived.live
    latest = state.timeline[-1].ts if state.timeline else 0.0
    return ResponseFact(
        response_id=fact_id, conversation_sid=state.conversation_sid, channel=live.channel, queue=live.queue,
        outcome="", agent="", customer_at=latest, reply_at=latest, response_s=0.0, threshold_s=live.threshold_s,
        is_first=False, breached=False, short_abandon=False, segment=0, customer_messages=0, retracted=True,
    )


def apply(
    state: ConversationState | None, event: ConversationEvent, cfg: SlaConfig, *, partition: int | None = None
) -> Applied:
    """Apply one event: returns the new state and the facts that changed (new, updated or retracted).

    :param state: the conversation's state, or None for a conversation not seen before.
    :param partition: the event's source partition, remembered for the live timer.
    """
    state = state or ConversationState(conversation_sid=event.conversation_sid)
    if partition is not None:
        state.partition = partition
    entry = _entry(event, cfg)
    if entry is None:
        return Applied(state, [], duplicate=False)
    if state.applied(entry.event_id):
        return Applied(state, [], duplicate=True)
    bisect.insort(state.timeline, entry)
    if len(state.timeline) > cfg.sla.max_timeline_events:
        dropped = state.timeline.pop(0)
        log.warning("sla timeline full conversation=%s dropped_event=%s", state.conversation_sid, dropped.event_id)
    state.seq += 1
    changed: list[Fact] = []
    emitted: dict[str, str] = {}
    derived = derive(state, cfg)
    for fact in current_facts(state, cfg, derived):
        fingerprint = digest(fact)
        if not (isinstance(fact, ResponseFact) and fact.retracted):
            emitted[fact.fact_id] = fingerprint
        if state.emitted.get(fact.fact_id) != fingerprint:
            changed.append(fact)
    state.emitted = emitted
    return Applied(state, changed, duplicate=False, live=derived.live)
