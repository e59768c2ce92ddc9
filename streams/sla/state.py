"""Per-conversation SLA state and the function that applies one event to it.

Why a timeline and a replay instead of only a running counter: events arrive at least once and, from Event
Streams, out of order. The state keeps the few facts of each relevant event (time, kind, role, author, index)
in event-time order, keyed by event id; :func:`derive` replays that timeline from the start. So a duplicate is
a no-op by construction, a late event lands in its place and corrects the facts it touches, and the result
depends only on the *set* of events seen, never on their arrival order (property-tested).

Why also a checkpoint: replaying the whole timeline for every event costs O(events in the conversation) per
event. Almost every event arrives in order (it sorts after the whole timeline), and then the replay's result
is the previous replay's end state plus one step. The state therefore keeps ``walk``, the replay's end state
(counters, the open customer run, the mode; no facts, nothing personal); an in-order event resumes from it
and only the facts that step produced are fingerprinted. An out-of-order event, a removal, a late
``conversation.added`` or a missing checkpoint falls back to the full replay, which rewrites the checkpoint.
Both paths end in the same checkpoint (property-tested), so the facts never depend on which path ran.

Response facts that change are re-published with a higher ``version``; a fact that no longer exists (a late
agent reply now answers that run earlier) is re-published as ``retracted``. Delivery receipts and
conversation updates carry nothing the metrics need and are ignored.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

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
#: Entry kinds an in-order event may have and still resume from the checkpoint: ``added`` sets the channel,
#: queue and creation time of everything before it, ``removed`` erases an earlier message; both replay.
_RESUMABLE = frozenset({"participant", "message", "state"})


class Entry(NamedTuple):
    """One relevant event, reduced to what the metrics need (no body, no attributes: nothing personal).

    A tuple so that ordering is event time, then rank, then index, then id, and (de)serialising is cheap.
    """

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
        return list(self)

    @classmethod
    def from_list(cls, data: list[Any]) -> Entry:
        return cls._make(data)


@dataclass
class ConversationState:
    """Everything the stage remembers about one conversation (a Faust table value, JSON-serialised).

    :param timeline: relevant events in event-time order; their ids are the applied-event set.
    :param emitted: fact id → content digest of what was last published (to publish only changes).
    :param seq: how many distinct events were applied; the ``version`` of facts published now.
    :param partition: source partition, so a worker's live timer looks only at conversations it owns.
    :param walk: the replay's end state (see the module docstring); None until the first replay.
    """

    conversation_sid: str
    timeline: list[Entry] = field(default_factory=list)
    emitted: dict[str, str] = field(default_factory=dict)
    seq: int = 0
    partition: int | None = None
    walk: dict[str, Any] | None = None
    #: Start of the open wait last announced to the windows (None: none open), so a change is announced once.
    wait_announced: float | None = None
    #: [channel, queue] each published fact (and the open wait) was last counted under by the windows. A fact
    #: first derived before its conversation's ``conversation.added`` (unordered delivery) carries a provisional
    #: channel or queue; when the replay corrects it, the windows of the old key must give the fact up.
    window_keys: dict[str, list[str]] = field(default_factory=dict)
    wait_key: list[str] | None = None
    #: The timeline's event ids, built on first use (kept in step by :func:`apply`); not stored.
    _ids: set[str] | None = field(default=None, init=False, repr=False, compare=False)

    def applied(self, event_id: str) -> bool:
        if self._ids is None:
            self._ids = {e.event_id for e in self.timeline}
        return event_id in self._ids

    def _timeline_changed(self) -> None:
        self._ids = None

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_sid": self.conversation_sid,
            "timeline": list(map(list, self.timeline)),
            "emitted": self.emitted,
            "seq": self.seq,
            "partition": self.partition,
            "walk": self.walk,
            "wait_announced": self.wait_announced,
            "window_keys": self.window_keys,
            "wait_key": self.wait_key,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConversationState:
        make = Entry._make
        return cls(
            conversation_sid=data["conversation_sid"],
            timeline=[make(e) for e in data["timeline"]],
            emitted=dict(data["emitted"]),
            seq=int(data["seq"]),
            partition=data.get("partition"),
            walk=data.get("walk"),
            wait_announced=data.get("wait_announced"),
            window_keys=dict(data.get("window_keys") or {}),
            wait_key=data.get("wait_key"),
        )

    def live(self, cfg: SlaConfig) -> LiveView:
        """The live view, from the checkpoint when there is one (O(1)), else by a replay."""
        if self.walk is not None:
            return _Walk.resume(self, cfg).live()
        return derive(self, cfg).live

    @property
    def closed_at(self) -> float | None:
        """Event time of the close, from the checkpoint (None: open, or not replayed yet)."""
        return None if self.walk is None else self.walk["closed_at"]


@dataclass(frozen=True)
class LiveView:
    """What the wall-clock timer needs: is a customer waiting for a human now, since when, and how long quiet.

    ``breach_at`` is when the wait crosses its threshold (in business time when business hours apply), so
    the timer compares two numbers instead of computing calendars on every tick.
    """

    conversation_sid: str
    channel: str
    queue: str
    threshold_s: float
    state: str
    awaiting_since: float | None
    awaiting_first: bool
    last_activity: float | None
    breach_at: float | None = None
    #: Event time of the close (None while open): when the state may be evicted.
    closed_at: float | None = None


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
    #: Whether the event resumed from the checkpoint (True) or replayed the timeline (False).
    incremental: bool = False
    #: The open wait started, moved or ended: announce ``state.wait_announced`` to the windows.
    wait_changed: bool = False
    #: Facts now counted under another channel × queue than before, with the [channel, queue] whose windows
    #: must withdraw them (:func:`streams.sla.windows.withdrawn`).
    moved: list[tuple[Fact, list[str]]] = field(default_factory=list)
    #: The open wait moved to another channel × queue: the [channel, queue] whose windows must close it.
    wait_moved_from: list[str] | None = None


def _entry(event: ConversationEvent, cfg: SlaConfig) -> Entry | None:
    """Reduce an event to a timeline entry; None for events the metrics ignore."""
    t = event.event_type
    # Milliseconds: the precision of the facts on the wire and in ClickHouse (DateTime64(3)), so the facts
    # compared for changes are exactly what is published.
    base = {"ts": round(event.occurred_at.timestamp(), 3), "index": event.index or 0, "event_id": event.event_id}
    if t is EventType.CONVERSATION_ADDED:
        return Entry(rank=_RANK["added"], kind="added", channel=event.channel, queue=event.queue or "", **base)
    if t in (EventType.PARTICIPANT_ADDED, EventType.PARTICIPANT_UPDATED):
        return Entry(
            rank=_RANK["participant"],
            kind="participant",
            role=event.author_role.value,
            author=event.author or "",
            **base,
        )
    if t is EventType.MESSAGE_ADDED:
        handoff = bool(event.attributes.get(cfg.sla.handoff_attribute))
        return Entry(
            rank=_RANK["message"],
            kind="message",
            role=event.author_role.value,
            author=event.author or "",
            message_sid=event.message_sid or event.event_id,
            handoff=handoff,
            channel=event.channel,
            **base,
        )
    if t is EventType.MESSAGE_REMOVED:
        return Entry(rank=_RANK["removed"], kind="removed", message_sid=event.message_sid or "", **base)
    if t is EventType.CONVERSATION_STATE_UPDATED and event.state_to:
        return Entry(rank=_RANK["state"], kind="state", state_to=event.state_to.lower(), **base)
    if t is EventType.CONVERSATION_REMOVED:
        return Entry(rank=_RANK["state"], kind="state", state_to=_CLOSED, **base)
    return None


#: The walk's scalar fields saved in a checkpoint (plus run_start, removed, counts, agents below).
_SCALARS = (
    "channel",
    "queue",
    "created_at",
    "has_added",
    "has_customer",
    "state",
    "mode",
    "segment",
    "first_done",
    "run_messages",
    "inactive_at",
    "closed_at",
    "reopens",
    "unanswered_at_close",
    "last_activity",
    "answered",
    "breaches",
    "abandoned_waits",
    "short_abandons",
    "long_abandons",
    "first_response_s",
)


class _Walk:
    """One pass over a timeline in event-time order, accumulating facts (see docs/sla.md for the rules).

    Aggregates are running counters (not derived from the list of facts), so a checkpoint is small and a
    resumed walk can produce the conversation fact without the earlier response facts.
    """

    def __init__(self, sid: str, cfg: SlaConfig) -> None:
        self.sid = sid
        self.cfg = cfg
        self.channel = _UNKNOWN_CHANNEL
        self.queue = ""
        self.created_at = 0.0
        self.has_added = False
        self.has_customer = False
        self.removed: set[str] = set()
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
        self.answered = self.breaches = self.abandoned_waits = self.short_abandons = self.long_abandons = 0
        self.first_response_s: float | None = None

    @classmethod
    def fresh(cls, state: ConversationState, cfg: SlaConfig) -> _Walk:
        """A walk about to replay ``state.timeline`` from its start (the preamble reads the whole timeline)."""
        walk = cls(state.conversation_sid, cfg)
        timeline = state.timeline
        added = next((e for e in timeline if e.kind == "added"), None)
        first_customer = next((e for e in timeline if e.kind == "message" and e.role == AuthorRole.CUSTOMER), None)
        # The conversation's channel: from conversation.added; agent messages say "chat" even on SMS.
        channel = (added.channel if added else "") or (first_customer.channel if first_customer else "")
        walk.channel = channel or _UNKNOWN_CHANNEL
        walk.queue = added.queue if added else ""
        walk.has_added, walk.has_customer = added is not None, first_customer is not None
        walk.created_at = added.ts if added else (timeline[0].ts if timeline else 0.0)
        walk.removed = {e.message_sid for e in timeline if e.kind == "removed" and e.message_sid}
        return walk

    @classmethod
    def resume(cls, state: ConversationState, cfg: SlaConfig) -> _Walk:
        """The walk at the end of the timeline, from the checkpoint (no facts: those were published)."""
        assert state.walk is not None
        data = state.walk
        walk = cls(state.conversation_sid, cfg)
        for name in _SCALARS:
            setattr(walk, name, data[name])
        walk.removed = set(data["removed"])
        walk.counts = dict(data["counts"])
        walk.agents = set(data["agents"])
        walk.run_start = Entry._make(data["run_start"]) if data["run_start"] is not None else None
        return walk

    def checkpoint(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _SCALARS}
        data["removed"] = sorted(self.removed)
        data["counts"] = dict(self.counts)
        data["agents"] = sorted(self.agents)
        data["run_start"] = list(self.run_start) if self.run_start is not None else None
        return data

    def resumable(self, entry: Entry) -> bool:
        """Whether stepping ``entry`` after the checkpoint equals replaying the timeline with it at the end."""
        if entry.kind not in _RESUMABLE:
            return False
        # The first customer message names the channel when conversation.added is missing: that renames
        # every earlier fact, so replay.
        return not (
            entry.kind == "message"
            and entry.role == AuthorRole.CUSTOMER
            and not self.has_added
            and not self.has_customer
        )

    @property
    def threshold(self) -> float:
        return self.cfg.threshold_s(self.channel, self.queue)

    def awaiting_human(self) -> bool:
        return self.run_start is not None and self.mode in (_OPEN, _HUMAN)

    def run(self, timeline: list[Entry]) -> _Walk:
        for entry in timeline:
            self.step(entry)
        return self

    def step(self, entry: Entry) -> None:
        if self.closed_at is not None and entry.kind == "state":
            return  # closed is final in Twilio: later state events are noise
        getattr(self, f"_on_{entry.kind}")(entry)

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
        role = entry.role
        if role == AuthorRole.CUSTOMER:
            self.has_customer = True  # as the replay's preamble counts it: removed or not
        if entry.message_sid in self.removed:
            return
        self.last_activity = max(self.last_activity or entry.ts, entry.ts)
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
        start = self.run_start.ts
        # Response time counts business time only when business hours apply (else the calendar wait).
        wait = round(self.cfg.business_seconds(self.channel, self.queue, start, entry.ts), 3)
        threshold = self.threshold
        answered = outcome == ANSWERED
        fact = ResponseFact(
            response_id=f"{self.sid}:{prefix}:{entry.event_id}",
            conversation_sid=self.sid,
            channel=self.channel,
            queue=self.queue,
            outcome=outcome,
            agent=agent,
            customer_at=start,
            reply_at=entry.ts,
            response_s=wait,
            threshold_s=threshold,
            is_first=answered and not self.first_done,
            breached=wait > threshold,
            # Short abandon is about the customer's patience: calendar time, whatever the business hours.
            short_abandon=not answered and entry.ts - start < self.cfg.sla.short_abandon_s,
            segment=self.segment,
            customer_messages=self.run_messages,
        )
        self.responses.append(fact)
        if answered:
            self.answered += 1
            self.breaches += fact.breached
            if self.first_response_s is None:
                self.first_response_s = wait
            self.first_done = True
        else:
            self.abandoned_waits += 1
            self.short_abandons += fact.short_abandon
            self.long_abandons += not fact.short_abandon
        self.run_start, self.run_messages = None, 0

    def conversation(self) -> ConversationFact | None:
        if self.closed_at is None:
            return None
        total = sum(self.counts.values())
        return ConversationFact(
            conversation_sid=self.sid,
            channel=self.channel,
            queue=self.queue,
            created_at=self.created_at,
            closed_at=self.closed_at,
            handle_s=round(self.closed_at - self.created_at, 3),
            first_response_s=self.first_response_s,
            responses=self.answered,
            breaches=self.breaches,
            abandoned_waits=self.abandoned_waits,
            short_abandons=self.short_abandons,
            unanswered_at_close=self.unanswered_at_close,
            reopen_count=self.reopens,
            bot_contained=self.counts["agent"] == 0 and self.counts["bot"] > 0 and not self.abandoned_waits,
            abandoned=bool(self.long_abandons),
            messages_customer=self.counts["customer"],
            messages_agent=self.counts["agent"],
            messages_bot=self.counts["bot"],
            messages_other=self.counts["other"],
            cost=round(total * self.cfg.price(self.channel), 6),
            agents=tuple(sorted(self.agents)),
        )

    def live(self) -> LiveView:
        awaiting = self.awaiting_human() and self.state == _ACTIVE and self.closed_at is None
        since = self.run_start.ts if awaiting and self.run_start else None
        threshold = self.threshold
        return LiveView(
            conversation_sid=self.sid,
            channel=self.channel,
            queue=self.queue,
            threshold_s=threshold,
            state=_CLOSED if self.closed_at is not None else self.state,
            awaiting_since=since,
            awaiting_first=awaiting and not self.first_done,
            last_activity=self.last_activity,
            breach_at=None if since is None else self.cfg.breach_at(self.channel, self.queue, since, threshold),
            closed_at=self.closed_at,
        )


def derive(state: ConversationState, cfg: SlaConfig) -> Derived:
    """Replay the timeline: every response/abandon fact, the conversation fact if closed, the live view."""
    walk = _Walk.fresh(state, cfg).run(state.timeline)
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
        response_id=fact_id,
        conversation_sid=state.conversation_sid,
        channel=live.channel,
        queue=live.queue,
        outcome="",
        agent="",
        customer_at=latest,
        reply_at=latest,
        response_s=0.0,
        threshold_s=live.threshold_s,
        is_first=False,
        breached=False,
        short_abandon=False,
        segment=0,
        customer_messages=0,
        retracted=True,
    )


def _changed(
    state: ConversationState, facts: list[Fact], *, replace_all: bool
) -> tuple[list[Fact], list[tuple[Fact, list[str]]]]:
    """Facts whose content differs from what was published, and those of them the windows counted under another
    channel × queue (with that key); updates ``state.emitted`` and ``state.window_keys``.

    :param replace_all: ``facts`` is every current fact (a replay): forget published ids not among them.
    """
    changed: list[Fact] = []
    moved: list[tuple[Fact, list[str]]] = []
    published, counted = state.emitted, state.window_keys
    emitted: dict[str, str] = {} if replace_all else dict(published)
    keys: dict[str, list[str]] = {} if replace_all else dict(counted)
    for fact in facts:
        fingerprint = digest(fact)
        key = [fact.channel, fact.queue]
        if published.get(fact.fact_id) != fingerprint:
            changed.append(fact)
            before = counted.get(fact.fact_id)
            if before is not None and before != key:
                moved.append((fact, before))
        if isinstance(fact, ResponseFact) and fact.retracted:
            keys.pop(fact.fact_id, None)
        else:
            emitted[fact.fact_id] = fingerprint
            keys[fact.fact_id] = key
    state.emitted, state.window_keys = emitted, keys
    return changed, moved


def apply(
    state: ConversationState | None,
    event: ConversationEvent,
    cfg: SlaConfig,
    *,
    partition: int | None = None,
    incremental: bool = True,
) -> Applied:
    """Apply one event: returns the new state and the facts that changed (new, updated or retracted).

    :param state: the conversation's state, or None for a conversation not seen before. Mutated in place.
    :param partition: the event's source partition, remembered for the live timer.
    :param incremental: resume from the checkpoint when the event is in order (False: always replay; the
        benchmark's and tests' reference).
    """
    state = state or ConversationState(conversation_sid=event.conversation_sid)
    if partition is not None:
        state.partition = partition
    entry = _entry(event, cfg)
    if entry is None:
        return Applied(state, [], duplicate=False)
    if state.applied(entry.event_id):
        return Applied(state, [], duplicate=True)
    timeline = state.timeline
    if (
        incremental
        and state.walk is not None
        and timeline
        and entry > timeline[-1]
        and len(timeline) < cfg.sla.max_timeline_events
    ):
        walk = _Walk.resume(state, cfg)
        if walk.resumable(entry):
            timeline.append(entry)
            if state._ids is not None:
                state._ids.add(entry.event_id)
            state.seq += 1
            walk.step(entry)
            state.walk = walk.checkpoint()
            conversation = walk.conversation()
            stepped: list[Fact] = [*walk.responses, *([conversation] if conversation is not None else [])]
            changed, moved = _changed(state, _versioned(stepped, state.seq), replace_all=False)
            live = walk.live()
            wait_changed, wait_moved_from = _announce(state, live)
            return Applied(
                state,
                changed,
                duplicate=False,
                live=live,
                incremental=True,
                wait_changed=wait_changed,
                moved=moved,
                wait_moved_from=wait_moved_from,
            )
    bisect.insort(timeline, entry)
    state._timeline_changed()
    if len(timeline) > cfg.sla.max_timeline_events:
        dropped = timeline.pop(0)
        log.warning("sla timeline full conversation=%s dropped_event=%s", state.conversation_sid, dropped.event_id)
    state.seq += 1
    walk = _Walk.fresh(state, cfg).run(timeline)
    state.walk = walk.checkpoint()
    derived = Derived(responses=walk.responses, conversation=walk.conversation(), live=walk.live())
    changed, moved = _changed(state, current_facts(state, cfg, derived), replace_all=True)
    wait_changed, wait_moved_from = _announce(state, derived.live)
    return Applied(
        state,
        changed,
        duplicate=False,
        live=derived.live,
        wait_changed=wait_changed,
        moved=moved,
        wait_moved_from=wait_moved_from,
    )


def _announce(state: ConversationState, live: LiveView) -> tuple[bool, list[str] | None]:
    """Record the open wait the windows should know of. Returns whether it differs from the last announced one,
    and the [channel, queue] it was announced under when that key changed (its windows must close it)."""
    key = [live.channel, live.queue]
    before = state.wait_key
    moved = before is not None and before != key
    if live.awaiting_since == state.wait_announced and not moved:
        return False, None
    state.wait_announced = live.awaiting_since
    state.wait_key = key if live.awaiting_since is not None else None
    return True, before if moved else None
