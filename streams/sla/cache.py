"""Decoded conversation states kept next to the table, so an event does not re-decode its conversation.

The ``sla-state`` table holds JSON-able dicts (that is what its changelog stores). Decoding a dict back into a
:class:`~streams.sla.state.ConversationState` costs O(events in the conversation) per event. This cache keeps
the decoded state of recently used conversations together with the exact dict object last written to the
table; it is used only while the table still returns *that* object (an in-memory table does), so after a
changelog recovery, a rebalance or with a store that copies values, it simply misses and decodes again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from streams.sla.state import ConversationState

__all__ = ["StateCache"]


class StateCache:
    """:param size: conversations kept decoded at most (least recently used dropped first)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[dict[str, Any], ConversationState]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def load(self, sid: str, stored: dict[str, Any] | None) -> ConversationState | None:
        """The state for the table value ``stored`` (None for a conversation the table does not hold)."""
        if not stored:
            return None
        hit = self._items.get(sid)
        if hit is not None and hit[0] is stored:
            self._items.move_to_end(sid)
            self.hits += 1
            return hit[1]
        self.misses += 1
        return ConversationState.from_json(stored)

    def store(self, sid: str, state: ConversationState) -> dict[str, Any]:
        """Encode ``state`` for the table and remember both; returns the dict to write."""
        data = state.to_json()
        self._items[sid] = (data, state)
        self._items.move_to_end(sid)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return data

    def forget(self, sid: str) -> None:
        self._items.pop(sid, None)

    def __len__(self) -> int:
        return len(self._items)
