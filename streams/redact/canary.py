"""The recall canary: a labelled set of chat messages shipped with cxpulse, redacted by the live redactor, scored
per entity type.

Coverage ("every message was scanned") says nothing about what the recognisers *miss*; a page that shows
"Coverage 100 %" reads as "safe" while a model change or a config slip lets every phone number through. The
canary measures that: its messages (``canary_set.txt``, hand-written contact-center lines with inline labels
``[[PHONE_NUMBER:+44 7700 900461]]``, plus hard negatives) go through the same redactor as real traffic, and for
each labelled span we check whether the raw value survived.

**Leak-free recall** of an entity type = labelled spans that did not leak ÷ labelled spans. A span *leaked* when
its raw value is still in the redacted text, or when any alphanumeric token of it of at least
:data:`MIN_TOKEN_CHARS` characters is (so "Deshmukh" surviving "Priyanka <PERSON>" is a leak, the "ext" after a
redacted phone is not: it is outside the span). Tokens (and the whole value) that also occur in the message outside
the span are not counted, since they may rightly survive there. Which placeholder replaced the span does not
matter: a phone redacted as ``<US_BANK_NUMBER>`` did not leak. A message the redactor could not process counts as
leaked for every span (the canary cannot show it was redacted).

Nothing here logs or returns a canary value: results hold entity types and counts only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from cxpulse.errors import CxpulseError
from schemas.events import AuthorRole, ConversationEvent, EventSource, EventType

__all__ = [
    "CANARY_FILE",
    "MIN_TOKEN_CHARS",
    "UNLISTED_TARGET",
    "CanaryMessage",
    "CanaryScore",
    "CanarySet",
    "CanarySetError",
    "EntityRecall",
    "LabelledSpan",
    "canary_records",
    "leaked",
    "load_canary_set",
    "measure",
    "parse_message",
    "redacted_bodies",
    "score",
]

#: The canary set shipped as package data of ``streams.redact``.
CANARY_FILE = "canary_set.txt"
#: Shorter tokens ("Mr", "44", "3º") are too common to say anything about a leak.
MIN_TOKEN_CHARS = 3
#: Target of an entity that has none in ``[redaction.canary_targets]``: it must never leak.
UNLISTED_TARGET = 1.0
_VERSION_CHARS = 12
_LABEL = re.compile(r"\[\[([A-Z][A-Z0-9_]*):(.+?)\]\]")
_TOKEN = re.compile(r"[^\W_]+")
#: Our own output: ``<PHONE_NUMBER>`` and pseudonyms ``<EMAIL_ADDRESS:3f2a…>`` carry no raw token.
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*(?::[0-9a-f]+)?>")
_CANARY_ACCOUNT = "AC" + "0" * 32
_CANARY_CONVERSATION = "CH" + "c" * 32


class CanarySetError(CxpulseError):
    """The canary set file is malformed (an unclosed or empty label)."""


@dataclass(frozen=True)
class LabelledSpan:
    """One labelled PII span: where it is in the message text (the value itself is read from the text)."""

    entity: str
    start: int
    end: int


@dataclass(frozen=True)
class CanaryMessage:
    """A message as the redactor sees it (labels removed) and its labelled spans; none = a hard negative."""

    text: str
    spans: tuple[LabelledSpan, ...]


@dataclass(frozen=True)
class CanarySet:
    messages: tuple[CanaryMessage, ...]
    #: First hex digits of the SHA-256 of the file: a new canary set gets a new version.
    version: str

    def gold(self) -> dict[str, int]:
        """Labelled spans per entity type."""
        counts: dict[str, int] = {}
        for message in self.messages:
            for span in message.spans:
                counts[span.entity] = counts.get(span.entity, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def negatives(self) -> int:
        return sum(1 for m in self.messages if not m.spans)


def parse_message(line: str) -> CanaryMessage:
    """``"call [[PHONE_NUMBER:415-555-0198]] now"`` → the text without brackets and the span of the value.

    :raises CanarySetError: an opened label that is not a well-formed ``[[ENTITY:value]]``.
    """
    parts: list[str] = []
    spans: list[LabelledSpan] = []
    position = 0
    length = 0
    for match in _LABEL.finditer(line):
        before = line[position : match.start()]
        parts.append(before)
        length += len(before)
        value = match.group(2)
        if value.strip() != value:
            raise CanarySetError("a canary label's value must not start or end with a space")
        spans.append(LabelledSpan(match.group(1), length, length + len(value)))
        parts.append(value)
        length += len(value)
        position = match.end()
    parts.append(line[position:])
    text = "".join(parts)
    if "[[" in text or "]]" in text:
        raise CanarySetError("malformed canary label (expected [[ENTITY:value]])")
    return CanaryMessage(text=text, spans=tuple(spans))


def load_canary_set(text: str | None = None) -> CanarySet:
    """The shipped canary set (or one given as ``text``, for tests). Blank lines and ``#`` comments are skipped.

    :raises CanarySetError: a malformed label; the message names the line number, never its content.
    """
    if text is None:
        text = (resources.files("streams.redact") / CANARY_FILE).read_text(encoding="utf-8")
    messages = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            messages.append(parse_message(stripped))
        except CanarySetError as exc:
            raise CanarySetError(f"canary set line {number}: {exc}") from None
    if not messages:
        raise CanarySetError("the canary set has no messages")
    version = hashlib.sha256(text.encode()).hexdigest()[:_VERSION_CHARS]
    return CanarySet(messages=tuple(messages), version=version)


def _tokens(text: str) -> set[str]:
    return {t.casefold() for t in _TOKEN.findall(text)}


def leaked(message: CanaryMessage, span: LabelledSpan, redacted: str) -> bool:
    """Whether the raw value of ``span`` (or a telling token of it) survived in ``redacted``."""
    value = message.text[span.start : span.end].casefold()
    outside = (message.text[: span.start] + "\n" + message.text[span.end :]).casefold()
    output = _PLACEHOLDER.sub(" ", redacted).casefold()
    if value not in outside and value in output:
        return True
    kept = _tokens(output)
    elsewhere = _tokens(outside)
    return any(len(t) >= MIN_TOKEN_CHARS and t not in elsewhere and t in kept for t in _tokens(value))


@dataclass(frozen=True)
class EntityRecall:
    """Leak-free recall of one entity type on the canary: counts only, never a value."""

    entity: str
    gold: int
    leaked: int
    target: float

    @property
    def recall(self) -> float:
        return 1.0 if self.gold == 0 else (self.gold - self.leaked) / self.gold

    @property
    def below_target(self) -> bool:
        return self.recall < self.target


@dataclass(frozen=True)
class CanaryScore:
    entities: tuple[EntityRecall, ...]
    messages: int
    #: Messages the redactor could not process (their spans count as leaked).
    failed: int
    #: Hard negatives (no label) and how many of them the redactor changed anyway (over-redaction).
    negatives: int
    negatives_redacted: int

    @property
    def below_target(self) -> tuple[str, ...]:
        return tuple(e.entity for e in self.entities if e.below_target)


def score(canary: CanarySet, redacted: Sequence[str | None], targets: Mapping[str, float]) -> CanaryScore:
    """Score redacted bodies (in canary order; ``None`` = the message failed) against the labels."""
    if len(redacted) != len(canary.messages):
        raise ValueError(f"{len(redacted)} redacted bodies for {len(canary.messages)} canary messages")
    leaks: dict[str, int] = dict.fromkeys(canary.gold(), 0)
    negatives_redacted = 0
    for message, body in zip(canary.messages, redacted, strict=True):
        if not message.spans:
            negatives_redacted += int(body is not None and body != message.text)
        for span in message.spans:
            if body is None or leaked(message, span, body):
                leaks[span.entity] += 1
    entities = tuple(
        EntityRecall(entity, gold, leaks[entity], targets.get(entity, UNLISTED_TARGET))
        for entity, gold in canary.gold().items()
    )
    return CanaryScore(
        entities=entities,
        messages=len(canary.messages),
        failed=sum(1 for body in redacted if body is None),
        negatives=canary.negatives,
        negatives_redacted=negatives_redacted,
    )


def canary_records(canary: CanarySet, *, at: datetime | None = None) -> list[tuple[bytes | None, bytes]]:
    """The canary messages as raw-topic records (key, canonical-event JSON): customer messages with the text as
    body, so they take exactly the path of real traffic through the analyser. They are never produced to a topic."""
    occurred_at = at or datetime.now(UTC)
    records: list[tuple[bytes | None, bytes]] = []
    for i, message in enumerate(canary.messages):
        event = ConversationEvent(
            event_id=f"canary-{canary.version}-{i}",
            event_type=EventType.MESSAGE_ADDED,
            account_sid=_CANARY_ACCOUNT,
            conversation_sid=_CANARY_CONVERSATION,
            index=i,
            author_role=AuthorRole.CUSTOMER,
            body=message.text,
            occurred_at=occurred_at,
            source=EventSource.SIMULATOR,
        )
        records.append((event.key.encode(), event.to_json()))
    return records


def redacted_bodies(outcomes: Iterable[Any]) -> list[str | None]:
    """Bodies of :class:`~streams.redact.agent.Outcome` objects, in order; ``None`` where redaction failed."""
    return [o.event.body if o.event is not None else None for o in outcomes]


def measure(redactor: Any, canary: CanarySet, targets: Mapping[str, float], *, batch_size: int) -> CanaryScore:
    """Run the canary through an in-process redactor (anything with ``redact_many``, as the worker's), in batches
    of ``batch_size`` like real traffic, and score it. The worker uses its analyser instead (``canary_worker``)."""
    from streams.redact.agent import redact_batch

    records = canary_records(canary)
    outcomes: list[Any] = []
    for i in range(0, len(records), batch_size):
        outcomes.extend(redact_batch(redactor, records[i : i + batch_size]))
    return score(canary, redacted_bodies(outcomes), targets)
