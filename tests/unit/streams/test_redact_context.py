"""Our context booster gives exactly the scores of Presidio's ``LemmaContextAwareEnhancer``."""

from __future__ import annotations

import copy

import streams.redact  # noqa: F401 - offline Presidio settings
from bench.redaction_corpus import generate_corpus
from cxpulse.settings import Settings
from streams.redact.analyzer import FastAnalyzer


def test_booster_matches_presidios_enhancer_on_every_finding() -> None:
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
    from presidio_analyzer.nlp_engine import NlpArtifacts

    analyzer = FastAnalyzer(Settings().redaction)
    enhancer = LemmaContextAwareEnhancer()
    recognizers = [g.recognizer for g in analyzer._recognizers]  # noqa: SLF001 - the analyzer's own recognisers
    texts = [c.text for c in generate_corpus(600, 3)]
    texts += ["call me: 0115550123", "my tel:4155550123 please", "ship to 12 baker street", "dob 03/04/1981"]
    compared = boosted = 0
    for text, doc in zip(texts, analyzer._nlp.pipe(texts), strict=True):  # noqa: SLF001
        light = analyzer._artifacts(doc)  # noqa: SLF001
        artifacts = NlpArtifacts(
            entities=light.entities,
            tokens=doc,
            tokens_indices=[t.idx for t in doc],
            lemmas=[t.lower_ for t in doc],  # lower-cased tokens in place of lemmas, as the booster reads them
            nlp_engine=analyzer._engine,  # noqa: SLF001 - Presidio's keywords need the engine
            language="en",
            scores=light.scores,
        )
        raw = []
        for g in analyzer._recognizers:  # noqa: SLF001
            raw.extend(g.recognizer.analyze(text=text, entities=analyzer._wanted[id(g)], nlp_artifacts=artifacts))  # noqa: SLF001
        theirs = enhancer.enhance_using_context(text, copy.deepcopy(raw), artifacts, recognizers)
        ours = copy.deepcopy(raw)
        analyzer._booster.boost(ours, doc)  # noqa: SLF001
        assert [(r.entity_type, r.start, r.end, r.score) for r in ours] == [
            (r.entity_type, r.start, r.end, r.score) for r in theirs
        ], text
        compared += len(raw)
        boosted += sum(a.score != b.score for a, b in zip(raw, ours, strict=True))
    assert compared > 500 and boosted > 50, "the comparison must cover boosted and unboosted findings"
