"""Twilio contract tests: every sample normalises AND passes the suites; every mutation fails with its reason.

Each case says where it must be caught: ``normaliser`` (:mod:`schemas.twilio` raises :class:`InvalidEventError`,
the ingest edge answers 400 and nothing reaches Kafka) or ``suite`` (the payload is acceptable to the
normaliser, which is tolerant on purpose, and the data-quality guard sends the event to the DLQ). All
suite-level cases are validated in ONE micro-batch, as the stream would, which also proves that bad events
never hold back the good ones around them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxpulse.settings import RoleRules
from expectations.validate import BatchResult, Validator
from schemas.errors import InvalidEventError
from schemas.events import ConversationEvent
from schemas.twilio import DEFAULT_LIMITS, InputLimits, from_cloudevent, from_webhook_form

DATA = Path(__file__).resolve().parents[2] / "data" / "twilio"
SAMPLES = sorted((DATA / "webhooks").glob("*.json")) + sorted((DATA / "cloudevents").glob("*.json"))
RULES = RoleRules()
#: After every sample's timestamp (the latest is 2026-03-20), so none of them is "in the future".
NOW = datetime(2026, 3, 21, tzinfo=UTC)
OTHER_CONVERSATION = "CH" + "0123456789abcdef" * 2


def _normalise(sample: dict[str, Any], *, tag: str = "", limits: InputLimits = DEFAULT_LIMITS) -> ConversationEvent:
    if "form" in sample:  # a webhook's id is its natural key: the tag cannot change it
        return from_webhook_form(
            sample["form"],
            rules=RULES,
            received_at=NOW,
            limits=limits,
        )
    return from_cloudevent({**sample, "id": f"{sample['id']}{tag}"}, rules=RULES, received_at=NOW, limits=limits)


def _as_redacted(event: ConversationEvent) -> dict[str, Any]:
    """What the redaction stage puts on the topic (redaction itself is tested in tests/unit/streams)."""
    return json.loads(event.model_copy(update={"redacted": True}).model_dump_json())


def _load(name: str) -> dict[str, Any]:
    folder = "webhooks" if name.startswith("on") else "cloudevents"
    return json.loads((DATA / folder / f"{name}.json").read_text())


def _payload(sample: dict[str, Any]) -> dict[str, Any]:
    """The Twilio fields of a sample: the form, or the CloudEvent's data."""
    return sample["form"] if "form" in sample else sample["data"]


# ---------------------------------------------------------------------------------------------------------
# Every sample: normalise and pass
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples_result(validator: Validator) -> tuple[list[str], BatchResult]:
    names = [path.name for path in SAMPLES]
    records = [_as_redacted(_normalise(json.loads(path.read_text()))) for path in SAMPLES]
    return names, validator.validate(records, now=NOW)


def test_every_supported_type_has_a_webhook_and_a_cloudevent_sample() -> None:
    webhook_types = {_normalise(json.loads(p.read_text())).event_type for p in SAMPLES if p.parent.name == "webhooks"}
    cloud_types = {_normalise(json.loads(p.read_text())).event_type for p in SAMPLES if p.parent.name == "cloudevents"}
    assert len(webhook_types) == len(cloud_types) == 11


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_sample_normalises_and_passes_the_suites(path: Path, samples_result: tuple[list[str], BatchResult]) -> None:
    _, result = samples_result
    position = SAMPLES.index(path)
    failures = {f.position: f.failures for f in result.failed}
    assert position not in failures, failures.get(position)
    assert position in {p.position for p in result.passed}


# ---------------------------------------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    id: str
    sample: str
    mutate: Callable[[dict[str, Any]], None]
    where: str  # "normaliser" or "suite"
    reason: str
    expectation: str | None = None  # the suite expectation that must catch it
    limits: InputLimits = DEFAULT_LIMITS  # what the edge accepts (channels it knows)


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda sample: _payload(sample).__setitem__(field, value)


def _drop(field: str) -> Callable[[dict[str, Any]], None]:
    return lambda sample: _payload(sample).pop(field)


def _envelope(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda sample: sample.__setitem__(field, value)


FUTURE = (NOW + timedelta(days=1)).isoformat().replace("+00:00", "Z")

MUTATIONS = [
    # Caught at the edge by the normaliser: the event never exists.
    Mutation("missing-conversation-sid", "onMessageAdded", _drop("ConversationSid"), "normaliser", "missing_field"),
    Mutation("missing-message-sid-ce", "message.added", _drop("MessageSid"), "normaliser", "missing_field"),
    Mutation("missing-participant-sid", "onParticipantAdded", _drop("ParticipantSid"), "normaliser", "missing_field"),
    Mutation(
        "wrong-sid-prefix",
        "onMessageAdded",
        _set("MessageSid", "MB7c34161a289cf46cd00bd7b4488cc115"),
        "normaliser",
        "bad_sid",
    ),
    Mutation(
        "wrong-account-prefix-ce",
        "conversation.added",
        _set("AccountSid", "CHe268443e43d93dab7ebef303bbe9642f"),
        "normaliser",
        "bad_sid",
    ),
    Mutation("bad-timestamp", "onMessageAdded", _set("DateCreated", "14/03/2026 09:00"), "normaliser", "bad_timestamp"),
    Mutation(
        "bad-timestamp-ce",
        "conversation-state.updated",
        _set("StateUpdated", "yesterday"),
        "normaliser",
        "bad_timestamp",
    ),
    Mutation(
        "unknown-type", "onMessageAdded", _set("EventType", "onMessageExploded"), "normaliser", "unknown_event_type"
    ),
    Mutation(
        "unknown-type-ce",
        "message.added",
        _envelope("type", "com.twilio.conversations.user.added"),
        "normaliser",
        "unknown_event_type",
    ),
    Mutation("negative-index", "onMessageAdded", _set("Index", "-1"), "normaliser", "bad_value"),
    # Accepted by the tolerant normaliser, caught by the data-quality suites.
    Mutation(
        "sid-not-hex",
        "onMessageAdded",
        _set("ConversationSid", "CHb24e9760291913eedc16833c977fZZZZ"),
        "suite",
        "bad_sid",
        "common.v1/conversation_sid_format",
    ),
    Mutation(
        "sid-too-short-ce",
        "participant.added",
        _set("ParticipantSid", "MB015efb7c0ddd"),
        "suite",
        "bad_sid",
        "participant.v1/participant_sid_format",
    ),
    Mutation(
        "future-timestamp",
        "onMessageAdded",
        _set("DateCreated", FUTURE),
        "suite",
        "future_timestamp",
        "common.v1/occurred_at_not_future",
    ),
    Mutation(
        "future-timestamp-ce",
        "conversation.added",
        _set("DateCreated", FUTURE),
        "suite",
        "future_timestamp",
        "common.v1/occurred_at_not_future",
    ),
    Mutation(
        "attributes-not-json",
        "onParticipantUpdated",
        _set("Attributes", "{role: agent"),
        "suite",
        "attributes_unparseable",
        "common.v1/attributes_parseable",
    ),
    # The edge lets only channels it knows into ``channel`` (schemas/twilio.py); one it knows from ``[channels]``
    # prices but that ``[quality] channels`` lacks is what the suite still catches.
    Mutation(
        "unknown-channel",
        "onMessageAdded",
        _set("Source", "PIGEON"),
        "suite",
        "unknown_channel",
        "common.v1/channel_known",
        InputLimits(channels=DEFAULT_LIMITS.channels | {"pigeon"}),
    ),
    Mutation(
        "author-unresolved",
        "onMessageAdded",
        _drop("Author"),
        "suite",
        "author_role_unresolved",
        "message.v1/author_role_resolved",
    ),
    Mutation(
        "body-too-long-ce",
        "message.added",
        _set("MessageBody", "x" * 5000),
        "suite",
        "body_too_long",
        "message.v1/body_length",
    ),
    Mutation(
        "unknown-state",
        "onConversationStateUpdated",
        _set("StateTo", "exploded"),
        "suite",
        "unknown_state",
        "conversation.v1/state_known",
    ),
]


def _mutant(case: Mutation) -> dict[str, Any]:
    sample = copy.deepcopy(_load(case.sample))
    case.mutate(sample)
    return sample


@pytest.mark.parametrize("case", [m for m in MUTATIONS if m.where == "normaliser"], ids=lambda m: m.id)
def test_mutation_is_rejected_by_the_normaliser(case: Mutation) -> None:
    with pytest.raises(InvalidEventError) as caught:
        _normalise(_mutant(case))
    assert caught.value.reason == case.reason


def _index_pair() -> list[dict[str, Any]]:
    """Two message.added events of one conversation whose index goes down (7, then 3): arrival order."""
    events = []
    for index, sid in ((7, "IM" + "a" * 32), (3, "IM" + "b" * 32)):
        sample = _load("onMessageAdded")
        form = {**sample["form"], "Index": str(index), "MessageSid": sid, "ConversationSid": OTHER_CONVERSATION}
        events.append(_as_redacted(_normalise({**sample, "form": form}, tag=f"-index-{index}")))
    return events


@pytest.fixture(scope="module")
def mutated_batch(validator: Validator) -> tuple[dict[str, int], BatchResult]:
    """Every suite-level mutation, the index pair and the untouched samples, validated as ONE micro-batch."""
    records: list[dict[str, Any] | None] = []
    positions: dict[str, int] = {}
    for path in SAMPLES:
        records.append(_as_redacted(_normalise(json.loads(path.read_text()))))
    for case in (m for m in MUTATIONS if m.where == "suite"):
        positions[case.id] = len(records)
        records.append(_as_redacted(_normalise(_mutant(case), tag=f"-{case.id}", limits=case.limits)))
    ordered, decreasing = _index_pair()
    positions["index-ok"], positions["index-decreasing"] = len(records), len(records) + 1
    records += [ordered, decreasing]
    return positions, validator.validate(records, now=NOW)


@pytest.mark.parametrize("case", [m for m in MUTATIONS if m.where == "suite"], ids=lambda m: m.id)
def test_mutation_passes_the_normaliser_and_fails_the_suite(
    case: Mutation, mutated_batch: tuple[dict[str, int], BatchResult]
) -> None:
    positions, result = mutated_batch
    failed = {f.position: f for f in result.failed}
    assert positions[case.id] in failed, f"{case.id} passed the suites"
    primary = failed[positions[case.id]].primary
    assert (primary.reason, f"{primary.suite}/{primary.expectation}") == (case.reason, case.expectation)


def test_messages_arriving_out_of_index_order_both_pass(mutated_batch: tuple[dict[str, int], BatchResult]) -> None:
    """Twilio delivers concurrently and unordered: order is not validity (docs/reliability.md)."""
    positions, result = mutated_batch
    failed = {f.position for f in result.failed}
    assert positions["index-ok"] not in failed
    assert positions["index-decreasing"] not in failed


def test_bad_events_do_not_hold_back_the_good_ones(mutated_batch: tuple[dict[str, int], BatchResult]) -> None:
    positions, result = mutated_batch
    bad = {p for name, p in positions.items() if not name.startswith("index-")}
    assert {f.position for f in result.failed} == bad
    assert {p.position for p in result.passed} == set(range(result.total)) - bad


def test_results_count_every_failure_once(mutated_batch: tuple[dict[str, int], BatchResult]) -> None:
    _, result = mutated_batch
    for stat in result.stats:
        listed = sum(
            1 for f in result.failed for x in f.failures if (x.suite, x.expectation) == (stat.suite, stat.expectation)
        )
        assert stat.unexpected_count == listed, stat
        assert stat.success is (listed == 0)


#: Traffic Twilio legitimately sends that an over-strict rule could take for bad data (docs/reliability.md).
LEGITIMATE_VARIANTS: dict[str, dict[str, str | None]] = {
    "media-only-empty-body": {"Body": ""},
    "media-only-no-body": {"Body": None},
    "system-message": {"Author": "system", "ParticipantSid": None, "Source": "SDK"},
    "clock-skew-within-tolerance": {"DateCreated": (NOW + timedelta(seconds=240)).isoformat().replace("+00:00", "Z")},
    "years-old-redelivery": {"DateCreated": "2024-01-01T00:00:00Z"},
    "empty-attributes": {"Attributes": ""},
    "highest-index": {"Index": "4294967295"},
    "retried-delivery": {"RetryCount": "3"},
    "emoji-and-rtl-body": {"Body": "شكرا 🙏🏽 thanks"},
}


def test_legitimate_twilio_variants_pass_the_suites(validator: Validator) -> None:
    records = []
    for n, (name, changes) in enumerate(LEGITIMATE_VARIANTS.items()):
        sample = _load("onMessageAdded")
        form = {k: v for k, v in {**sample["form"], **changes}.items() if v is not None}
        form["MessageSid"] = f"IM{n:032x}"
        records.append(_as_redacted(_normalise({**sample, "form": form}, tag=f"-{name}")))
    result = validator.validate(records, now=NOW)
    failed = {list(LEGITIMATE_VARIANTS)[f.position]: f.primary.reason for f in result.failed}
    assert failed == {}
