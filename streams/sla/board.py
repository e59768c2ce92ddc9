"""The live timer's index: what each conversation looks like now, and which ones can change by the clock.

Why an index: the timer runs on the worker's event loop every ``sla.timer_interval_s``, next to redaction and
the sinks. Re-evaluating every conversation the worker owns each tick costs O(conversations) per tick and
starved the other stages under load. A conversation's live status changes only (a) when one of its events is
applied (the agent calls :meth:`LiveBoard.update`: it becomes *dirty*) or (b) by the clock at a time known in
advance (its breach time, its idle-abandon time: :func:`streams.sla.live.next_change`), kept in a heap. A tick
therefore looks at dirty and due conversations only, at most ``sla.live_max_per_tick`` of them (the rest wait
for the next tick), and publishes a row only when the status changed.

The board also schedules evictions: a closed conversation's state may leave the table
``sla.evict_closed_after_s`` after its close. Table keys can only be deleted while processing an event of
their own partition (faust writes the tombstone to that changelog partition), so evictions are queued per
partition and taken by the agent.

Not durable on purpose: after a restart or rebalance it is rebuilt from the table (:meth:`rebuild`), and every
status is published once again (``sla_live`` keeps the latest row per conversation, so that is harmless).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from streams.sla.config import SlaConfig
from streams.sla.live import CLOSED, LiveRow, live_row, next_change
from streams.sla.state import LiveView

__all__ = ["LiveBoard"]


class LiveBoard:
    def __init__(self, cfg: SlaConfig) -> None:
        self.cfg = cfg
        self._clear()

    def _clear(self) -> None:
        self.views: dict[str, LiveView] = {}
        self.published: dict[str, tuple[str, float | None]] = {}
        #: Partitions whose conversations the board holds (None: not built yet).
        self.owned: frozenset[int] | None = None
        self._dirty: dict[str, None] = {}  # insertion-ordered set: oldest change first
        self._due: list[tuple[float, str]] = []
        self._next: dict[str, float] = {}
        self._evictions: dict[int, list[tuple[float, str]]] = {}

    # -- fed by the agent ---------------------------------------------------------------------------------------

    def update(self, view: LiveView, partition: int | None) -> None:
        """The conversation's view after an applied event (O(1))."""
        sid = view.conversation_sid
        self.views[sid] = view
        self._dirty[sid] = None
        if view.closed_at is not None and partition is not None:
            evict_at = view.closed_at + self.cfg.sla.evict_closed_after_s
            heapq.heappush(self._evictions.setdefault(partition, []), (evict_at, sid))

    def forget(self, sid: str) -> None:
        """The conversation left the table (evicted): stop watching it."""
        self.views.pop(sid, None)
        self.published.pop(sid, None)
        self._dirty.pop(sid, None)
        self._next.pop(sid, None)

    def evictable(self, partition: int, now: float, limit: int) -> list[str]:
        """Up to ``limit`` conversations of ``partition`` whose eviction time passed (the caller re-checks the
        stored state before deleting: a later event may have changed it)."""
        heap = self._evictions.get(partition)
        out: list[str] = []
        while heap and heap[0][0] <= now and len(out) < limit:
            out.append(heapq.heappop(heap)[1])
        return out

    # -- the timer ------------------------------------------------------------------------------------------------

    def due(self, now: float, limit: int | None = None) -> list[LiveRow]:
        """Rows to publish now: dirty and clock-due conversations whose status changed (at most ``limit``
        conversations are evaluated; the rest stay queued for the next tick)."""
        heap = self._due
        while heap and heap[0][0] <= now:
            at, sid = heapq.heappop(heap)
            if self._next.get(sid) == at:  # else superseded by a later schedule
                del self._next[sid]
                self._dirty[sid] = None
        limit = self.cfg.sla.live_max_per_tick if limit is None else limit
        rows: list[LiveRow] = []
        evaluated = 0
        for sid in list(self._dirty):
            if evaluated >= limit:
                break
            evaluated += 1
            del self._dirty[sid]
            view = self.views.get(sid)
            if view is None:
                continue
            row = live_row(view, now, self.cfg)
            if self.published.get(sid) != row.change_key:
                rows.append(row)
            at = next_change(view, now, self.cfg)
            if at is not None and self._next.get(sid) != at:
                self._next[sid] = at
                heapq.heappush(heap, (at, sid))
        return rows

    def mark(self, rows: Iterable[LiveRow]) -> None:
        """These rows were delivered."""
        for row in rows:
            self.published[row.conversation_sid] = row.change_key
            if row.status == CLOSED:  # final: stop watching it (its eviction stays scheduled)
                self.views.pop(row.conversation_sid, None)
                self.published.pop(row.conversation_sid, None)
                self._next.pop(row.conversation_sid, None)

    def retry(self, rows: Iterable[LiveRow]) -> None:
        """These rows were not delivered: evaluate them again next tick."""
        for row in rows:
            self._dirty[row.conversation_sid] = None

    def reset(self, owned: frozenset[int]) -> None:
        """Start a rebuild for a new partition assignment: forget everything."""
        self._clear()
        self.owned = owned

    @property
    def pending(self) -> int:
        """Conversations waiting to be evaluated (dirty, not counting clock-due ones)."""
        return len(self._dirty)
