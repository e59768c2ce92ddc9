"""The recall canary's loader, scorer, worker records and report sections, with a fake redactor (no spaCy).

The fake implements the redactor's batch interface (``redact_many``), so the canary runs through the same
``redact_batch`` path as in the worker; what it redacts is decided per entity type by the test.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from cxpulse.settings import DEFAULT_CANARY_TARGETS, RedactionSettings, Settings
from schemas.events import ConversationEvent
from streams.redact.agent import redact_batch
from streams.redact.audit import RedactionAudit
from streams.redact.canary import (
    MIN_TOKEN_CHARS,
    UNLISTED_TARGET,
    CanaryMessage,
    CanarySetError,
    LabelledSpan,
    canary_records,
    leaked,
    load_canary_set,
    measure,
    parse_message,
    score,
)
from streams.redact.canary_report import CanaryEntity, canary_status
from streams.redact.canary_worker import CANARY_COLUMNS, CanaryRecord, canary_tables, run_canary
from streams.redact.engine import RedactionError, config_version
from streams.redact.report import Coverage, RedactionReport
from streams.redact.report_render import render_csv, render_html, render_md

SHIPPED_ENTITIES = {
    "PERSON",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "STREET_ADDRESS",
    "LOCATION",
    "DATE_OF_BIRTH",
}
SMALL_SET = """
# a comment
call me on [[PHONE_NUMBER:+44 7700 900461]] please
I'm [[PERSON:Aoife Brennan]], mail [[EMAIL_ADDRESS:aoife@example.ie]]

order 48213377 has not shipped
[[PHONE_NUMBER:415-555-0198]] or [[PHONE_NUMBER:415-555-0199]]
"""


# -- loader ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "text", "spans"),
    [
        ("no labels here", "no labels here", []),
        ("call [[PHONE_NUMBER:415-555-0198]] now", "call 415-555-0198 now", [("PHONE_NUMBER", "415-555-0198")]),
        (
            "[[PERSON:Mei Ling]]: [[EMAIL_ADDRESS:m.l@example.com]]",
            "Mei Ling: m.l@example.com",
            [("PERSON", "Mei Ling"), ("EMAIL_ADDRESS", "m.l@example.com")],
        ),
        ("ipv6 [[IP_ADDRESS:2001:db8::1]]", "ipv6 2001:db8::1", [("IP_ADDRESS", "2001:db8::1")]),
    ],
)
def test_parse_message_strips_labels_and_keeps_spans(line: str, text: str, spans: list[tuple[str, str]]) -> None:
    message = parse_message(line)
    assert message.text == text
    assert [(s.entity, message.text[s.start : s.end]) for s in message.spans] == spans


@pytest.mark.parametrize("line", ["call [[PHONE_NUMBER:415", "bad [[phone:123]]", "x [[PERSON: Ann]]", "y ]] z"])
def test_malformed_labels_are_refused(line: str) -> None:
    with pytest.raises(CanarySetError):
        parse_message(line)


def test_loader_error_names_the_line_never_its_content() -> None:
    with pytest.raises(CanarySetError, match="line 3") as info:
        load_canary_set("# c\nok line\nsecret [[PERSON:Zed Quux\n")
    assert "Zed" not in str(info.value)


def test_small_set_counts_gold_negatives_and_versions_by_content() -> None:
    canary = load_canary_set(SMALL_SET)
    assert len(canary.messages) == 4 and canary.negatives == 1
    assert canary.gold() == {"EMAIL_ADDRESS": 1, "PERSON": 1, "PHONE_NUMBER": 3}
    assert canary.version == hashlib.sha256(SMALL_SET.encode()).hexdigest()[:12]
    assert load_canary_set(SMALL_SET + "\nmore").version != canary.version


def test_shipped_canary_set_covers_every_entity_type_with_hard_negatives() -> None:
    canary = load_canary_set()
    text = (resources.files("streams.redact") / "canary_set.txt").read_text(encoding="utf-8")
    assert canary.version == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert 150 <= len(canary.messages) <= 250
    gold = canary.gold()
    assert set(gold) == SHIPPED_ENTITIES
    assert all(n >= 10 for n in gold.values()), gold
    assert canary.negatives >= 20
    assert set(gold) <= set(DEFAULT_CANARY_TARGETS), "every canary entity has a default target"
    texts = [m.text for m in canary.messages]
    assert len(set(texts)) == len(texts), "no duplicated canary message"


# -- leak test ------------------------------------------------------------------------------------------------
def _one(line: str) -> tuple[CanaryMessage, LabelledSpan]:
    message = parse_message(line)
    return message, message.spans[0]


@pytest.mark.parametrize(
    ("line", "redacted", "is_leak"),
    [
        ("call [[PHONE_NUMBER:415-555-0198]]", "call <PHONE_NUMBER>", False),
        ("call [[PHONE_NUMBER:415-555-0198]]", "call 415-555-0198", True),
        ("call [[PHONE_NUMBER:415-555-0198]]", "call 415-<PHONE_NUMBER>", True),  # "415" survived
        ("call [[PHONE_NUMBER:+44 7700 900461]]", "call +44 <PHONE_NUMBER>", False),  # "44" is too short
        ("I'm [[PERSON:Priyanka Deshmukh]]", "I'm Priyanka <PERSON>", True),
        ("I'm [[PERSON:Priyanka Deshmukh]]", "I'm <PERSON>", False),
        ("I'm [[PERSON:Priyanka Deshmukh]]", "I'm <US_BANK_NUMBER>", False),  # any placeholder removes it
        ("I'm [[PERSON:Priyanka Deshmukh]]", "I'm <PERSON:deshmukh0123abcd>", False),  # pseudonym hex
        ("I'm [[PERSON:Priyanka Deshmukh]]", "I'm PRIYANKA <PERSON>", True),  # case does not hide a leak
        ("Mr [[PERSON:Mr. Haddad]]", "Mr <PERSON>", False),  # "Mr" is short and outside the span anyway
        ("to [[STREET_ADDRESS:12 Main Street]] off Main Street", "to <STREET_ADDRESS> off Main Street", False),
        ("to [[STREET_ADDRESS:12 Elm Street]] off Main Street", "to 12 Elm <STREET_ADDRESS> off Main Street", True),
        ("ship to [[LOCATION:Jordan]], Jordan said", "ship to <LOCATION>, Jordan said", False),
        ("call [[PHONE_NUMBER:+1-800-555-0199]] ext. 42", "call <PHONE_NUMBER> ext. 42", False),
    ],
)
def test_leak_means_the_value_or_a_telling_token_survived(line: str, redacted: str, is_leak: bool) -> None:
    message, span = _one(line)
    assert leaked(message, span, redacted) is is_leak


def test_tokens_shorter_than_the_minimum_never_count() -> None:
    message, span = _one("id [[US_SSN:12 34 56]]")
    assert MIN_TOKEN_CHARS == 3 and not leaked(message, span, "id 12 <US_SSN>")


# -- scoring with a fake redactor -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Result:
    event: ConversationEvent
    audit: RedactionAudit | None


class FakeRedactor:
    """The redactor's batch interface: replaces the labelled values of ``finds`` types, fails on ``fail_on``."""

    def __init__(
        self,
        canary_text: str | None,
        finds: set[str],
        *,
        fail_on: str | None = None,
        config: str = "cfg-fake",
    ) -> None:
        self._values = {
            m.text[s.start : s.end]: s.entity for m in load_canary_set(canary_text).messages for s in m.spans
        }
        self._finds = finds
        self._fail_on = fail_on
        self._config = config
        self.batches: list[int] = []

    def redact_many(self, events: Sequence[ConversationEvent]) -> list[_Result | RedactionError]:
        self.batches.append(len(events))
        out: list[_Result | RedactionError] = []
        for event in events:
            body = event.body or ""
            if self._fail_on and self._fail_on in body:
                out.append(RedactionError("analysis failed: AnalysisFailure"))
                continue
            for value, entity in self._values.items():
                if entity in self._finds:
                    body = body.replace(value, f"<{entity}>")
            audit = RedactionAudit(
                event_id=event.event_id,
                conversation_sid=event.conversation_sid,
                event_type=event.event_type.value,
                occurred_at=event.occurred_at,
                redacted_at=event.occurred_at,
                fields_scanned=1,
                chars_scanned=len(event.body or ""),
                media_count=0,
                engine="fake-engine",
                model_version="fake-model-1",
                config_version=self._config,
                latency_ms=0.1,
                batch_size=len(events),
            )
            out.append(_Result(event.model_copy(update={"body": body, "redacted": True}), audit))
        return out


TARGETS = {"PHONE_NUMBER": 0.99, "PERSON": 0.5}


def test_measure_scores_leak_free_recall_per_entity_against_targets() -> None:
    canary = load_canary_set(SMALL_SET)
    result = measure(FakeRedactor(SMALL_SET, {"PHONE_NUMBER", "PERSON"}), canary, TARGETS, batch_size=2)
    by_entity = {e.entity: e for e in result.entities}
    assert by_entity["PHONE_NUMBER"].recall == 1.0 and not by_entity["PHONE_NUMBER"].below_target
    assert by_entity["PERSON"].recall == 1.0
    email = by_entity["EMAIL_ADDRESS"]
    assert (email.gold, email.leaked, email.recall, email.target) == (1, 1, 0.0, UNLISTED_TARGET)
    assert result.below_target == ("EMAIL_ADDRESS",)
    assert (result.messages, result.failed, result.negatives, result.negatives_redacted) == (4, 0, 1, 0)


def test_a_missing_recogniser_shows_as_its_entity_below_target() -> None:
    canary = load_canary_set(SMALL_SET)
    result = measure(FakeRedactor(SMALL_SET, {"PERSON", "EMAIL_ADDRESS"}), canary, TARGETS, batch_size=128)
    phone = next(e for e in result.entities if e.entity == "PHONE_NUMBER")
    assert (phone.gold, phone.leaked, phone.recall, phone.below_target) == (3, 3, 0.0, True)
    assert result.below_target == ("PHONE_NUMBER",)


def test_a_failed_message_counts_as_leaked_for_each_of_its_spans() -> None:
    canary = load_canary_set(SMALL_SET)
    redactor = FakeRedactor(SMALL_SET, {"PHONE_NUMBER", "PERSON", "EMAIL_ADDRESS"}, fail_on="or 415")
    result = measure(redactor, canary, TARGETS, batch_size=128)
    phone = next(e for e in result.entities if e.entity == "PHONE_NUMBER")
    assert (phone.leaked, result.failed) == (2, 1)


def test_score_refuses_bodies_that_do_not_match_the_set() -> None:
    with pytest.raises(ValueError, match="redacted bodies"):
        score(load_canary_set(SMALL_SET), ["x"], TARGETS)


def test_over_redacted_hard_negatives_are_counted() -> None:
    canary = load_canary_set(SMALL_SET)
    bodies = [m.text if m.spans else "order <PHONE_NUMBER> has not shipped" for m in canary.messages]
    assert score(canary, bodies, TARGETS).negatives_redacted == 1


def test_canary_records_are_raw_topic_shaped_customer_messages() -> None:
    canary = load_canary_set(SMALL_SET)
    records = canary_records(canary, at=datetime(2026, 11, 25, tzinfo=UTC))
    events = [ConversationEvent.from_json(value) for _, value in records]
    assert [e.body for e in events] == [m.text for m in canary.messages]
    assert len({e.event_id for e in events}) == len(events) and all(e.author is None for e in events)
    assert [o.event is not None for o in redact_batch(FakeRedactor(SMALL_SET, set()), records)] == [True] * 4


# -- the worker's run: records, rows, no values -----------------------------------------------------------------
def _run(redactor: FakeRedactor, cfg: RedactionSettings) -> list[CanaryRecord]:
    canary = load_canary_set(SMALL_SET)

    async def analyse(records: list[tuple[bytes | None, bytes]]) -> list:
        return redact_batch(redactor, records)

    return asyncio.run(run_canary(analyse, canary, cfg, worker_id="w1@host:1", host="host"))


def test_worker_run_records_versions_of_the_analysing_redactor_in_batches() -> None:
    cfg = Settings().redaction.model_copy(update={"batch_size": 3})
    redactor = FakeRedactor(SMALL_SET, {"PERSON", "EMAIL_ADDRESS"}, config="cfg-pool")
    records = _run(redactor, cfg)
    assert redactor.batches == [3, 1], "the canary is analysed in batches of batch_size, like raw records"
    assert [r.entity for r in records] == ["EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER"]
    assert len({r.run_id for r in records}) == 1 and len({r.checked_at for r in records}) == 1
    phone = records[2]
    assert (phone.gold, phone.leaked, phone.recall, phone.target, phone.below_target) == (3, 3, 0.0, 0.99, True)
    assert (phone.engine, phone.model_version, phone.config_version) == ("fake-engine", "fake-model-1", "cfg-pool")
    assert (phone.worker_id, phone.host, phone.canary_messages, phone.negatives) == ("w1@host:1", "host", 4, 1)
    assert phone.canary_version == load_canary_set(SMALL_SET).version


def test_when_every_message_fails_the_run_still_reports_the_worker_config() -> None:
    cfg = Settings().redaction
    records = _run(FakeRedactor(SMALL_SET, set(), fail_on=" "), cfg)  # every message holds a space
    assert all(r.recall == 0.0 and r.below_target for r in records)
    assert {r.config_version for r in records} == {config_version(cfg)} and records[0].failed_messages == 4


def test_rows_follow_the_columns_and_no_record_holds_a_canary_value() -> None:
    records = _run(FakeRedactor(SMALL_SET, {"PERSON"}), Settings().redaction)
    payloads = [r.to_json() for r in records]
    table = canary_tables([*payloads, b"not json"])["redaction_canary"]
    assert tuple(table.columns) == CANARY_COLUMNS and len(table.rows) == len(records)
    assert dict(zip(CANARY_COLUMNS, table.rows[0], strict=True))["entity"] == "EMAIL_ADDRESS"
    canary = load_canary_set(SMALL_SET)
    text = b"\n".join(payloads).decode()
    for message in canary.messages:
        for span in message.spans:
            assert message.text[span.start : span.end] not in text
        assert message.text not in text
    assert set(json.loads(payloads[0])) == set(CANARY_COLUMNS)


# -- settings -----------------------------------------------------------------------------------------------
def test_canary_targets_default_and_merge_key_by_key() -> None:
    cfg = RedactionSettings()
    assert cfg.canary_interval_s == 3600 and cfg.canary_targets == DEFAULT_CANARY_TARGETS
    assert cfg.canary_targets["PHONE_NUMBER"] == cfg.canary_targets["US_SSN"] == 0.99
    assert cfg.canary_targets["PERSON"] == cfg.canary_targets["STREET_ADDRESS"] == cfg.canary_targets["LOCATION"]
    assert cfg.canary_targets["PERSON"] == 0.97
    merged = RedactionSettings(canary_targets={"PERSON": 0.9})
    assert merged.canary_targets == {**DEFAULT_CANARY_TARGETS, "PERSON": 0.9}
    with pytest.raises(ValueError, match="between 0 and 1"):
        RedactionSettings(canary_targets={"PERSON": 1.5})


def test_canary_settings_do_not_change_the_config_version() -> None:
    cfg = RedactionSettings()
    other = cfg.model_copy(update={"canary_interval_s": 5.0, "canary_targets": {"PERSON": 0.5}})
    assert config_version(cfg) == config_version(other)
    assert config_version(cfg) != config_version(cfg.model_copy(update={"entities": ("PERSON",)}))


# -- report sections ------------------------------------------------------------------------------------------
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _entity(name: str, recall: float, target: float, **extra: object) -> CanaryEntity:
    base: dict[str, object] = {
        "entity": name,
        "checked_at": NOW - timedelta(minutes=5),
        "gold": 40,
        "leaked": round(40 * (1 - recall)),
        "recall": recall,
        "target": target,
        "config_version": "cfg-new",
        "model_version": "m-1",
        "engine": "e",
        "canary_version": "canary-v",
        "worker_id": "w",
        "failed_messages": 0,
        "negatives": 33,
        "negatives_redacted": 2,
    }
    return CanaryEntity(**{**base, **extra})  # type: ignore[arg-type]


def _report(canary: tuple[CanaryEntity, ...]) -> RedactionReport:
    return RedactionReport(
        since=NOW - timedelta(hours=24),
        until=NOW,
        generated_at=NOW,
        bucket_s=3600,
        coverage=Coverage(received=5, scanned=5, failed_closed=0, missing=0),
        gap=(),
        gap_limit=100,
        entities=(),
        failed_closed=0,
        failed_without_id=0,
        failure_reasons=(),
        versions=(),
        canary=canary,
    )


DROPPED = _report(
    (
        _entity("PERSON", 0.975, 0.97),
        _entity(
            "PHONE_NUMBER",
            0.9,
            0.99,
            previous_recall=1.0,
            previous_config_version="cfg-old",
            previous_checked_at=NOW - timedelta(hours=1),
        ),
    )
)
MET = _report((_entity("PERSON", 1.0, 0.97, previous_recall=1.0, previous_config_version="cfg-new"),))


def test_report_passes_only_with_full_coverage_and_every_entity_at_target() -> None:
    assert MET.passed and not MET.canary_below_target
    assert not DROPPED.passed and [c.entity for c in DROPPED.canary_below_target] == ["PHONE_NUMBER"]
    assert _report(()).passed, "no canary run recorded does not fail the report"
    assert canary_status(DROPPED.canary).startswith("RECALL CANARY: 1 of 2 entity types below target")
    assert "PHONE_NUMBER 90.0% < 99.0%" in canary_status(DROPPED.canary)
    assert DROPPED.canary[1].dropped_after_config_change and not MET.canary[0].dropped_after_config_change


def test_markdown_has_the_canary_table_red_marks_and_the_config_drop() -> None:
    text = render_md(DROPPED)
    assert "## Recall canary" in text and "**RECALL CANARY: 1 of 2" in text
    assert "| PHONE_NUMBER | 90.0% | 99.0% | **BELOW TARGET** | 40 | 4 | cfg-new | m-1 |" in text
    assert "| PERSON | 97.5% | 97.0% | ok | 40 | 1 | cfg-new |" in text
    assert (
        "PHONE_NUMBER: recall fell from 100.0% to 90.0% when the redaction config changed from cfg-old to cfg-new"
        in text
    )
    assert "No canary run recorded." in render_md(_report(()))


def test_csv_has_a_canary_section_and_summary() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(DROPPED))))
    summary = {r["name"]: r["value"] for r in rows if r["section"] == "summary"}
    assert (summary["canary_below_target"], summary["passed"]) == ("1", "false")
    canary = {r["name"]: r for r in rows if r["section"] == "canary"}
    assert canary["PHONE_NUMBER"]["value"] == "0.900000" and canary["PHONE_NUMBER"]["events"] == "40"
    assert "below_target=true" in canary["PHONE_NUMBER"]["detail"]
    assert "previous_config_version=cfg-old" in canary["PHONE_NUMBER"]["detail"]
    assert "below_target=false" in canary["PERSON"]["detail"]


def test_html_marks_rows_below_target_red() -> None:
    page = render_html(DROPPED)
    assert '<tr class="below"><td>PHONE_NUMBER</td>' in page and '<tr class="met"><td>PERSON</td>' in page
    assert 'class="status bad">RECALL CANARY' in page
    assert 'class="status ok">RECALL CANARY' in render_html(MET)
