"""Redaction of canonical events: what leaves the raw topic carries no raw PII, and says what was removed.

What is scanned, and why:
- ``body``: free text written by customers and agents; entities become typed placeholders (``<PHONE_NUMBER>``),
  or salted HMAC pseudonyms for the entities listed in ``pseudonymised_entities``.
- customer ``author`` values and address-like attributes (phone numbers, WhatsApp addresses, e-mails, chat
  identities): replaced by a salted HMAC pseudonym, so one customer stays one customer for analysts
  without the address ever leaving the raw topic.
- every other string in ``attributes`` (including ``raw_extra``): scanned like a body, because Twilio lets
  integrators put anything there. Only values that provably cannot carry PII (Twilio SIDs, ISO timestamps,
  booleans, very short tokens) skip the analyzer.
- media: counted (``media_count``), never fetched.

All texts of a batch of events are analysed together (:class:`~streams.redact.analyzer.FastAnalyzer`); if that
fails, events are analysed one by one so only the failing one fails closed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from cxpulse.errors import CxpulseError
from cxpulse.settings import RedactionSettings
from schemas.events import AuthorRole, ConversationEvent
from streams.redact.analyzer import FastAnalyzer, Finding
from streams.redact.audit import AuditFinding, RedactionAudit

__all__ = ["ENGINE_NAME", "Redacted", "RedactionError", "Redactor", "config_version", "pseudonym"]

log = logging.getLogger(__name__)

ENGINE_NAME = "cxpulse-fast-presidio"
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_TOO_SHORT_FOR_PII = 4
_ADDRESS_KEY = re.compile(r"(address|identity|author)$", re.IGNORECASE)
_CHANNEL_PREFIX = re.compile(r"^(whatsapp|messenger|sms|rcs):", re.IGNORECASE)
_PSEUDONYM_HEX_CHARS = 16
_CONFIG_VERSION_CHARS = 12
#: Settings that change what is found or how it is replaced; batching and timeouts do not.
_VERSIONED_FIELDS = (
    "spacy_model",
    "language",
    "entities",
    "ner_labels_to_ignore",
    "score_threshold",
    "score_thresholds",
    "phone_regions",
    "phone_leniency",
    "ner_prefilter",
    "max_chunk_chars",
    "chunk_overlap_chars",
    "pseudonymised_entities",
)
#: Roles whose identities belong to the business (agents, bots, system), not to a customer.
_BUSINESS_ROLES = {AuthorRole.AGENT, AuthorRole.BOT, AuthorRole.SYSTEM}
_AUTHOR_FINDING = "AUTHOR_PSEUDONYMISED"
_ADDRESS_FINDING = "ADDRESS_PSEUDONYMISED"


class RedactionError(CxpulseError):
    """The analyzer could not process an event; the event must not go downstream (fail closed)."""


def pseudonym(value: str, salt: bytes) -> str:
    """A stable, non-reversible stand-in for a customer address: ``whatsapp:+15551234`` → ``whatsapp:cust_…``.

    The channel prefix stays (it is not PII and analysts need it); the address itself is HMAC-ed with a
    secret salt, so the same customer maps to the same pseudonym while a dictionary attack needs the salt.
    """
    prefix_match = _CHANNEL_PREFIX.match(value)
    prefix = prefix_match.group(0).lower() if prefix_match else ""
    core = value[len(prefix) :].strip().lower()
    digest = hmac.new(salt, core.encode(), hashlib.sha256).hexdigest()[:_PSEUDONYM_HEX_CHARS]
    return f"{prefix}cust_{digest}"


def config_version(settings: RedactionSettings) -> str:
    """A short hash of everything that decides what is redacted (the salt is deliberately left out)."""
    data = settings.model_dump(mode="json", include=set(_VERSIONED_FIELDS))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:_CONFIG_VERSION_CHARS]


def _cannot_hold_pii(text: str) -> bool:
    stripped = text.strip()
    return (
        len(stripped) < _TOO_SHORT_FOR_PII
        or bool(_SID.match(stripped))
        or bool(_ISO_TIMESTAMP.match(stripped))
        or stripped.lower() in {"true", "false", "null", "none"}
    )


@dataclass(frozen=True)
class Redacted:
    event: ConversationEvent
    audit: RedactionAudit


@dataclass
class _Plan:
    """The texts of one event that go to the analyzer, by field path, plus the pseudonyms already decided."""

    texts: dict[str, str]
    pseudonymised: list[AuditFinding]


class Redactor:
    """Builds the analyzer once and redacts events with it (one instance per process)."""

    def __init__(self, settings: RedactionSettings, *, analyzer: FastAnalyzer | None = None) -> None:
        self._settings = settings
        self._salt = settings.pseudonym_salt.get_secret_value().encode()
        self._analyzer = analyzer or FastAnalyzer(settings)
        self.config_version = config_version(settings)

    @cached_property
    def _anonymizer(self) -> Any:
        from presidio_anonymizer import AnonymizerEngine

        return AnonymizerEngine()

    @property
    def model_version(self) -> str:
        return self._analyzer.model_version

    # -- planning: which strings are analysed, which are pseudonymised outright --------------------------------
    def _plan_value(self, path: str, key: str, value: Any, plan: _Plan) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                self._plan_value(f"{path}.{k}", str(k), v, plan)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self._plan_value(f"{path}[{i}]", key, item, plan)
        elif isinstance(value, str) and not _cannot_hold_pii(value):
            if _ADDRESS_KEY.search(key):
                plan.pseudonymised.append(
                    AuditFinding(
                        field=path,
                        entity_type=_ADDRESS_FINDING,
                        start=0,
                        end=len(value),
                        score=1.0,
                        recognizer="pseudonym",
                    )
                )
            else:
                plan.texts[path] = value

    def _plan(self, event: ConversationEvent) -> _Plan:
        plan = _Plan(texts={}, pseudonymised=[])
        if event.body:
            plan.texts["body"] = event.body
        if event.author and event.author_role not in _BUSINESS_ROLES:
            plan.pseudonymised.append(
                AuditFinding(
                    field="author",
                    entity_type=_AUTHOR_FINDING,
                    start=0,
                    end=len(event.author),
                    score=1.0,
                    recognizer="pseudonym",
                )
            )
        for k, v in event.attributes.items():
            self._plan_value(f"attributes.{k}", k, v, plan)
        return plan

    # -- applying findings ---------------------------------------------------------------------------------------
    def _replace(self, text: str, findings: Sequence[Finding]) -> str:
        if not findings:
            return text
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        operators = {
            entity: OperatorConfig("custom", {"lambda": self._hmac_operator(entity)})
            for entity in self._settings.pseudonymised_entities
        }
        results = [RecognizerResult(f.entity_type, f.start, f.end, f.score) for f in findings]
        return self._anonymizer.anonymize(text=text, analyzer_results=results, operators=operators).text

    def _hmac_operator(self, entity: str) -> Any:
        salt = self._salt

        def operate(value: str) -> str:
            digest = hmac.new(salt, value.strip().lower().encode(), hashlib.sha256).hexdigest()
            return f"<{entity}:{digest[:_PSEUDONYM_HEX_CHARS]}>"

        return operate

    def _rebuild(self, path: str, key: str, value: Any, redacted: Mapping[str, str]) -> Any:
        if isinstance(value, Mapping):
            return {k: self._rebuild(f"{path}.{k}", str(k), v, redacted) for k, v in value.items()}
        if isinstance(value, list):
            return [self._rebuild(f"{path}[{i}]", key, item, redacted) for i, item in enumerate(value)]
        if not isinstance(value, str) or _cannot_hold_pii(value):
            return value
        if _ADDRESS_KEY.search(key):
            return pseudonym(value, self._salt)
        return redacted[path]

    def _apply(
        self,
        event: ConversationEvent,
        plan: _Plan,
        findings: Mapping[str, list[Finding]],
        latency_ms: float,
        batch_size: int,
    ) -> Redacted:
        redacted = {path: self._replace(text, findings[path]) for path, text in plan.texts.items()}
        author = event.author
        if author and event.author_role not in _BUSINESS_ROLES:
            author = pseudonym(author, self._salt)
        attributes = {k: self._rebuild(f"attributes.{k}", k, v, redacted) for k, v in event.attributes.items()}
        audit_findings = [
            AuditFinding(
                field=path, entity_type=f.entity_type, start=f.start, end=f.end, score=f.score, recognizer=f.recognizer
            )
            for path in plan.texts
            for f in findings[path]
        ] + plan.pseudonymised
        counts: dict[str, int] = {}
        for f in audit_findings:
            counts[f.entity_type] = counts.get(f.entity_type, 0) + 1
        attributes["redaction"] = {
            "engine": ENGINE_NAME,
            "config_version": self.config_version,
            "entities": dict(sorted(counts.items())),
        }
        out = event.model_copy(
            update={
                "body": redacted.get("body", event.body),
                "author": author,
                "attributes": attributes,
                "redacted": True,
            }
        )
        audit = RedactionAudit(
            event_id=event.event_id,
            conversation_sid=event.conversation_sid,
            event_type=event.event_type.value,
            occurred_at=event.occurred_at,
            redacted_at=datetime.now(UTC),
            fields_scanned=len(plan.texts),
            chars_scanned=sum(len(t) for t in plan.texts.values()),
            media_count=event.media_count,
            findings=tuple(audit_findings),
            engine=ENGINE_NAME,
            model_version=self.model_version,
            config_version=self.config_version,
            latency_ms=round(latency_ms, 3),
            batch_size=batch_size,
        )
        return Redacted(out, audit)

    # -- public API ----------------------------------------------------------------------------------------------
    def redact_many(self, events: Sequence[ConversationEvent]) -> list[Redacted | RedactionError]:
        """Redact a batch; a failure affects only the events whose analysis failed (each gets an error)."""
        started = time.perf_counter()
        plans = [self._plan(e) for e in events]
        texts = [t for p in plans for t in p.texts.values()]
        try:
            flat = self._analyzer.analyze_batch(texts)
        except Exception as exc:  # noqa: BLE001 - isolate the culprit below, one event at a time
            log.warning(
                "batch analysis failed; retrying events one by one events=%d error=%s", len(events), type(exc).__name__
            )
            return [self._redact_alone(e, p) for e, p in zip(events, plans, strict=True)]
        per_event_ms = (time.perf_counter() - started) * 1000 / max(1, len(events))
        out: list[Redacted | RedactionError] = []
        position = 0
        for event, plan in zip(events, plans, strict=True):
            found = dict(zip(plan.texts, flat[position : position + len(plan.texts)], strict=True))
            position += len(plan.texts)
            try:
                out.append(self._apply(event, plan, found, per_event_ms, len(events)))
            except Exception as exc:  # noqa: BLE001 - fail closed on anything
                out.append(RedactionError(f"anonymization failed for event {event.event_id}: {type(exc).__name__}"))
        return out

    def _redact_alone(self, event: ConversationEvent, plan: _Plan) -> Redacted | RedactionError:
        started = time.perf_counter()
        try:
            found = dict(zip(plan.texts, self._analyzer.analyze_batch(list(plan.texts.values())), strict=True))
            return self._apply(event, plan, found, (time.perf_counter() - started) * 1000, 1)
        except Exception as exc:  # noqa: BLE001 - the reason names the error type, never the text
            return RedactionError(f"analysis failed for event {event.event_id}: {type(exc).__name__}")

    def redact_with_audit(self, event: ConversationEvent) -> Redacted:
        """:raises RedactionError: when analysis fails; the caller routes the event to the restricted DLQ."""
        result = self.redact_many([event])[0]
        if isinstance(result, RedactionError):
            raise result
        return result

    def redact(self, event: ConversationEvent) -> ConversationEvent:
        """The event with body, customer author and attributes redacted, marked ``redacted=True``."""
        return self.redact_with_audit(event).event
