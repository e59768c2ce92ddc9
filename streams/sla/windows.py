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
from collections.abc import Iterable, MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any

from streams.sla.facts import ABANDONED, ANSWERED, ConversationFact, ResponseFact, iso
from streams.sla.metrics import percentile

__all__ = [
    "HOPPING",
    "TUMBLING",
    "WindowBook",
    "WindowInput",
    "WindowRow",
    "WindowSpec",
    "aggregate",
    "from_fact",
    "hopping_starts",
    "opened",
    "window_start",
]

log = logging.getLogger(__name__)

TUMBLING = "tumbling"
HOPPING = "hopping"
OPENED = "opened"


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
    kind: str  # "response" | "conversation" | "opened"
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
        "conversations_opened": opened, "conversations_closed": closed, "responses": answered,
        "breaches": breaches, "abandoned": abandoned, "short_abandons": short,
        "response_p50_s": percentile(times, 0.5), "response_p90_s": percentile(times, 0.9),
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

    def _closed(self, minute: int) -> bool:
        watermark = self.meta["watermark"]
        return watermark is not None and minute + self.spec.step + self.spec.grace <= watermark

    def _find(self, fact_id: str) -> tuple[int, WindowInput] | None:
        for minute in self.meta["open"]:
            stored = self.minutes.get(minute, {}).get(fact_id)
            if stored is not None:
                return minute, WindowInput.from_dict(stored)
        return None

    def apply(self, item: WindowInput) -> list[int]:
        """Apply one input; returns the minutes whose rows must be re-published (empty for a duplicate)."""
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
            log.warning("late sla fact rejected key=%s|%s late_by_s=%.1f", self.channel, self.queue,
                        self.meta["watermark"] - (minute + self.spec.step))
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
                self.minutes.pop(minute, None)
                self.meta["late"].pop(str(minute), None)
        return gone

    def _contributions(self, start: int, end: int) -> list[WindowInput]:
        return [WindowInput.from_dict(c) for m in range(start, end, self.spec.step)
                for c in self.minutes.get(m, {}).values()]

    def _late(self, start: int, end: int) -> int:
        return sum(len(self.meta["late"].get(str(m), [])) for m in range(start, end, self.spec.step))

    def rows(self, minutes: Iterable[int]) -> list[WindowRow]:
        """Tumbling rows of ``minutes`` and every hopping window containing them, at the current version."""
        spans: dict[tuple[str, int], int] = {}
        for minute in minutes:
            spans[(TUMBLING, minute)] = minute + self.spec.step
            for start in hopping_starts(minute, self.spec.hopping, self.spec.step):
                spans[(HOPPING, start)] = start + self.spec.hopping
        return [
            WindowRow(window=kind, channel=self.channel, queue=self.queue, window_start=start, window_end=end,
                      late_rejected=self._late(start, end), version=self.meta["seq"],
                      **aggregate(self._contributions(start, end)))
            for (kind, start), end in sorted(spans.items())
        ]


def from_fact(fact: ResponseFact | ConversationFact) -> WindowInput:
    """A published fact as a window input: responses at ``reply_at``, conversations at ``closed_at``."""
    if isinstance(fact, ConversationFact):
        return WindowInput(fact_id=fact.fact_id, version=fact.version, kind="conversation", channel=fact.channel,
                           queue=fact.queue, ts=fact.closed_at, bot_contained=fact.bot_contained,
                           abandoned=fact.abandoned)
    return WindowInput(fact_id=fact.fact_id, version=fact.version, kind="response", channel=fact.channel,
                       queue=fact.queue, ts=fact.reply_at, outcome=fact.outcome, response_s=fact.response_s,
                       breached=fact.breached, short_abandon=fact.short_abandon, retracted=fact.retracted)


def opened(conversation_sid: str, channel: str, queue: str, created_at: float) -> WindowInput:
    """The marker that counts a new conversation in the window of its creation."""
    return WindowInput(fact_id=f"{conversation_sid}:o", version=1, kind=OPENED, channel=channel, queue=queue,
                       ts=created_at)
