"""What the windows hear of one applied event: the pure step between the SLA state and the window books.

The agent publishes these inputs to ``cx.sla.window_inputs`` (keyed by channel|queue); tests feed them straight
into :class:`~streams.sla.windows.WindowBook` s, so the windows' order independence is property-tested on the
very inputs the stage publishes.

Besides each published fact and the markers (a conversation opened, its open wait), an event delivered out of
order can move a fact to another channel × queue: a reply seen before its conversation's
``conversation.added`` was first counted under a provisional queue. The books are keyed by channel × queue, so
the old book is told to withdraw the fact (and to close the wait it knew of), or it would count it for ever
while the new book counts it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from schemas.events import ConversationEvent, EventType
from streams.sla.config import SlaConfig
from streams.sla.facts import Fact
from streams.sla.state import Applied
from streams.sla.windows import WindowInput, from_fact, opened, wait

__all__ = ["window_inputs", "withdrawn"]


def withdrawn(fact: Fact, key: Sequence[str]) -> WindowInput:
    """The input that removes ``fact`` from the windows of ``key`` ([channel, queue]) it was counted under."""
    channel, queue = key
    return replace(from_fact(fact), channel=channel, queue=queue, retracted=True)


def window_inputs(
    event: ConversationEvent, result: Applied, facts: Sequence[Fact], cfg: SlaConfig
) -> list[WindowInput]:
    """Every window input for ``event``: markers first, then withdrawals from old keys, then the facts.

    :param facts: what the agent publishes for the event (``result.facts``, or every current fact for a
        duplicate, whose first delivery may have been lost).
    """
    state = result.state
    sid = event.conversation_sid
    inputs: list[WindowInput] = []
    live = result.live
    if event.event_type is EventType.CONVERSATION_ADDED and state.timeline:
        live = live or state.live(cfg)
        inputs.append(opened(sid, live.channel, live.queue, event.occurred_at.timestamp()))
    if result.wait_moved_from is not None:
        inputs.append(wait(sid, result.wait_moved_from[0], result.wait_moved_from[1], None, state.seq))
    if result.wait_changed or (result.duplicate and state.timeline):
        # A duplicate re-announces the current wait: its first delivery may have been lost (the windows ignore a
        # version they already have).
        live = live or state.live(cfg)
        inputs.append(wait(sid, live.channel, live.queue, state.wait_announced, state.seq))
    inputs += [withdrawn(fact, key) for fact, key in result.moved]
    inputs += [from_fact(fact) for fact in facts]
    return inputs
