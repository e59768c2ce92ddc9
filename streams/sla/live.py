"""The live view: who is waiting for a human right now, and who crossed the threshold, by the wall clock.

Faust windows close only when the next event arrives (faust #250), so a quiet queue would hide its breaches;
the stage's timer calls :func:`live_row` every ``sla.timer_interval_s`` for each conversation it owns and
publishes a row only when the status changes (``awaiting`` → ``breaching`` happens with no event at all).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from streams.sla.config import SlaConfig
from streams.sla.facts import iso
from streams.sla.state import LiveView

__all__ = ["AWAITING", "BREACHING", "CLOSED", "IDLE", "IDLE_ABANDONED", "LiveRow", "live_row", "live_status"]

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
    return BREACHING if now - view.awaiting_since > view.threshold_s else AWAITING


def live_row(view: LiveView, now: float, cfg: SlaConfig) -> LiveRow:
    """The conversation's live row at wall-clock time ``now`` (epoch seconds)."""
    since = view.awaiting_since
    return LiveRow(
        conversation_sid=view.conversation_sid, channel=view.channel, queue=view.queue,
        status=live_status(view, now, cfg), awaiting_since=since, threshold_s=view.threshold_s,
        breach_at=None if since is None else since + view.threshold_s, last_activity=view.last_activity,
        emitted_at=now,
    )
