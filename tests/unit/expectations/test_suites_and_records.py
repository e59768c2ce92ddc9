"""Suite files as data, the DLQ/result payloads and their ClickHouse rows, the report's --since parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from cxpulse.settings import QualitySettings
from expectations.errors import SuiteError
from expectations.records import dlq_record, dlq_tables, dq_result_record, dq_result_tables
from expectations.report import parse_since
from expectations.suites import load_suites, parse_suite, suite_variables
from expectations.validate import ExpectationStat, FailedEvent, Failure, Validator, decode

NOW = datetime(2026, 3, 21, tzinfo=UTC)


def _suite(**meta: object) -> dict[str, object]:
    return {
        "name": "x.v1",
        "meta": {"schema_version": 1, "event_types": ["message.added"], **meta},
        "expectations": [
            {
                "id": "skew",
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "occurred_at_lead_s", "max_value": "${max_clock_skew_s}"},
                "reason": "future_timestamp",
                "message": "m",
            }
        ],
    }


def test_placeholders_resolve_from_settings() -> None:
    spec = parse_suite(_suite(), suite_variables(QualitySettings(max_clock_skew_s=12.5)))
    assert spec.expectations[0].kwargs["max_value"] == 12.5
    assert spec.applies_to("message.added") and not spec.applies_to("message.removed")


def test_unknown_placeholder_is_a_suite_error() -> None:
    raw = _suite()
    raw["expectations"][0]["kwargs"]["max_value"] = "${nope}"  # type: ignore[index]
    with pytest.raises(SuiteError, match="nope"):
        parse_suite(raw, suite_variables(QualitySettings()))


def test_shipped_suites_load_common_first() -> None:
    suites = load_suites(QualitySettings())
    assert suites[0].name == "common.v1" and suites[0].event_types is None
    assert {s.name for s in suites} == {"common.v1", "message.v1", "participant.v1", "conversation.v1", "delivery.v1"}


def test_not_null_cannot_be_scoped_to_a_family(quality_settings: QualitySettings) -> None:
    raw = _suite()
    raw["expectations"] = [
        {
            "id": "n",
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "message_sid"},
            "reason": "missing_field",
            "message": "m",
        }
    ]
    with pytest.raises(SuiteError, match="meta.required"):
        Validator(quality_settings, suites=[parse_suite(raw, suite_variables(quality_settings))])


def test_undecodable_and_unknown_schema_versions_are_failed_not_dropped(validator: Validator) -> None:
    records = [decode(b"not json"), decode(b"[1, 2]"), {"schema_version": 99, "event_id": "v99"}]
    result = validator.validate(records, now=NOW)
    assert [(f.position, f.primary.reason) for f in result.failed] == [
        (0, "undecodable"),
        (1, "undecodable"),
        (2, "unsupported_schema_version"),
    ]
    assert not result.passed


def test_missing_required_fields_are_named_by_the_suite(validator: Validator) -> None:
    record = {
        "schema_version": 1,
        "event_id": "e1",
        "event_type": "message.added",
        "redacted": True,
        "account_sid": "AC" + "a" * 32,
        "conversation_sid": "CH" + "b" * 32,
        "channel": "sms",
        "occurred_at": "2026-03-20T00:00:00Z",
        "author_role": "customer",
    }
    result = validator.validate([record], now=NOW)
    (failed,) = result.failed
    assert failed.primary == Failure(
        "message.v1", "required_fields_present", "missing_field", "message events need message_sid and index"
    )


def test_unredacted_event_fails_and_is_not_copied_into_the_dlq_record(validator: Validator) -> None:
    record = {
        "schema_version": 1,
        "event_id": "e2",
        "event_type": "conversation.added",
        "redacted": False,
        "account_sid": "AC" + "a" * 32,
        "conversation_sid": "CH" + "b" * 32,
        "channel": "sms",
        "occurred_at": "2026-03-20T00:00:00Z",
        "body": "call me on +15005550006",
    }
    (failed,) = validator.validate([record], now=NOW).failed
    assert failed.primary.reason == "unredacted"
    payload = dlq_record(failed, batch_id="b", detected_at=NOW, fallback_id="t:0:1")
    assert payload["event"] is None and "+1500" not in json.dumps(payload)


def test_dlq_rows_keep_reasons_and_ids_but_no_text() -> None:
    record = {
        "event_id": "e3",
        "event_type": "message.added",
        "conversation_sid": "CH1",
        "redacted": True,
        "occurred_at": "2026-03-20T00:00:00+00:00",
        "body": "a long redacted body",
    }
    failed = FailedEvent(
        0,
        (
            Failure("message.v1", "body_length", "body_too_long", "too long"),
            Failure("common.v1", "channel_known", "unknown_channel", "channel"),
        ),
        record,
    )
    payload = dlq_record(failed, batch_id="b1", detected_at=NOW, fallback_id="t:0:1")
    assert payload["event"] == record  # the redacted event travels on for repair and replay
    rows = dlq_tables([json.dumps(payload).encode(), b"garbage"])["dlq_events"]
    (row,) = rows.rows
    stored = dict(zip(rows.columns, row, strict=True))
    assert stored["reason"] == "body_too_long" and stored["event_id"] == "e3"
    assert stored["failures"] == ["message.v1/body_length:body_too_long", "common.v1/channel_known:unknown_channel"]
    assert "a long redacted body" not in repr(row)


def test_undecodable_record_gets_the_offset_as_id() -> None:
    failed = FailedEvent(4, (Failure("canonical", "decodable", "undecodable", "m"),), None)
    assert dlq_record(failed, batch_id="b", detected_at=NOW, fallback_id="t:1:42")["event_id"] == "t:1:42"


def test_result_rows_round_trip() -> None:
    stat = ExpectationStat("common.v1", "redacted", "expect_column_values_to_be_in_set", False, 10, 2, ("a", "b"), 3.25)
    payload = dq_result_record(stat, batch_id="b2", validated_at=NOW)
    rows = dq_result_tables([json.dumps(payload).encode()])["dq_results"]
    assert rows.rows == [
        ["b2", NOW, "common.v1", "redacted", "expect_column_values_to_be_in_set", 0, 10, 2, ["a", "b"], 3.25]
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", NOW - timedelta(hours=24)),
        ("15m", NOW - timedelta(minutes=15)),
        ("7d", NOW - timedelta(days=7)),
        ("2026-03-01T00:00:00", datetime(2026, 3, 1, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, now=NOW) == expected


def test_parse_since_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="--since"):
        parse_since("yesterday-ish", now=NOW)
