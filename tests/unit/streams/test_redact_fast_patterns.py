"""Our pattern loop returns exactly what Presidio's ``PatternRecognizer.analyze`` returns, result by result."""

from __future__ import annotations

import streams.redact  # noqa: F401 - offline Presidio settings
from bench.corpora import load
from cxpulse.settings import Settings
from streams.redact.fast_patterns import has_plain_pattern_loop, pattern_results
from streams.redact.recognizers import build_recognizers


def _key(results: list) -> list[tuple[str, int, int, float]]:
    return sorted((r.entity_type, r.start, r.end, r.score) for r in results)


def test_fast_loop_equals_presidios_loop_on_every_text_of_two_corpora() -> None:
    settings = Settings().redaction
    recognizers = [g.recognizer for g in build_recognizers(settings) if has_plain_pattern_loop(g.recognizer)]
    assert {type(r).__name__ for r in recognizers} >= {"CreditCardRecognizer", "UsSsnRecognizer", "IpRecognizer"}
    texts = [i.text for name in ("faker", "mimesis") for i in load(name, 400, 11)]
    texts += ["4111 1111 1111 1111", "ssn 078-05-1120", "10.0.0.1 and ::1", "born 03/04/1981", ""]
    found = 0
    for recognizer in recognizers:
        for text in texts:
            theirs = recognizer.analyze(text, recognizer.supported_entities)
            assert _key(pattern_results(recognizer, text)) == _key(theirs), (type(recognizer).__name__, text)
            found += len(theirs)
    assert found > 100, "the comparison must cover texts where the recognisers find something"


def test_recognisers_with_their_own_analyze_keep_it() -> None:
    kinds = {
        type(g.recognizer).__name__: has_plain_pattern_loop(g.recognizer)
        for g in build_recognizers(Settings().redaction)
    }
    assert kinds["IbanRecognizer"] is False  # Presidio's IBAN recogniser has its own loop with group fallback
    assert kinds["StreetAddressRecognizer"] is False
