"""The fast analyzer: Presidio's recognisers and context logic, driven in batches.

What makes it fast, and why none of it loses a match (``docs/redaction.md`` has the measurements):

- **one spaCy pass per batch** (``nlp.pipe``) running only ``ner``: in ``en_core_web_sm`` the NER has its own
  embedded tok2vec, so tagger, parser, attribute ruler and lemmatizer change nothing Presidio reads;
- **gated recognisers**: a recogniser runs only on texts that pass its necessary condition (a digit, an ``@``);
- **NER pre-filter**: texts without an uncommon capitalised word skip the model (measured, switchable);
- **cache** of results for repeated texts, keyed by a digest so no raw text is kept in memory;
- **chunking**: texts longer than ``max_chunk_chars`` are analysed in overlapping chunks (no spaCy E088).

Context words still lift scores exactly as in Presidio (its ``LemmaContextAwareEnhancer``, re-implemented without
its copies in ``context.py``), with lower-cased tokens in place of lemmas: Presidio matches context words as
substrings, so "numbers" still contains "number".
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngineProvider

from cxpulse.errors import CxpulseError
from cxpulse.settings import RedactionSettings
from streams.redact.context import ContextBooster
from streams.redact.fast_patterns import has_plain_pattern_loop, pattern_results
from streams.redact.name_links import NameLinker
from streams.redact.postfilter import drop_impossible
from streams.redact.prefilter import COMMON_WORDS, needs_ner
from streams.redact.recognizers import Gate, GatedRecognizer, build_recognizers
from streams.redact.recognizers.name_words import NOT_NAMES

__all__ = ["AnalysisFailure", "FastAnalyzer", "Finding", "chunk_spans", "offline_presidio_environment"]

log = logging.getLogger(__name__)

_NER_PIPE = "ner"
_PHONE = "PHONE_NUMBER"
#: Entities whose recognisers check a format or a checksum; a phone match inside one of them is the same digits.
_PHONE_YIELDS_TO = frozenset({"CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "EMAIL_ADDRESS"})
_DIGEST_BYTES = 16


class AnalysisFailure(CxpulseError):
    """Analysis of a text failed (including the test-only injected failure)."""


@dataclass(frozen=True)
class Finding:
    """One entity found in one text: where, what, how sure and who said so. Never the value itself."""

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str


def offline_presidio_environment() -> None:
    """Presidio's e-mail check uses tldextract, which otherwise tries to download the suffix list."""
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    os.environ.setdefault("TLDEXTRACT_CACHE", str(Path("~/.cache/cxpulse/tldextract").expanduser()))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def chunk_spans(length: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """``[start, end)`` windows covering ``length`` chars, each at most ``size``, neighbours sharing ``overlap``."""
    if length <= size:
        return [(0, length)]
    step = max(1, size - overlap)
    spans = []
    start = 0
    while True:
        end = min(length, start + size)
        spans.append((start, end))
        if end == length:
            return spans
        start += step


def _drop_phones_inside_validated(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Drop a phone number found inside a card, IBAN, IP address, SSN or e-mail address found in the same text.

    python-phonenumbers accepts many digit runs (an SSN, an IP's digits, a card, part of an IBAN) as a valid
    number of some region. Those spans stay redacted, under the type whose format or checksum matched, so this
    changes a label, never what is removed.
    """
    validated = [r for r in results if r.entity_type in _PHONE_YIELDS_TO]
    if not validated:
        return results
    return [
        r
        for r in results
        if r.entity_type != _PHONE or not any(v.start <= r.start and r.end <= v.end for v in validated)
    ]


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_BYTES).digest()


class FastAnalyzer:
    """Analyses many texts at once; returns, per text, the findings above the per-entity thresholds."""

    def __init__(self, settings: RedactionSettings) -> None:
        offline_presidio_environment()
        self._settings = settings
        self._engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": settings.language, "model_name": settings.spacy_model}],
                "ner_model_configuration": {"labels_to_ignore": list(settings.ner_labels_to_ignore)},
            }
        ).create_engine()
        self._nlp = self._engine.get_nlp(settings.language)
        # Our engine object only: every other component is dead weight for Presidio's NER recogniser.
        self._nlp.select_pipes(enable=[_NER_PIPE])
        self._recognizers: list[GatedRecognizer] = build_recognizers(settings)
        self._wanted = {
            id(g): [e for e in g.recognizer.supported_entities if e in settings.entities] for g in self._recognizers
        }
        self._plain_loops = {
            id(g) for g in self._recognizers if has_plain_pattern_loop(g.recognizer) and self._wanted[id(g)]
        }
        gazetteer = next(
            (g.recognizer.gazetteer for g in self._recognizers if hasattr(g.recognizer, "gazetteer")), None
        )
        self._dictionary = gazetteer.is_english if gazetteer is not None and settings.ner_prefilter_dictionary else None
        self._linker = (
            NameLinker(
                gazetteer=gazetteer,
                excluded=[*COMMON_WORDS, *NOT_NAMES, *settings.name_exclusions],
                particles=settings.name_particles,
                score=settings.known_name_score,
            )
            if gazetteer is not None and "PERSON" in settings.entities
            else None
        )
        self._booster = ContextBooster({g.recognizer.id: g.recognizer.context or [] for g in self._recognizers})
        self._entities = list(settings.entities)
        self._identifier_words = frozenset(w.casefold() for w in settings.phone_identifier_words)
        self._cache: OrderedDict[bytes, tuple[Finding, ...]] = OrderedDict()
        self.stats = {"texts": 0, "cache_hits": 0, "ner_texts": 0, "chunks": 0}
        meta = self._nlp.meta
        self.model_version = f"{meta.get('lang', 'xx')}_{meta.get('name', settings.spacy_model)}-{meta.get('version')}"
        for g in self._recognizers:
            names = getattr(g.recognizer, "gazetteer_version", None)
            if names:
                self.model_version += f"+names-{names}"

    def _threshold(self, entity: str) -> float:
        return self._settings.score_thresholds.get(entity, self._settings.score_threshold)

    def _artifacts(self, doc: object) -> NlpArtifacts:
        entities, scores = self._engine._get_updated_entities(  # noqa: SLF001 - Presidio's own label mapping
            list(doc.ents),
            self._engine._get_scores_for_entities(doc),  # type: ignore[attr-defined]
        )
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            # Presidio's NER recogniser reads only entities and scores; its context enhancer would read token
            # offsets and lemmas, but ``ContextBooster`` reads the ``Doc`` itself. Building them costs a Python
            # object per token.
            tokens_indices=[],
            lemmas=[],
            nlp_engine=None,
            language=self._settings.language,  # type: ignore[attr-defined]
            scores=scores,
        )

    def _pattern_results(self, text: str) -> list[RecognizerResult]:
        """What every recogniser but spaCy's finds (each behind its gate; a shared gate is evaluated once)."""
        marker = self._settings.fail_marker
        if marker and marker in text:
            raise AnalysisFailure("injected analyzer failure (redaction.fail_marker)")
        opened: dict[Gate, bool] = {}
        results: list[RecognizerResult] = []
        for g in self._recognizers:
            if g.uses_ner:
                continue
            passes = opened.get(g.gate)
            if passes is None:
                passes = opened[g.gate] = g.gate(text)
            if not passes:
                continue
            if id(g) in self._plain_loops:
                results.extend(pattern_results(g.recognizer, text))  # type: ignore[arg-type]
            else:
                results.extend(g.recognizer.analyze(text=text, entities=self._wanted[id(g)], nlp_artifacts=None) or [])
        return results

    def _still_needs_ner(self, text: str, found: list[RecognizerResult]) -> bool:
        """The pre-filter on the text minus what the other recognisers already found above their thresholds: a
        message whose only uncommon words are a gazetteer name and a phone number needs no model."""
        if not self._settings.ner_prefilter:
            return True
        chars = list(text)
        for r in found:
            if r.score >= self._threshold(r.entity_type):
                chars[r.start : r.end] = " " * (r.end - r.start)
        return needs_ner("".join(chars), self._dictionary)

    def _finish(self, text: str, results: list[RecognizerResult], doc: object | None) -> tuple[Finding, ...]:
        """Add spaCy's findings, lift scores by context, keep what reaches its threshold."""
        if doc is not None and doc.ents:  # type: ignore[attr-defined]
            artifacts = self._artifacts(doc)
            for g in self._recognizers:
                if g.uses_ner:
                    results.extend(
                        g.recognizer.analyze(text=text, entities=self._wanted[id(g)], nlp_artifacts=artifacts)
                    )
        if not results:
            return ()
        # Only the context booster reads tokens, and only for results whose recognisers have context words: a
        # text without such results is never tokenised.
        self._booster.boost(results, (lambda: doc) if doc is not None else (lambda: self._nlp.make_doc(text)))
        kept = [r for r in results if r.score >= self._threshold(r.entity_type)]
        if self._linker is not None:
            kept = self._linker.link(text, kept)
        kept = drop_impossible(text, kept, self._identifier_words)
        kept = _drop_phones_inside_validated(EntityRecognizer.remove_duplicates(kept))
        return tuple(
            Finding(
                r.entity_type,
                r.start,
                r.end,
                round(float(r.score), 4),
                (r.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, "unknown"),
            )
            for r in sorted(kept, key=lambda r: (r.start, r.end, r.entity_type))
        )

    def _remember(self, key: bytes, findings: tuple[Finding, ...]) -> None:
        if self._settings.cache_size <= 0:
            return
        self._cache[key] = findings
        if len(self._cache) > self._settings.cache_size:
            self._cache.popitem(last=False)

    def _units(self, texts: Sequence[str]) -> Iterator[tuple[int, int, str]]:
        cfg = self._settings
        for index, text in enumerate(texts):
            for start, end in chunk_spans(len(text), cfg.max_chunk_chars, cfg.chunk_overlap_chars):
                yield index, start, text[start:end]

    def analyze_batch(self, texts: Sequence[str]) -> list[list[Finding]]:
        """Findings per text, offsets into the original text. Raises :class:`AnalysisFailure` for the batch.

        Callers that must isolate one bad text fall back to analysing texts one by one.
        """
        units = list(self._units(texts))
        self.stats["texts"] += len(texts)
        self.stats["chunks"] += len(units)
        keys = [_digest(chunk) for _, _, chunk in units]
        pending: dict[bytes, str] = {}
        # Hits are copied out now: storing this batch's results may evict them before they are used.
        fresh: dict[bytes, tuple[Finding, ...]] = {}
        for key, (_, _, chunk) in zip(keys, units, strict=True):
            if key in fresh:
                continue
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.stats["cache_hits"] += 1
                fresh[key] = cached
            else:
                pending.setdefault(key, chunk)
        if pending:
            found = {key: self._pattern_results(chunk) for key, chunk in pending.items()}
            ner_keys = [k for k, t in pending.items() if self._still_needs_ner(t, found[k])]
            self.stats["ner_texts"] += len(ner_keys)
            docs = dict(zip(ner_keys, self._nlp.pipe(pending[k] for k in ner_keys), strict=True))
            for key, chunk in pending.items():
                fresh[key] = self._finish(chunk, found[key], docs.get(key))
                self._remember(key, fresh[key])
        out: list[list[Finding]] = [[] for _ in texts]
        seen: list[set[tuple[str, int, int]]] = [set() for _ in texts]
        for key, (index, offset, _) in zip(keys, units, strict=True):
            for f in fresh[key]:
                shifted = (f.entity_type, f.start + offset, f.end + offset)
                if shifted not in seen[index]:
                    seen[index].add(shifted)
                    out[index].append(Finding(f.entity_type, shifted[1], shifted[2], f.score, f.recognizer))
        return out
