"""Shared by the redaction benchmarks: the two systems (ours through the production path, Presidio's default
engine) and scoring of what they leave in the REDACTED TEXT, not of which labels they emit.

Why the text: a downstream reader only ever sees the redacted body. A name redacted as LOCATION is not a leak;
a name of which one half survives is, even though a prediction "overlaps" it. So recall is measured on output.

Leak rule, for a gold PII span with value ``v`` in original text ``T`` and redacted output ``O``:

- placeholders (``<TYPE>``, ``<TYPE:hex>``) are first replaced by a space in ``O``;
- ``K`` ("kept") is ``T`` with every gold PII span blanked out: text that may legitimately survive;
- tokens are maximal runs of letters and digits, except that runs of CJK script (Han, kana, Hangul) are tokens
  of their own; a token is *significant* if it has at least 3 characters or is CJK (one ideograph can be a
  surname). Comparisons ignore case.

The span LEAKED if any of:

1. ``v`` occurs in ``O`` (as a whole: not inside a longer run of letters/digits) more often than in ``K``;
2. a significant token of ``v`` that is not a token of ``K`` is a token of ``O`` (for CJK tokens: occurs
   in ``O`` and not in ``K``) - so ``Priya <PERSON>`` leaks ``Priya Raman``;
3. a token of ``O`` of at least 3 characters that is not a token of ``K`` is a proper part of a token of
   ``v`` and occurs nowhere in ``K`` - so ``<PHONE_NUMBER>0123`` or ``<PERSON>son`` leak too.

Otherwise it is leak-free. Leak-free recall = leak-free gold spans / gold spans.

Precision (type-agnostic): predicted spans (analyzer findings) overlapping any gold PII span / all predicted
spans; per entity, over the predictions of that type. Over-redaction: labelled hard negatives overlapped by
any prediction / all negatives, overall and per kind.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import regex

import streams.redact  # noqa: F401 - offline Presidio settings before Presidio is imported
from bench.corpora import ENTITY_TYPES, LabelledText, Span
from cxpulse.settings import RedactionSettings

__all__ = [
    "CorpusScore",
    "EntityScore",
    "Leak",
    "OverRedaction",
    "OurRedactor",
    "PresidioDefault",
    "Ratio",
    "Span",
    "SystemOutput",
    "kept_text",
    "leaked",
    "mask",
    "score",
    "slice_entities",
]

_PLACEHOLDER = regex.compile(r"<[A-Z][A-Z_]*(?::[0-9a-f]+)?>")
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
_TOKEN = regex.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = regex.compile(rf"^[{_CJK}]+$")
_EDGE = regex.compile(rf"[^\W_{_CJK}]")
MIN_TOKEN = 3

#: A slice's name before ``_`` or ``:`` -> the entities its figure is about; other slices count every entity.
_SLICE_ENTITIES = {
    "phone": ("PHONE_NUMBER",),
    "name": ("PERSON",),
    "address": ("STREET_ADDRESS", "LOCATION"),
    "postcode": ("LOCATION",),
    "ssn": ("US_SSN",),
    "iban": ("IBAN_CODE",),
    "card": ("CREDIT_CARD",),
    "ip": ("IP_ADDRESS",),
    "dob": ("DATE_OF_BIRTH",),
    "email": ("EMAIL_ADDRESS",),
    "bank": ("US_BANK_NUMBER",),
}


# -- the leak rule ------------------------------------------------------------------------------------------------
def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _significant(token: str) -> bool:
    return len(token) >= MIN_TOKEN or bool(_IS_CJK.match(token))


def _occurrences(value: str, text: str) -> int:
    """Case-insensitive occurrences of ``value`` in ``text`` that are not inside a longer letter/digit run."""
    before = r"(?<![^\W_])" if _EDGE.match(value[0]) else ""
    after = r"(?![^\W_])" if _EDGE.match(value[-1]) else ""
    return len(regex.findall(before + regex.escape(value) + after, text, flags=regex.IGNORECASE))


def kept_text(item: LabelledText) -> str:
    """The message with every gold PII span blanked (a newline each, so no token joins across a gap)."""
    out, position = [], 0
    for _, start, end in sorted(item.spans, key=lambda s: s[1]):
        out.append(item.text[position:start])
        out.append("\n")
        position = max(position, end)
    out.append(item.text[position:])
    return "".join(out)


def leaked(value: str, kept: str, output: str) -> bool:
    """Whether the gold value ``value`` survives in ``output`` by the module's leak rule (``kept``: see above)."""
    out = _PLACEHOLDER.sub(" ", output)
    if _occurrences(value, out) > _occurrences(value, kept):
        return True
    kept_lower, out_lower = kept.casefold(), out.casefold()
    kept_tokens = {t.casefold() for t in _tokens(kept)}
    out_tokens = {t.casefold() for t in _tokens(out)}
    value_tokens = [t.casefold() for t in _tokens(value)]
    for token in value_tokens:
        if not _significant(token) or token in kept_tokens:
            continue
        if _IS_CJK.match(token):
            if token in out_lower and token not in kept_lower:
                return True
        elif token in out_tokens:
            return True
    for fragment in out_tokens - kept_tokens:
        if len(fragment) < MIN_TOKEN or _IS_CJK.match(fragment) or fragment in kept_lower:
            continue
        if any(fragment != token and fragment in token for token in value_tokens):
            return True
    return False


# -- the systems ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SystemOutput:
    """What a system did to each text: the redacted text and the spans its analyzer found."""

    redacted: list[str]
    predictions: list[list[Span]]
    #: Texts the system refused to redact (fail closed): their output is empty, nothing leaks, it is counted.
    failures: int = 0


def mask(text: str, findings: Iterable[Span]) -> str:
    """``text`` with findings replaced by ``<TYPE>``; overlapping findings merge into one, named after the first."""
    merged: list[list[Any]] = []
    for entity, start, end in sorted(findings, key=lambda f: (f[1], -(f[2] - f[1]))):
        if merged and start < merged[-1][2]:
            last = merged[-1]
            last[2] = max(last[2], end)
            continue
        merged.append([entity, start, end])
    out, position = [], 0
    for entity, start, end in merged:
        out.append(text[position:start])
        out.append(f"<{entity}>")
        position = end
    out.append(text[position:])
    return "".join(out)


class PresidioDefault:
    """Presidio's default ``AnalyzerEngine`` (default registry, full spaCy pipeline, default score threshold),
    with the same offline model and entity allowlist, called once per text: the loop most users write."""

    def __init__(self, settings: RedactionSettings) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        nlp = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": settings.language, "model_name": settings.spacy_model}],
            }
        ).create_engine()
        self.engine = AnalyzerEngine(nlp_engine=nlp, supported_languages=[settings.language])
        supported = set(self.engine.get_supported_entities(settings.language))
        self.entities = [e for e in settings.entities if e in supported]
        self.language = settings.language

    def analyze(self, texts: Sequence[str]) -> list[list[Span]]:
        return [
            [(r.entity_type, r.start, r.end) for r in self.engine.analyze(t, self.language, entities=self.entities)]
            for t in texts
        ]

    def redact(self, texts: Sequence[str]) -> SystemOutput:
        """Findings masked as ``<TYPE>``; each distinct text is analysed once (the engine is deterministic)."""
        distinct = list(dict.fromkeys(texts))
        found = dict(zip(distinct, self.analyze(distinct), strict=True))
        return SystemOutput([mask(t, found[t]) for t in texts], [list(found[t]) for t in texts])


class OurRedactor:
    """Our redaction through the production path: ``Redactor.redact_many`` on chat events, in worker batches."""

    def __init__(self, settings: RedactionSettings) -> None:
        from streams.redact.engine import Redactor

        self.settings = settings
        self.redactor = Redactor(settings)

    @staticmethod
    def _event(i: int, text: str) -> Any:
        from schemas.events import AuthorRole, ConversationEvent, EventType

        return ConversationEvent(
            event_id=f"bench-{i}",
            event_type=EventType.MESSAGE_ADDED,
            account_sid="AC" + "0" * 32,
            conversation_sid="CH" + "1" * 32,
            message_sid=f"IM{i:032x}",
            author="+15550100000",
            author_role=AuthorRole.CUSTOMER,
            body=text,
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        )

    def redact(self, texts: Sequence[str]) -> SystemOutput:
        from streams.redact.engine import RedactionError

        redacted: list[str] = []
        predictions: list[list[Span]] = []
        failures = 0
        batch = self.settings.batch_size
        for first in range(0, len(texts), batch):
            events = [self._event(first + i, t) for i, t in enumerate(texts[first : first + batch])]
            for result in self.redactor.redact_many(events):
                if isinstance(result, RedactionError):
                    failures += 1
                    redacted.append("")
                    predictions.append([])
                    continue
                redacted.append(result.event.body or "")
                predictions.append(
                    [(f.entity_type, f.start, f.end) for f in result.audit.findings if f.field == "body"]
                )
        return SystemOutput(redacted, predictions, failures)


# -- scoring ------------------------------------------------------------------------------------------------------
@dataclass
class Ratio:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += int(hit)
        self.total += 1

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else math.nan


@dataclass(frozen=True)
class EntityScore:
    entity: str
    gold: int
    leak_free: Ratio
    precision: Ratio


@dataclass(frozen=True)
class Leak:
    entity: str
    value: str
    text: str
    output: str
    slices: frozenset[str]


@dataclass(frozen=True)
class OverRedaction:
    kind: str
    value: str
    text: str
    output: str


@dataclass
class CorpusScore:
    entities: dict[str, EntityScore]
    #: All entities together.
    overall: Ratio
    precision: Ratio
    slices: dict[str, Ratio]
    negatives: Ratio
    negatives_by_kind: dict[str, Ratio]
    leaks: list[Leak] = field(default_factory=list)
    failures: int = 0
    over_redacted: list[OverRedaction] = field(default_factory=list)


def slice_entities(slice_name: str) -> tuple[str, ...]:
    """The entities a slice's figure counts: ``phone_invalid`` -> PHONE_NUMBER; ``locale:de_DE`` -> all."""
    head = regex.split(r"[_:]", slice_name, maxsplit=1)[0]
    return _SLICE_ENTITIES.get(head, ENTITY_TYPES)


def _overlaps(a: Span, b: Span) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def score(corpus: Sequence[LabelledText], output: SystemOutput) -> CorpusScore:
    leak_free = {e: Ratio() for e in ENTITY_TYPES}
    precision = {e: Ratio() for e in ENTITY_TYPES}
    overall, all_precision, negatives = Ratio(), Ratio(), Ratio()
    slices: dict[str, Ratio] = {}
    by_kind: dict[str, Ratio] = {}
    leaks: list[Leak] = []
    over: list[OverRedaction] = []
    for item, redacted, preds in zip(corpus, output.redacted, output.predictions, strict=True):
        kept = kept_text(item)
        for span in item.spans:
            value = item.value(span)
            is_leak = leaked(value, kept, redacted)
            leak_free[span[0]].add(not is_leak)
            overall.add(not is_leak)
            for name in item.slices:
                if span[0] in slice_entities(name):
                    slices.setdefault(name, Ratio()).add(not is_leak)
            if is_leak:
                leaks.append(Leak(span[0], value, item.text, redacted, item.slices))
        for pred in preds:
            hit = any(_overlaps(pred, g) for g in item.spans)
            all_precision.add(hit)
            precision.setdefault(pred[0], Ratio()).add(hit)
        for neg in item.negatives:
            touched = any(_overlaps(neg, p) for p in preds)
            negatives.add(touched)
            by_kind.setdefault(neg[0], Ratio()).add(touched)
            if touched:
                over.append(OverRedaction(neg[0], item.value(neg), item.text, redacted))
    entities = {}
    for entity, ratio in precision.items():
        gold = leak_free.get(entity, Ratio())
        entities[entity] = EntityScore(entity, gold.total, gold, ratio)
    return CorpusScore(
        entities,
        overall,
        all_precision,
        slices,
        negatives,
        dict(sorted(by_kind.items())),
        leaks,
        output.failures,
        over,
    )
