"""Redaction of canonical events: what leaves the raw topic carries no raw PII, and says what was removed.

What is scanned, and why:
- ``body``: free text written by customers and agents; entities become typed placeholders (``<PHONE_NUMBER>``),
  or salted HMAC pseudonyms for the entities listed in ``pseudonymised_entities``.
- customer ``author`` values and address-like attributes (phone numbers, WhatsApp addresses, e-mails, chat
  identities): replaced by a salted HMAC pseudonym, so one customer stays one customer for analysts
  without the address ever leaving the raw topic. An ``author`` that is a contact address (phone, ``whatsapp:``,
  e-mail) is pseudonymised whatever role the event claims: the role is evidence, not a licence to store it.
- ``queue``: named by the application (from attributes any client may write); the edge only lets a bounded
  name through (:mod:`schemas.twilio`), which still fits a person's name, so it is scanned like a body.
- every other string in ``attributes`` (including ``raw_extra``): scanned like a body, because Twilio lets
  integrators put anything there. Only values that provably cannot carry PII (Twilio SIDs, ISO timestamps,
  booleans, very short tokens) skip the analyzer.
- media: counted (``media_count``), never fetched.

All texts of a batch of events are analysed together (:class:`~streams.redact.analyzer.FastAnalyzer`); if that
fails, events are analysed one by one so only the failing one fails closed. Attributes are walked with an
explicit stack, never recursion: attributes nested deeper than ``max_attribute_depth`` fail closed for their
event alone instead of raising ``RecursionError`` for the whole batch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from cxpulse.errors import CxpulseError
from cxpulse.settings import RedactionSettings
from schemas.events import AuthorRole, ConversationEvent
from schemas.roles import is_contact_address
from streams.redact.audit import AuditFinding, RedactionAudit

if TYPE_CHECKING:
    # Presidio and spaCy load with the analyzer (≈ 2.5 s): the worker's main process, which hands batches to the
    # redaction pool, imports this module for its types and errors only, and a restart must not wait for them.
    from streams.redact.analyzer import FastAnalyzer, Finding

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
#: Settings that cannot change what is found or how it is replaced (batching, timeouts, the secret salt, reports,
#: test hooks). Every other setting is versioned, so a new recogniser option can never be left out of the hash.
_UNVERSIONED_FIELDS = frozenset(
    {
        "pseudonym_salt",
        "batch_size",
        "batch_window_s",
        "cache_size",
        "processes",
        "timeout_s",
        "fail_marker",
        "report_hourly_max_h",
        "report_gap_limit",
        "name_gazetteer_dir",
        "canary_interval_s",
        "canary_targets",
        "max_attribute_depth",
    }
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
    data = settings.model_dump(mode="json", exclude=set(_UNVERSIONED_FIELDS))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:_CONFIG_VERSION_CHARS]


def _cannot_hold_pii(text: str) -> bool:
    stripped = text.strip()
    return (
        len(stripped) < _TOO_SHORT_FOR_PII
        or bool(_SID.match(stripped))
        or bool(_ISO_TIMESTAMP.match(stripped))
        or stripped.lower() in {"true", "false", "null", "none"}
    )


def _pseudonymises_author(event: ConversationEvent) -> bool:
    """A customer's author is pseudonymised, a business author (agent, bot, system) kept as it came, except that
    a contact address (phone, ``whatsapp:``, e-mail) never is: a role can be claimed, the address is the fact."""
    if not event.author:
        return False
    return event.author_role not in _BUSINESS_ROLES or is_contact_address(event.author)


#: One level of the attribute walk: the remaining ``(name, value)`` entries of a dict or list, the copy being
#: built, its path, the key its list items inherit, whether it is a dict, and its depth (attributes = 1).
_Frame = tuple[Iterator[tuple[Any, Any]], Any, str, str, bool, int]


def _entries(value: Mapping[Any, Any] | list[Any]) -> Iterator[tuple[Any, Any]]:
    return iter(value.items()) if isinstance(value, Mapping) else enumerate(value)


def _map_leaves(attributes: Mapping[str, Any], leaf: Callable[[str, str, Any], Any], max_depth: int) -> dict[str, Any]:
    """A copy of ``attributes`` with each non-container value replaced by ``leaf(path, key, value)``.

    Paths and keys are those the audit records: ``attributes.a.b``, ``attributes.a[0]`` (a list item takes its
    list's key, so a list of addresses is pseudonymised like one address). Depth first in document order, like
    the recursion this replaces, but on an explicit stack: any nesting costs memory, never the call stack.

    :raises RedactionError: when a container sits deeper than ``max_depth`` (the attributes dict is depth 1).
    """
    out: dict[str, Any] = {}
    stack: list[_Frame] = [(_entries(attributes), out, "attributes", "", True, 1)]
    while stack:
        entries, target, path, key, is_dict, depth = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        name, value = entry
        child_path, child_key = (f"{path}.{name}", str(name)) if is_dict else (f"{path}[{name}]", key)
        if isinstance(value, Mapping | list):
            if depth >= max_depth:
                raise RedactionError(f"attributes nest deeper than {max_depth} levels (max_attribute_depth)")
            child: Any = {} if isinstance(value, Mapping) else []
            stack.append((_entries(value), child, child_path, child_key, isinstance(value, Mapping), depth + 1))
        else:
            child = leaf(child_path, child_key, value)
        if is_dict:
            target[name] = child
        else:
            target.append(child)
    return out


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
        # no salt (benchmarks and reports, never the worker: it refuses to start without one) = pseudonyms that
        # hold for this process only, which is all those tools need
        salt = settings.pseudonym_salt
        self._salt = salt.get_secret_value().encode() if salt is not None else secrets.token_bytes(32)
        if analyzer is None:
            from streams.redact.analyzer import FastAnalyzer

            analyzer = FastAnalyzer(settings)
        self._analyzer = analyzer
        self.config_version = config_version(settings)

    @cached_property
    def _anonymizer(self) -> Any:
        from presidio_anonymizer import AnonymizerEngine

        return AnonymizerEngine()

    @property
    def model_version(self) -> str:
        return self._analyzer.model_version

    # -- planning: which strings are analysed, which are pseudonymised outright --------------------------------
    def _plan_leaf(self, plan: _Plan) -> Callable[[str, str, Any], Any]:
        def visit(path: str, key: str, value: Any) -> Any:
            if isinstance(value, str) and not _cannot_hold_pii(value):
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
            return value

        return visit

    def _plan(self, event: ConversationEvent) -> _Plan:
        """:raises RedactionError: attributes nested deeper than ``max_attribute_depth``."""
        plan = _Plan(texts={}, pseudonymised=[])
        if event.body:
            plan.texts["body"] = event.body
        if event.queue and not _cannot_hold_pii(event.queue):
            plan.texts["queue"] = event.queue
        if event.author and _pseudonymises_author(event):
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
        _map_leaves(event.attributes, self._plan_leaf(plan), self._settings.max_attribute_depth)
        return plan

    def _plan_or_error(self, event: ConversationEvent) -> _Plan | RedactionError:
        """The plan, or the reason this event alone fails closed (never an exception that fails the batch)."""
        try:
            return self._plan(event)
        except RedactionError as exc:
            return RedactionError(f"planning failed for event {event.event_id}: {exc}")
        except Exception as exc:  # noqa: BLE001 - e.g. RecursionError: fail closed, this event only
            return RedactionError(f"planning failed for event {event.event_id}: {type(exc).__name__}")

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

    def _rebuild_leaf(self, redacted: Mapping[str, str]) -> Callable[[str, str, Any], Any]:
        def replace(path: str, key: str, value: Any) -> Any:
            if not isinstance(value, str) or _cannot_hold_pii(value):
                return value
            if _ADDRESS_KEY.search(key):
                return pseudonym(value, self._salt)
            return redacted[path]

        return replace

    def _apply(
        self,
        event: ConversationEvent,
        plan: _Plan,
        findings: Mapping[str, list[Finding]],
        latency_ms: float,
        batch_size: int,
    ) -> Redacted:
        redacted = {path: self._replace(text, findings[path]) for path, text in plan.texts.items()}
        author = pseudonym(event.author, self._salt) if event.author and _pseudonymises_author(event) else event.author
        attributes = _map_leaves(event.attributes, self._rebuild_leaf(redacted), self._settings.max_attribute_depth)
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
                "queue": redacted.get("queue", event.queue),
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
        plans = [self._plan_or_error(e) for e in events]
        texts = [t for p in plans if isinstance(p, _Plan) for t in p.texts.values()]
        try:
            flat = self._analyzer.analyze_batch(texts)
        except Exception as exc:  # noqa: BLE001 - isolate the culprit below, one event at a time
            log.warning(
                "batch analysis failed; retrying events one by one events=%d error=%s", len(events), type(exc).__name__
            )
            pairs = zip(events, plans, strict=True)
            return [p if isinstance(p, RedactionError) else self._redact_alone(e, p) for e, p in pairs]
        per_event_ms = (time.perf_counter() - started) * 1000 / max(1, len(events))
        out: list[Redacted | RedactionError] = []
        position = 0
        for event, plan in zip(events, plans, strict=True):
            if isinstance(plan, RedactionError):
                out.append(plan)
                continue
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
