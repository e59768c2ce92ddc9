"""Which dead-letter records a replay sends back: by reason and time, redacted events only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from expectations.replay import select

EVENT = {"event_id": "e1", "redacted": True, "body": "hi <PERSON>"}


def _record(reason: str, detected: str, event: dict | None = EVENT) -> tuple[bytes, bytes]:
    return b"CHkey", json.dumps({"reason": reason, "detected_at": detected, "event": event}).encode()


def test_selects_by_reason_and_time_and_keeps_the_key() -> None:
    values = [
        _record("index_out_of_order", "2026-12-07T10:00:00+00:00"),
        _record("bad_sid", "2026-12-07T10:00:00+00:00"),
        _record("index_out_of_order", "2026-12-01T10:00:00+00:00"),
    ]
    chosen, result = select(values, reasons={"index_out_of_order"}, since=datetime(2026, 12, 6, tzinfo=UTC))
    assert chosen == [(b"CHkey", json.dumps(EVENT).encode())]
    assert (result.read, result.replayed, result.skipped_reason, result.skipped_time) == (3, 1, 1, 1)
    assert result.reasons == {"index_out_of_order": 1}


def test_never_replays_an_unredacted_or_missing_event() -> None:
    values = [
        _record("unredacted", "2026-12-07T10:00:00", {"event_id": "e2", "redacted": False, "body": "raw"}),
        _record("bad_sid", "2026-12-07T10:00:00", None),
        (None, b"not json"),
        (None, b"[1, 2]"),
    ]
    chosen, result = select(values, reasons=None, since=None)
    assert chosen == []
    assert (result.without_event, result.undecodable) == (2, 2)
