"""Presidio-based redaction of one canonical event: what leaves the raw topic carries no raw PII.

What is scanned, and why:
- ``body``: free text written by customers and agents; entities become typed placeholders (``<PHONE_NUMBER>``).
- customer ``author`` values and address-like attributes (phone numbers, WhatsApp addresses, e-mails, chat
  identities): replaced by a salted HMAC pseudonym, so one customer stays one customer for analysts
  without the address ever leaving the raw topic.
- every other string in ``attributes`` (including ``raw_extra``): scanned like a body, because Twilio lets
  integrators put anything there. Only values that provably cannot carry PII (Twilio SIDs, ISO timestamps,
  booleans, very short tokens) skip the analyzer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cxpulse.errors import CxpulseError
from cxpulse.settings import RedactionSettings
from schemas.events import AuthorRole, ConversationEvent

__all__ = ["RedactionError", "Redactor", "pseudonym"]

log = logging.getLogger(__name__)

ENGINE_NAME = "presidio-default"
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_TOO_SHORT_FOR_PII = 4
_ADDRESS_KEY = re.compile(r"(address|identity|author)$", re.IGNORECASE)
_CHANNEL_PREFIX = re.compile(r"^(whatsapp|messenger|sms|rcs):", re.IGNORECASE)
_PSEUDONYM_HEX_CHARS = 16
#: Roles whose identities belong to the business (agents, bots, system), not to a customer.
_BUSINESS_ROLES = {AuthorRole.AGENT, AuthorRole.BOT, AuthorRole.SYSTEM}


class RedactionError(CxpulseError):
    """The analyzer could not process an event; the event must not go downstream (fail closed)."""


def _offline_presidio_environment() -> None:
    """Presidio's e-mail check uses tldextract, which otherwise tries to download the suffix list."""
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    os.environ.setdefault("TLDEXTRACT_CACHE", str(Path("~/.cache/cxpulse/tldextract").expanduser()))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def pseudonym(value: str, salt: bytes) -> str:
    """A stable, non-reversible stand-in for a customer address: ``whatsapp:+15551234`` → ``whatsapp:cust_…``.

    The channel prefix stays (it is not PII and analysts need it); the address itself is HMAC-ed with a
    secret salt, so the same customer maps to the same pseudonym while a dictionary attack needs the salt.
    """
    prefix_match = _CHANNEL_PREFIX.match(value)
    prefix = prefix_match.group(0).lower() if prefix_match else ""
    core = value[len(prefix):].strip().lower()
    digest = hmac.new(salt, core.encode(), hashlib.sha256).hexdigest()[:_PSEUDONYM_HEX_CHARS]
    return f"{prefix}cust_{digest}"


def _cannot_hold_pii(text: str) -> bool:
    stripped = text.strip()
    return (
        len(stripped) < _TOO_SHORT_FOR_PII
        or bool(_SID.match(stripped))
        or bool(_ISO_TIMESTAMP.match(stripped))
        or stripped.lower() in {"true", "false", "null", "none"}
    )


class Redactor:
    """Builds Presidio's analyzer and anonymizer once and redacts events with them."""

    def __init__(self, settings: RedactionSettings) -> None:
        _offline_presidio_environment()
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine

        self._settings = settings
        self._salt = settings.pseudonym_salt.get_secret_value().encode()
        nlp_engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": settings.language, "model_name": settings.spacy_model}],
                "ner_model_configuration": {"labels_to_ignore": list(settings.ner_labels_to_ignore)},
            }
        ).create_engine()
        self._analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=[settings.language])
        self._anonymizer = AnonymizerEngine()
        self._entities = list(settings.entities)

    def redact_text(self, text: str, found: Counter[str]) -> str:
        """Replace every allow-listed entity in ``text`` with its typed placeholder."""
        results = self._analyzer.analyze(
            text=text,
            language=self._settings.language,
            entities=self._entities,
            score_threshold=self._settings.score_threshold,
        )
        if not results:
            return text
        found.update(r.entity_type for r in results)
        return self._anonymizer.anonymize(text=text, analyzer_results=results).text

    def _redact_value(self, key: str, value: Any, found: Counter[str]) -> Any:
        if isinstance(value, Mapping):
            return {k: self._redact_value(str(k), v, found) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact_value(key, item, found) for item in value]
        if not isinstance(value, str) or _cannot_hold_pii(value):
            return value
        if _ADDRESS_KEY.search(key):
            found["ADDRESS_PSEUDONYMISED"] += 1
            return pseudonym(value, self._salt)
        return self.redact_text(value, found)

    def redact(self, event: ConversationEvent) -> ConversationEvent:
        """The event with body, customer author and attributes redacted, marked ``redacted=True``.

        :raises RedactionError: when analysis fails; the caller routes the event to the restricted DLQ.
        """
        found: Counter[str] = Counter()
        try:
            body = self.redact_text(event.body, found) if event.body else event.body
            author = event.author
            if author and event.author_role not in _BUSINESS_ROLES:
                author = pseudonym(author, self._salt)
                found["AUTHOR_PSEUDONYMISED"] += 1
            attributes = {k: self._redact_value(k, v, found) for k, v in event.attributes.items()}
        except Exception as exc:
            raise RedactionError(f"analysis failed for event {event.event_id}: {type(exc).__name__}") from exc
        attributes["redaction"] = {"engine": ENGINE_NAME, "entities": dict(sorted(found.items()))}
        return event.model_copy(update={"body": body, "author": author, "attributes": attributes, "redacted": True})
