"""The fast path's guarantees: chunking, cache, fail-closed isolation, audit without text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import streams.redact  # noqa: F401 - offline Presidio settings
from cxpulse.settings import Settings
from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.redact.agent import dead_letter, redact_batch
from streams.redact.analyzer import FastAnalyzer, chunk_spans
from streams.redact.audit import audit_tables, failure_tables
from streams.redact.engine import Redactor

MARKER = "__force_redaction_failure__"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    settings = Settings().redaction.model_copy(
        update={
            "fail_marker": MARKER,
            "max_chunk_chars": 2000,
            "chunk_overlap_chars": 100,
            "pseudonymised_entities": ("EMAIL_ADDRESS",),
        }
    )
    return Redactor(settings)


def message(body: str, event_id: str = "e1") -> ConversationEvent:
    return ConversationEvent(
        event_id=event_id,
        event_type=EventType.MESSAGE_ADDED,
        account_sid="AC" + "0" * 32,
        conversation_sid="CH" + "1" * 32,
        message_sid="IM" + "2" * 32,
        author="+14155550123",
        author_role=AuthorRole.CUSTOMER,
        body=body,
        occurred_at=datetime(2026, 11, 25, tzinfo=UTC),
    )


@pytest.mark.parametrize(("length", "size", "overlap"), [(10, 100, 5), (1000, 300, 50), (2001, 1000, 0)])
def test_chunks_cover_every_char_within_the_size(length: int, size: int, overlap: int) -> None:
    spans = chunk_spans(length, size, overlap)
    assert spans[0][0] == 0 and spans[-1][1] == length
    assert all(end - start <= size for start, end in spans)
    assert all(b[0] <= a[1] for a, b in zip(spans, spans[1:], strict=False))


def test_text_longer_than_spacy_max_length_is_chunked_not_refused(redactor: Redactor) -> None:
    analyzer: FastAnalyzer = redactor._analyzer
    analyzer._nlp.max_length = 3000  # stands in for spaCy's 1,000,000-char limit (E088 above it)
    filler = "please help me with this. " * 400  # 10,400 chars
    text = filler + "call me on +14155550123 or mail jane.doe@example.com"
    findings = analyzer.analyze_batch([text])[0]
    types = {(f.entity_type, text[f.start : f.end]) for f in findings}
    assert ("PHONE_NUMBER", "+14155550123") in types and ("EMAIL_ADDRESS", "jane.doe@example.com") in types


def test_cache_returns_the_same_findings_without_reanalysing(redactor: Redactor) -> None:
    analyzer = redactor._analyzer
    text = "This is Ravi Iyer, call +14155550188"
    first = analyzer.analyze_batch([text])[0]
    hits = analyzer.stats["cache_hits"]
    assert analyzer.analyze_batch([text])[0] == first
    assert analyzer.stats["cache_hits"] == hits + 1


def test_forced_failure_fails_only_that_event_and_names_no_text(redactor: Redactor) -> None:
    good, bad = message("my ssn is 536-22-8726", "good"), message(f"{MARKER} card 4111 1111 1111 1111", "bad")
    outcomes = redact_batch(redactor, [(b"k", good.to_json()), (b"k", bad.to_json())])
    assert outcomes[0].event is not None and "<US_SSN>" in (outcomes[0].event.body or "")
    assert outcomes[1].event is None and outcomes[1].event_id == "bad"
    assert "4111" not in (outcomes[1].failure or "") and MARKER not in (outcomes[1].failure or "")
    row = failure_tables([dead_letter(outcomes[1], bad.to_json())])["redaction_failures"].rows[0]
    assert row[0] == "bad" and "4111" not in json.dumps(row, default=str)


def test_audit_has_offsets_scores_versions_and_no_values(redactor: Redactor) -> None:
    body = "Hi, this is Priya Raman, mail priya@example.com, card 4111 1111 1111 1111"
    result = redactor.redact_with_audit(message(body))
    assert result.event.body is not None and "priya@example.com" not in result.event.body
    assert "<EMAIL_ADDRESS:" in result.event.body and "<CREDIT_CARD>" in result.event.body
    audit = result.audit
    spans = {(f.entity_type, body[f.start : f.end]) for f in audit.findings if f.field == "body"}
    assert ("CREDIT_CARD", "4111 1111 1111 1111") in spans and ("PERSON", "Priya Raman") in spans
    assert audit.config_version == redactor.config_version and audit.model_version
    serialised = audit.to_json().decode() + json.dumps(
        audit_tables([audit.to_json()])["redaction_audit"].rows, default=str
    )
    for value in ("Priya", "priya@example.com", "4111", "4155550123"):
        assert value not in serialised
