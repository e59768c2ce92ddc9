"""The process pool gives the same outcomes, in the same order, as one in-process redactor."""

from __future__ import annotations

from datetime import UTC, datetime

from cxpulse.settings import Settings
from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.redact.pool import RedactionPool


def test_pool_redacts_in_input_order_across_processes() -> None:
    records = []
    for i in range(6):
        event = ConversationEvent(
            event_id=f"e{i}", event_type=EventType.MESSAGE_ADDED, account_sid="AC" + "0" * 32,
            conversation_sid="CH" + "1" * 32, author="+14155550123", author_role=AuthorRole.CUSTOMER,
            body=f"order {i}: mail me at person{i}@example.com", occurred_at=datetime(2026, 11, 25, tzinfo=UTC),
        )
        records.append((b"k", event.to_json()))
    records.append((b"k", b"not json"))
    pool = RedactionPool(Settings().redaction.model_copy(update={"processes": 2}))
    try:
        outcomes = pool.redact_records(records)
    finally:
        pool.close()
    assert [o.event_id for o in outcomes[:6]] == [f"e{i}" for i in range(6)]
    assert all(o.event is not None and "<EMAIL_ADDRESS>" in (o.event.body or "") for o in outcomes[:6])
    assert outcomes[6].event is None and outcomes[6].failure
