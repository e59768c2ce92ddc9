"""The prepared GX plan (:mod:`expectations.plan`) must judge exactly as GX's public ``Batch.validate`` does.

The plan skips GX's per-run planning and leans on GX internals, so these tests pin its verdicts to the
reference path on batches with failures of every kind: per expectation the same success, the same unexpected
rows; per batch the same passed events and the same DLQ failures. A GX upgrade that changes the internals
fails here (or makes :class:`Validator` fall back, which ``test_validator_falls_back_when_the_plan_cannot_be_built``
covers).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cxpulse.settings import QualitySettings, RoleRules, SimulatorSettings
from cxpulse.simulate import generate_posts
from expectations.suites import parse_suite, suite_variables
from expectations.validate import BatchResult, Validator, decode
from schemas.twilio import from_webhook_form

NOW = datetime(2026, 3, 21, tzinfo=UTC)
_BATCH = 400


def _simulated(count: int) -> list[dict[str, Any]]:
    posts = generate_posts(seed=3, settings=SimulatorSettings(), start=NOW - timedelta(hours=2))
    events = []
    for post in itertools.islice(posts, count):
        event = from_webhook_form(post.form, rules=RoleRules(), received_at=NOW)
        events.append(json.loads(event.model_copy(update={"redacted": True}).model_dump_json()))
    return events


#: One breaker per rule family the suites check (each hits a different expectation).
BREAKERS: list[Callable[[dict[str, Any]], None]] = [
    lambda r: r.update(conversation_sid="CH" + "z" * 32),
    lambda r: r.update(account_sid="XX" + "0" * 32),
    lambda r: r.update(occurred_at=(NOW + timedelta(days=1)).isoformat()),
    lambda r: r.update(occurred_at="not a time"),
    lambda r: r.update(channel="pigeon"),
    lambda r: r.update(redacted=False),
    lambda r: r.update(attributes={"attributes_error": "not an object"}),
    lambda r: r.pop("event_type") if r.get("event_type") else None,
    lambda r: r.update(message_sid="IM123") if r.get("message_sid") else r.update(participant_sid="MBxyz"),
    lambda r: r.update(body="x" * 5000) if r.get("event_type", "").startswith("message") else r.update(index=-3),
    lambda r: r.update(author_role="unknown") if r.get("event_type", "").startswith("message") else None,
]


def _dirty(records: list[dict[str, Any]], step: int) -> list[dict[str, Any]]:
    out = [dict(r) for r in records]
    for n, position in enumerate(range(0, len(out), step)):
        BREAKERS[n % len(BREAKERS)](out[position])
    return out


@pytest.fixture(scope="module")
def reference(quality_settings: QualitySettings) -> Validator:
    validator = Validator(quality_settings, prepared=False)
    assert not validator.prepared
    return validator


@pytest.fixture(scope="module")
def batches() -> dict[str, list[dict[str, Any]]]:
    clean = _simulated(_BATCH)
    return {"clean": clean, "2% bad": _dirty(clean, 50), "10% bad": _dirty(clean, 10)}


def _summary(result: BatchResult) -> tuple[list[int], list[tuple[int, tuple[str, ...]]], list[tuple[Any, ...]]]:
    failed = [(f.position, tuple(f"{x.suite}/{x.expectation}:{x.reason}" for x in f.failures)) for f in result.failed]
    stats = [
        (s.suite, s.expectation, s.success, s.evaluated, s.unexpected_count, s.sample_event_ids) for s in result.stats
    ]
    return [p.position for p in result.passed], failed, stats


@pytest.mark.parametrize("name", ["clean", "2% bad", "10% bad"])
def test_prepared_plan_agrees_with_batch_validate_per_expectation(
    name: str, validator: Validator, reference: Validator, batches: dict[str, list[dict[str, Any]]]
) -> None:
    """Merged, prepared GX expectations vs every suite expectation on its own through ``Batch.validate``."""
    assert validator.prepared and validator.gx_expectations < reference.gx_expectations
    verdicts = validator.evaluate(batches[name], now=NOW)
    expected = reference.evaluate(batches[name], now=NOW)
    assert verdicts == expected
    assert all(v.error is None for v in verdicts.values())
    if name != "clean":
        assert sum(not v.success for v in verdicts.values()) >= 8, "dirty batches must exercise most expectations"
    else:
        assert all(v.success for v in verdicts.values())


@pytest.mark.parametrize("name", ["clean", "2% bad", "10% bad"])
def test_prepared_and_reference_validators_route_every_event_alike(
    name: str, validator: Validator, reference: Validator, batches: dict[str, list[dict[str, Any]]]
) -> None:
    passed, failed, stats = _summary(validator.validate(batches[name], now=NOW))
    ref_passed, ref_failed, ref_stats = _summary(reference.validate(batches[name], now=NOW))
    assert (passed, failed) == (ref_passed, ref_failed)
    assert [s[:5] for s in stats] == [s[:5] for s in ref_stats]
    assert len(passed) + len(failed) == _BATCH


def test_nothing_of_one_batch_answers_for_the_next(
    validator: Validator, batches: dict[str, list[dict[str, Any]]]
) -> None:
    """Batches of the same shape back to back: each verdict depends on its own rows only."""
    dirty, clean = batches["10% bad"], batches["clean"]
    first = validator.validate(dirty, now=NOW)
    second = validator.validate(clean, now=NOW)
    third = validator.validate(dirty, now=NOW)
    assert first.failed and not second.failed
    assert _summary(first)[:2] == _summary(third)[:2]


def test_an_expectation_gx_cannot_evaluate_holds_back_its_suite_rows_only(quality_settings: QualitySettings) -> None:
    """A metric that raises (a numeric bound on a text column) fails its suite's rows with validation_error."""
    raw = {
        "name": "broken.v1",
        "meta": {"schema_version": 1, "event_types": ["message.added"]},
        "expectations": [
            {
                "id": "channel_bounded",
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "channel", "min_value": 0},
                "reason": "r",
                "message": "m",
            }
        ],
    }
    validator = Validator(quality_settings, suites=[parse_suite(raw, suite_variables(quality_settings))])
    records = _simulated(60)
    result = validator.validate(records, now=NOW)
    in_suite = {i for i, r in enumerate(records) if r["event_type"] == "message.added"}
    assert in_suite and len(in_suite) < len(records)
    assert {f.position for f in result.failed} == in_suite
    assert {f.primary.reason for f in result.failed} == {"validation_error"}
    assert {p.position for p in result.passed} == set(range(len(records))) - in_suite


def test_validator_falls_back_when_the_plan_cannot_be_built(
    quality_settings: QualitySettings, monkeypatch: pytest.MonkeyPatch, batches: dict[str, list[dict[str, Any]]]
) -> None:
    import expectations.validate as module

    def broken(*args: object, **kwargs: object) -> None:
        raise AttributeError("GX moved its internals")

    monkeypatch.setattr(module, "PreparedPlan", broken)
    validator = Validator(quality_settings)
    assert not validator.prepared
    result = validator.validate(batches["2% bad"], now=NOW)
    assert len(result.failed) == len(range(0, _BATCH, 50))


def test_identical_expectations_of_disjoint_suites_share_one_gx_expectation(
    validator: Validator, reference: Validator
) -> None:
    """participant_sid_format of message, delivery and participant events: one GX expectation, three verdicts."""
    assert reference.gx_expectations == sum(len(s.expectations) for s in reference.suites)
    assert validator.gx_expectations < reference.gx_expectations
    record = _simulated(40)
    participant = next(r for r in record if r["event_type"] == "participant.added")
    message = next(r for r in record if r["event_type"] == "message.added" and r.get("participant_sid"))
    bad = [dict(participant, participant_sid="MB123"), dict(message, participant_sid="MB456")]
    verdicts = validator.evaluate(bad, now=NOW)
    assert verdicts["participant.v1/participant_sid_format"].rows == (0,)
    assert verdicts["message.v1/participant_sid_format"].rows == (1,)
    assert verdicts["delivery.v1/participant_sid_format"].success


@pytest.mark.parametrize(
    ("value", "expected"),
    [(b'{"a": 1}', {"a": 1}), (b"not json", None), (b"[1, 2]", None), (b"\xff\xfe", None), (b"", None), (None, None)],
)
def test_decode_accepts_json_objects_only(value: bytes | None, expected: dict[str, int] | None) -> None:
    assert decode(value) == expected
