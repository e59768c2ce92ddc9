"""Window inputs of out-of-order events: what a provisional channel × queue counted is withdrawn from it."""

from __future__ import annotations

from streams.sla.config import SlaConfig
from streams.sla.feed import window_inputs
from streams.sla.state import ConversationState, apply
from streams.sla.windows import WAIT
from tests.unit.streams.sla.builders import Script

CFG = SlaConfig(prices={"sms": 0.01})


def deliver(events: list, order: list[int]) -> list[list]:
    """The window inputs of each delivery, as (kind, channel, queue, retracted) tuples."""
    state: ConversationState | None = None
    out = []
    for n in order:
        result = apply(state, events[n], CFG)
        state = result.state
        out.append(
            [(i.kind, i.channel, i.queue, i.retracted) for i in window_inputs(events[n], result, result.facts, CFG)]
        )
    return out


def test_a_wait_and_a_reply_seen_before_conversation_added_move_to_its_queue() -> None:
    events = Script(channel="sms", queue="billing").added(0).customer(10).agent(40).customer(50).events
    # The customer's messages and the reply arrive before the conversation.added that names the queue.
    first_customer, reply, second_customer, added = deliver(events, [1, 2, 3, 0])
    assert (WAIT, "sms", "", False) in first_customer
    assert ("response", "sms", "", False) in reply
    assert (WAIT, "sms", "", False) in second_customer, "a second wait opens under the provisional key"
    assert (WAIT, "sms", "", True) in added, "the old key's wait is closed"
    assert (WAIT, "sms", "billing", False) in added, "and announced under the real queue"
    assert ("response", "sms", "", True) in added, "the reply leaves the provisional key's windows"
    assert ("response", "sms", "billing", False) in added


def test_in_order_delivery_never_withdraws_anything() -> None:
    events = Script().added(0).customer(10).agent(40).customer(50).agent(70).events
    inputs = [i for batch in deliver(events, list(range(len(events)))) for i in batch]
    assert not [i for i in inputs if i[0] == "response" and i[3]]
    assert {(c, q) for _, c, q, _ in inputs} == {("sms", "billing")}
