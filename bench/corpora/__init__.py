"""Labelled chat corpora for the redaction benchmarks, written independently of the recognisers they score.

Why a separate package: the original corpus (``bench/redaction_corpus.py``) was written by the people who tuned
the recognisers, so it measures what they already thought of. These corpora come from other sources:

- ``faker``: Faker's own per-locale providers (13 locales) in chat templates of our own;
- ``mimesis``: a second generator (mimesis, 10 locales) with separately written templates and phrasing;
- ``handwritten_dev`` / ``handwritten_test``: messages written by hand (``bench/corpora/handwritten_*.txt``).
  ``handwritten`` is an alias of the held-out test file;
- ``handwritten_blind1`` .. ``7``: written by people (helper sessions) who never saw the recognisers, the other
  corpora or the simulator, each to its own brief (``handwritten_blind*.txt``). Each was first scored as held
  out (figures in ``docs/redaction.md``), then became a DEVELOPMENT set: ``blind1`` (international mix),
  ``blind2`` (English-speaking markets, phone-typed), ``blind3`` (multilingual), ``blind4`` (North American and
  British operations), ``blind5`` (Latin America, Middle East, Africa, Asia), ``blind6`` (formal service
  worldwide, pasted e-mails), ``blind7`` (gig-economy one-liners). New blind sets are the way to measure again;
- ``handwritten_blind8`` (healthcare, insurance, banking and telecom in the Americas, voice-to-text and
  code-switching): written the same way, scored once held out, now a DEVELOPMENT set;
- ``handwritten_blind9`` (travel, hotels, e-commerce and utilities from the UK to the Gulf, India and South-East
  Asia, pasted forms and forwarded e-mails): written the same way, HELD OUT (only its scores were read).

Every item carries its PII spans, labelled hard negatives (values that must survive redaction) and slice tags
for per-slice figures. Development uses seed 1 and ``handwritten_dev``; reports use seed 101 and the held-out
``handwritten_test``, so a figure in a report was never looked at while tuning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "CORPORA",
    "DEV_SEED",
    "ENTITY_TYPES",
    "REPORT_SEED",
    "LabelledText",
    "Span",
    "load",
]

#: (entity type or negative kind, start, end) into ``LabelledText.text``.
Span = tuple[str, int, int]

ENTITY_TYPES = (
    "PERSON",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_BANK_NUMBER",
    "LOCATION",
    "STREET_ADDRESS",
    "DATE_OF_BIRTH",
)

#: The seed engineers develop against; reports use ``REPORT_SEED`` so tuning cannot fit the reported data.
DEV_SEED = 1
REPORT_SEED = 101


@dataclass(frozen=True)
class LabelledText:
    """One chat message with exact labels; the constructor checks them, so no corpus can ship a bad span."""

    text: str
    #: PII: (entity type, start, end).
    spans: tuple[Span, ...]
    #: Hard negatives that must NOT be redacted: (kind, start, end), e.g. ("order", 12, 24).
    negatives: tuple[Span, ...] = ()
    #: Tags for per-slice figures: "phone_invalid", "address_non_us", "locale:de_DE", ...
    slices: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for label, start, end in self.spans:
            if label not in ENTITY_TYPES:
                raise ValueError(f"unknown entity type {label!r}")
            if not 0 <= start < end <= len(self.text):
                raise ValueError(f"span {label} {start}:{end} outside the text")
        ordered = sorted((s, e) for _, s, e in self.spans)
        for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
            if start < end:
                raise ValueError(f"overlapping PII spans in {self.text!r}")
        for label, start, end in self.negatives:
            if not 0 <= start < end <= len(self.text):
                raise ValueError(f"negative {label} {start}:{end} outside the text")
            if any(s < end and start < e for _, s, e in self.spans):
                raise ValueError(f"negative {label} overlaps a PII span in {self.text!r}")

    def value(self, span: Span) -> str:
        return self.text[span[1] : span[2]]


def _faker(size: int, seed: int) -> list[LabelledText]:
    from bench.corpora import faker_chat

    return faker_chat.generate(size, seed)


def _mimesis(size: int, seed: int) -> list[LabelledText]:
    from bench.corpora import mimesis_chat

    return mimesis_chat.generate(size, seed)


def _handwritten(split: str) -> Callable[[int, int], list[LabelledText]]:
    def generate(size: int, seed: int) -> list[LabelledText]:
        from bench.corpora import handwritten

        return handwritten.generate(size, seed, split=split)

    return generate


def _ours(size: int, seed: int) -> list[LabelledText]:
    """The original, in-house corpus (no labelled negatives), kept for comparison with earlier figures."""
    from bench.redaction_corpus import generate_corpus

    return [LabelledText(item.text, item.spans) for item in generate_corpus(size, seed)]


#: name -> generate(size, seed). Generators are imported lazily: Faker and mimesis load only when used.
CORPORA: dict[str, Callable[[int, int], list[LabelledText]]] = {
    "faker": _faker,
    "mimesis": _mimesis,
    "handwritten": _handwritten("test"),
    "handwritten_test": _handwritten("test"),
    "handwritten_dev": _handwritten("dev"),
    "handwritten_blind1": _handwritten("blind1"),
    "handwritten_blind2": _handwritten("blind2"),
    "handwritten_blind3": _handwritten("blind3"),
    "handwritten_blind4": _handwritten("blind4"),
    "handwritten_blind5": _handwritten("blind5"),
    "handwritten_blind6": _handwritten("blind6"),
    "handwritten_blind7": _handwritten("blind7"),
    "handwritten_blind8": _handwritten("blind8"),
    "handwritten_blind9": _handwritten("blind9"),
    "handwritten_blind10": _handwritten("blind10"),
    "ours": _ours,
}


def load(name: str, size: int = 2000, seed: int = REPORT_SEED) -> list[LabelledText]:
    """The corpus ``name`` (see ``CORPORA``); the handwritten ones ignore ``size`` unless it is smaller."""
    try:
        generate = CORPORA[name]
    except KeyError:
        raise ValueError(f"unknown corpus {name!r}; choose from {', '.join(CORPORA)}") from None
    return generate(size, seed)
