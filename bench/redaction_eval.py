"""Shared by the redaction benchmarks: Presidio's default engine (the baseline), ours, and span scoring."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streams.redact  # noqa: F401 - offline Presidio settings before Presidio is imported
from bench.redaction_corpus import ENTITY_TYPES, LabelledText
from cxpulse.settings import RedactionSettings

__all__ = ["EntityScore", "PresidioDefault", "Span", "score"]

Span = tuple[str, int, int]


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


@dataclass(frozen=True)
class EntityScore:
    entity: str
    gold: int
    predicted: int
    precision: float
    recall: float
    #: Gold spans overlapped by a prediction of any type: redacted, even if under another label.
    covered: float


def _overlaps(a: Span, b: Span) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def score(corpus: Sequence[LabelledText], predictions: Sequence[Sequence[Span]]) -> list[EntityScore]:
    out = []
    for entity in ENTITY_TYPES:
        gold = found = covered = predicted = correct = 0
        for item, preds in zip(corpus, predictions, strict=True):
            golds = [g for g in item.spans if g[0] == entity]
            mine = [p for p in preds if p[0] == entity]
            gold += len(golds)
            found += sum(any(_overlaps(g, p) for p in mine) for g in golds)
            covered += sum(any(_overlaps(g, p) for p in preds) for g in golds)
            predicted += len(mine)
            correct += sum(any(_overlaps(p, g) for g in golds) for p in mine)
        out.append(
            EntityScore(
                entity,
                gold,
                predicted,
                correct / predicted if predicted else float("nan"),
                found / gold if gold else float("nan"),
                covered / gold if gold else float("nan"),
            )
        )
    return out
