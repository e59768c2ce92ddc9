"""The live view: who is waiting for a human right now, and who crossed the threshold, by the wall clock.

Faust windows close only when the next event arrives (faust #250), so a quiet queue would hide its breaches;
the stage's timer calls :func:`live_row` every ``sla.timer_interval_s`` for each conversation it owns and
publishes a row only when the status changes (``awaiting`` → ``breaching`` happens with no event at all).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from streams.sla.config import SlaConfig
from streams.sla.facts import iso
from streams.sla.state import LiveView

__all__ = [
    "AWAITING",
    "BREACHING",
    "CLOSED",
    "IDLE",
    "IDLE_ABANDONED",
    "LiveRow",
    "live_row",
    "live_status",
    "next_change",
]

AWAITING = "awaiting"
BREACHING = "breaching"
#: Awaiting a first answer but silent for ``sla.inactivity_abandon_s``: provisional, until Twilio's own
#: inactivity timer (a state event) makes the abandonment final in the facts.
IDLE_ABANDONED = "abandoned_idle"
IDLE = "idle"
CLOSED = "closed"


@dataclass(frozen=True)
class LiveRow:
    conversation_sid: str
    channel: str
    queue: str
    status: str
    awaiting_since: float | None
    threshold_s: float
    breach_at: float | None
    last_activity: float | None
    emitted_at: float

    @property
    def change_key(self) -> tuple[str, float | None]:
        """What makes a row worth publishing: a status change or a new wait."""
        return self.status, self.awaiting_since

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("awaiting_since", "breach_at", "last_activity", "emitted_at"):
            data[name] = iso(data[name])
        return data


def live_status(view: LiveView, now: float, cfg: SlaConfig) -> str:
    if view.state == CLOSED:
        return CLOSED
    if view.awaiting_since is None:
        return IDLE
    quiet_s = now - (view.last_activity if view.last_activity is not None else view.awaiting_since)
    if view.awaiting_first and quiet_s >= cfg.sla.inactivity_abandon_s:
        return IDLE_ABANDONED
    return BREACHING if view.breach_at is not None and now > view.breach_at else AWAITING


def next_change(view: LiveView, now: float, cfg: SlaConfig) -> float | None:
    """The earliest wall-clock time after ``now`` at which :func:`live_status` of ``view`` can change with no
    new event (a breach, an idle abandonment); None when only an event can change it.

    This is what lets the timer look only at conversations that are due instead of all of them every tick.
    """
    if view.state == CLOSED or view.awaiting_since is None:
        return None
    candidates: list[float] = []
    if view.breach_at is not None and view.breach_at >= now:
        candidates.append(math.nextafter(view.breach_at, math.inf))  # breaching is "later than" breach_at
    if view.awaiting_first:
        quiet_from = view.last_activity if view.last_activity is not None else view.awaiting_since
        idle_at = quiet_from + cfg.sla.inactivity_abandon_s
        if idle_at > now:
            candidates.append(idle_at)
    return min(candidates) if candidates else None


def live_row(view: LiveView, now: float, cfg: SlaConfig) -> LiveRow:
    """The conversation's live row at wall-clock time ``now`` (epoch seconds)."""
    since = view.awaiting_since
    return LiveRow(
        conversation_sid=view.conversation_sid,
        channel=view.channel,
        queue=view.queue,
        status=live_status(view, now, cfg),
        awaiting_since=since,
        threshold_s=view.threshold_s,
        breach_at=view.breach_at if since is not None else None,
        last_activity=view.last_activity,
        emitted_at=now,
    )
