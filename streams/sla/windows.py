"""Event-time windows per channel × queue: 1 m tumbling and 15 m hopping (1 m step), with a grace period.

Pure logic over a store of per-minute contributions. Inputs are the stage's own facts (a response fact at
its ``reply_at``, a conversation fact at its ``closed_at``, an "opened" marker at the conversation's creation),
each with a stable id and a version, so:

* a replayed input (same id, version not newer) changes nothing;
* a newer version replaces the fact's earlier contribution (also when it moved to another minute), and a
  retracted response removes it;
* an input whose minute closed more than ``grace`` ago (event time, by the watermark = latest event time
  seen for this channel × queue) does not change the metrics: it is counted in ``late_rejected`` of its window
  row and logged with ``late_by_s`` (Faust has no late hook; like Quix's ``on_late``).

Hopping windows are merged from the minutes they span, so a fact is stored once, not fifteen times, and their
quantiles are exact.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any

from streams.sla.facts import ABANDONED, ANSWERED, ConversationFact, ResponseFact, iso
from streams.sla.metrics import percentile

__all__ = [
    "HOPPING",
    "TUMBLING",
    "WAIT",
    "WindowBook",
    "WindowInput",
    "WindowRow",
    "WindowSpec",
    "aggregate",
    "from_fact",
    "hopping_starts",
    "opened",
    "wait",
    "window_start",
]

log = logging.getLogger(__name__)

TUMBLING = "tumbling"
HOPPING = "hopping"
OPENED = "opened"
#: A conversation's open wait (one per conversation, ``<sid>:w``): set when a customer starts waiting for a
#: human, moved when the run's start changes, retracted when the wait ends (its response fact takes over).
WAIT = "wait"


def window_start(ts: float, size: int) -> int:
    return int(math.floor(ts / size) * size)


def hopping_starts(ts: float, size: int, step: int) -> list[int]:
    """Starts of every hopping window (``size``, ``step``) that contains ``ts``, oldest first."""
    last = window_start(ts, step)
    return [s for s in range(last - size + step, last + 1, step) if s <= ts < s + size]


@dataclass(frozen=True)
class WindowSpec:
    step: int = 60
    hopping: int = 900
    grace: float = 60.0


@dataclass(frozen=True)
class WindowInput:
    """One fact as the windows see it (nothing personal: ids, times, numbers, flags)."""

    fact_id: str
    version: int
    kind: str  # "response" | "conversation" | "opened" | "wait"
    channel: str
    queue: str
    ts: float
    outcome: str = ""
    response_s: float = 0.0
    breached: bool = False
    short_abandon: bool = False
    bot_contained: bool = False
    abandoned: bool = False
    retracted: bool = False
    #: Responses: when the wait began (``customer_at``); None in inputs written before this field existed.
    started: float | None = None

    @property
    def key(self) -> str:
        return f"{self.channel}|{self.queue}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WindowInput:
        return cls(**data)


@dataclass(frozen=True)
class WindowRow:
    window: str
    channel: str
    queue: str
    window_start: float
    window_end: float
    conversations_opened: int
    conversations_closed: int
    responses: int
    breaches: int
    abandoned: int
    short_abandons: int
    response_p50_s: float | None
    response_p90_s: float | None
    response_p99_s: float | None
    service_level_pct: float | None
    bot_contained: int
    bot_containment_pct: float | None
    late_rejected: int
    version: int
    #: At the window's end (event time): conversations opened and not yet closed, customers awaiting a human,
    #: and the longest of those waits so far (see :meth:`WindowBook.gauges`).
    active: int = 0
    awaiting: int = 0
    oldest_wait_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["window_start"] = iso(self.window_start)
        data["window_end"] = iso(self.window_end)
        return data


def aggregate(contributions: Iterable[WindowInput]) -> dict[str, Any]:
    """The metrics of a set of contributions (definitions in docs/sla.md)."""
    times: list[float] = []
    breaches = abandoned = short = opened = closed = contained = abandoned_past = 0
    for c in contributions:
        if c.kind == OPENED:
            opened += 1
        elif c.kind == "conversation":
            closed += 1
            contained += c.bot_contained
        elif c.outcome == ANSWERED:
            times.append(c.response_s)
            breaches += c.breached
        elif c.outcome == ABANDONED:
            short += c.short_abandon
            abandoned += not c.short_abandon
            abandoned_past += c.breached and not c.short_abandon
    answered = len(times)
    counted = answered + abandoned_past
    return {
        "conversations_opened": opened,
        "conversations_closed": closed,
        "responses": answered,
        "breaches": breaches,
        "abandoned": abandoned,
        "short_abandons": short,
        "response_p50_s": percentile(times, 0.5),
        "response_p90_s": percentile(times, 0.9),
        "response_p99_s": percentile(times, 0.99),
        "service_level_pct": round(100.0 * (answered - breaches) / counted, 2) if counted else None,
        "bot_contained": contained,
        "bot_containment_pct": round(100.0 * contained / closed, 2) if closed else None,
    }


@dataclass
class WindowBook:
    """The windows of one channel × queue.

    :param minutes: minute start → {fact_id: contribution dict}; a Faust table adapter in the worker.
    :param meta: watermark, version counter and late counts (JSON-serialisable, stored next to the minutes).
    """

    channel: str
    queue: str
    spec: WindowSpec
    minutes: MutableMapping[int, dict[str, dict[str, Any]]]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.meta.setdefault("watermark", None)
        self.meta.setdefault("seq", 0)
        self.meta.setdefault("late", {})
        self.meta.setdefault("open", [])
        #: Open waits: fact id → [start, version]. In meta, not in minutes: a long wait outlives its minute.
        self.meta.setdefault("waits", {})
        #: Opened minus closed conversations of evicted minutes (the running start of ``active``).
        self.meta.setdefault("active_base", 0)

    def _closed(self, minute: int) -> bool:
        watermark = self.meta["watermark"]
        return watermark is not None and minute + self.spec.step + self.spec.grace <= watermark

    def _find(self, fact_id: str) -> tuple[int, WindowInput] | None:
        for minute in self.meta["open"]:
            stored = self.minutes.get(minute, {}).get(fact_id)
            if stored is not None:
                return minute, WindowInput.from_dict(stored)
        return None

    def spanned(self, start: float, end: float | None) -> set[int]:
        """Open, not yet closed minutes whose windows end between ``start`` and ``end`` (None: any time after):
        the windows whose end-of-window gauges a wait (or a conversation opened or closed) at ``start`` changes.
        A hopping window holding a minute ends up to ``hopping`` after it, so minutes that far before ``start``
        count too (a wait announced at 09:01 changes the 08:47–09:02 window, whose rows exist through 08:47's
        facts). Only minutes that already have rows."""
        first = window_start(start, self.spec.step) - self.spec.hopping + self.spec.step
        last = None if end is None else window_start(end, self.spec.step)
        return {m for m in self.meta["open"] if m >= first and (last is None or m <= last) and not self._closed(m)}

    def _apply_wait(self, item: WindowInput) -> list[int]:
        waits = self.meta["waits"]
        previous = waits.get(item.fact_id)
        if previous is not None and previous[1] >= item.version:
            return []
        if previous is None and item.retracted:
            return []
        assert previous is not None or not item.retracted
        start = previous[0] if item.retracted else (item.ts if previous is None else min(item.ts, previous[0]))
        touched = self.spanned(start, None)
        if item.retracted:
            del waits[item.fact_id]
        else:
            waits[item.fact_id] = [item.ts, item.version]
        self.meta["seq"] += 1
        return sorted(touched)

    def apply(self, item: WindowInput) -> list[int]:
        """Apply one input; returns the minutes whose rows must be re-published (empty for a duplicate)."""
        if item.kind == WAIT:
            return self._apply_wait(item)
        minute = window_start(item.ts, self.spec.step)
        previous = self._find(item.fact_id)
        if previous is not None and previous[1].version >= item.version:
            return []
        late = self._closed(minute) or (previous is not None and self._closed(previous[0]))
        if late:
            seen = self.meta["late"].setdefault(str(minute), [])
            marker = f"{item.fact_id}@{item.version}"
            if marker in seen:
                return []
            seen.append(marker)
            log.warning(
                "late sla fact rejected key=%s|%s late_by_s=%.1f",
                self.channel,
                self.queue,
                self.meta["watermark"] - (minute + self.spec.step),
            )
            self.meta["seq"] += 1
            return [minute]
        changed = {minute}
        if previous is not None:
            old = dict(self.minutes.get(previous[0], {}))
            old.pop(item.fact_id, None)
            self.minutes[previous[0]] = old
            changed.add(previous[0])
        if not item.retracted:
            bucket = dict(self.minutes.get(minute, {}))
            bucket[item.fact_id] = item.to_dict()
            self.minutes[minute] = bucket
            if minute not in self.meta["open"]:
                self.meta["open"] = sorted([*self.meta["open"], minute])
        if item.kind == "response" and item.started is not None and not item.retracted:
            changed |= self.spanned(item.started, item.ts)  # the wait it ends ran through these windows
        if previous is not None and previous[1].kind == "response" and previous[1].started is not None:
            changed |= self.spanned(previous[1].started, previous[1].ts)  # and so did the wait it replaces
        if item.kind in (OPENED, "conversation"):
            # ``active`` at the end of every later window changes: for an input in order that is the current
            # minute only; a late one (unordered delivery) re-publishes the later windows that already have rows.
            changed |= self.spanned(item.ts, None)
            if previous is not None:
                changed |= self.spanned(previous[1].ts, None)
        self.meta["seq"] += 1
        watermark = self.meta["watermark"]
        self.meta["watermark"] = item.ts if watermark is None else max(watermark, item.ts)
        return sorted(changed)

    def evict(self) -> list[int]:
        """Forget minutes no open window can use any more; returns them (the caller deletes their keys)."""
        gone = [m for m in self.meta["open"] if self._closed(m + self.spec.hopping)]
        if gone:
            self.meta["open"] = [m for m in self.meta["open"] if m not in gone]
            for minute in gone:
                self.meta["active_base"] += _net_open(
                    WindowInput.from_dict(c) for c in self.minutes.get(minute, {}).values()
                )
                self.minutes.pop(minute, None)
                self.meta["late"].pop(str(minute), None)
        return gone

    def _contributions(self, start: int, end: int, decoded: dict[int, list[WindowInput]]) -> list[WindowInput]:
        """Contributions of the minutes in ``[start, end)``; ``decoded`` memoises minutes across the windows of
        one :meth:`rows` call (a minute is read and decoded once, not once per hopping window spanning it)."""
        out: list[WindowInput] = []
        for m in range(start, end, self.spec.step):
            if m not in decoded:
                decoded[m] = [WindowInput.from_dict(c) for c in self.minutes.get(m, {}).values()]
            out.extend(decoded[m])
        return out

    def _late(self, start: int, end: int) -> int:
        return sum(len(self.meta["late"].get(str(m), [])) for m in range(start, end, self.spec.step))

    def rows(self, minutes: Iterable[int]) -> list[WindowRow]:
        """Tumbling rows of ``minutes`` and every hopping window containing them, at the current version."""
        return list(self.iter_rows(minutes))

    def iter_rows(self, minutes: Iterable[int]) -> Iterator[WindowRow]:
        """:meth:`rows` one at a time, so a caller on the event loop can yield between rows."""
        spans: dict[tuple[str, int], int] = {}
        for minute in minutes:
            spans[(TUMBLING, minute)] = minute + self.spec.step
            for start in hopping_starts(minute, self.spec.hopping, self.spec.step):
                spans[(HOPPING, start)] = start + self.spec.hopping
        decoded: dict[int, list[WindowInput]] = {}
        gauges = _Gauges(self, decoded)
        for (kind, start), end in sorted(spans.items()):
            yield WindowRow(
                window=kind,
                channel=self.channel,
                queue=self.queue,
                window_start=start,
                window_end=end,
                late_rejected=self._late(start, end),
                version=self.meta["seq"],
                **aggregate(self._contributions(start, end, decoded)),
                **gauges.at(end),
            )

    def decoded(self, minute: int, memo: dict[int, list[WindowInput]]) -> list[WindowInput]:
        if minute not in memo:
            memo[minute] = [WindowInput.from_dict(c) for c in self.minutes.get(minute, {}).values()]
        return memo[minute]

    def gauges(self, end: float) -> dict[str, Any]:
        """``active``, ``awaiting`` and ``oldest_wait_s`` at instant ``end`` (a window's end), from what is known:

        * active: conversations opened before ``end`` and not closed before it;
        * awaiting: waits begun before ``end`` and not ended before it: open waits, and answered/abandoned
          waits (response facts) with ``customer_at < end <= reply_at``;
        * oldest_wait_s: the longest of those waits measured to ``end`` (calendar seconds); None if none.
        """
        return _Gauges(self, {}).at(end)


class _Gauges:
    """The book's gauges at any window end, from one pass over its open minutes (not one pass per window)."""

    def __init__(self, book: WindowBook, memo: dict[int, list[WindowInput]]) -> None:
        self._step = book.spec.step
        self._base = book.meta["active_base"]
        self._minutes = sorted(book.meta["open"])
        self._contributions = [book.decoded(m, memo) for m in self._minutes]
        self._net = [_net_open(c) for c in self._contributions]
        self._open_waits = [start for start, _ in book.meta["waits"].values()]
        self._ended = [
            (c.started, c.ts)
            for cs in self._contributions
            for c in cs
            if c.kind == "response" and c.started is not None
        ]

    def at(self, end: float) -> dict[str, Any]:
        active = self._base
        for minute, net, contributions in zip(self._minutes, self._net, self._contributions, strict=True):
            if minute + self._step <= end:
                active += net
            elif minute < end:  # ``end`` inside this minute: only what happened before it
                active += _net_open(c for c in contributions if c.ts < end)
            else:
                break
        starts = [start for start in self._open_waits if start < end]
        starts.extend(started for started, ts in self._ended if started < end <= ts)
        return {
            "active": max(0, active),
            "awaiting": len(starts),
            "oldest_wait_s": round(end - min(starts), 3) if starts else None,
        }


def _net_open(contributions: Iterable[WindowInput]) -> int:
    """Opened minus closed conversations among ``contributions``."""
    net = 0
    for c in contributions:
        net += (c.kind == OPENED) - (c.kind == "conversation")
    return net


def wait(conversation_sid: str, channel: str, queue: str, since: float | None, version: int) -> WindowInput:
    """The conversation's open wait (``since``), or its retraction (``since`` None: nobody waits now)."""
    return WindowInput(
        fact_id=f"{conversation_sid}:w",
        version=version,
        kind=WAIT,
        channel=channel,
        queue=queue,
        ts=since if since is not None else 0.0,
        retracted=since is None,
    )


def from_fact(fact: ResponseFact | ConversationFact) -> WindowInput:
    """A published fact as a window input: responses at ``reply_at``, conversations at ``closed_at``."""
    if isinstance(fact, ConversationFact):
        return WindowInput(
            fact_id=fact.fact_id,
            version=fact.version,
            kind="conversation",
            channel=fact.channel,
            queue=fact.queue,
            ts=fact.closed_at,
            bot_contained=fact.bot_contained,
            abandoned=fact.abandoned,
        )
    return WindowInput(
        fact_id=fact.fact_id,
        version=fact.version,
        kind="response",
        channel=fact.channel,
        queue=fact.queue,
        ts=fact.reply_at,
        outcome=fact.outcome,
        response_s=fact.response_s,
        breached=fact.breached,
        short_abandon=fact.short_abandon,
        retracted=fact.retracted,
        started=fact.customer_at,
    )


def opened(conversation_sid: str, channel: str, queue: str, created_at: float) -> WindowInput:
    """The marker that counts a new conversation in the window of its creation."""
    return WindowInput(
        fact_id=f"{conversation_sid}:o", version=1, kind=OPENED, channel=channel, queue=queue, ts=created_at
    )
