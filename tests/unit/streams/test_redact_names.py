"""Person names: the gazetteer, the positions names take in chat, and the words that only look like names.

Examples are ours; ``bench/redaction_quality.py`` measures the same rules on corpora we did not write.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import streams.redact  # noqa: F401 - offline Presidio settings
from cxpulse.settings import Settings
from streams.redact.analyzer import FastAnalyzer
from streams.redact.gazetteer import NameGazetteer, _load
from streams.redact.recognizers.company import names_a_company
from streams.redact.recognizers.known_name import KnownNameRecognizer, sentence_start


@pytest.fixture(scope="module")
def analyzer() -> FastAnalyzer:
    return FastAnalyzer(Settings().redaction)


def persons(analyzer: FastAnalyzer, text: str) -> set[str]:
    return {text[f.start : f.end] for f in analyzer.analyze_batch([text])[0] if f.entity_type == "PERSON"}


def redacted(analyzer: FastAnalyzer, text: str) -> str:
    findings = sorted(analyzer.analyze_batch([text])[0], key=lambda f: f.start, reverse=True)
    for f in findings:
        text = text[: f.start] + "#" + text[f.end :]
    return text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Nikodem Mądrzak: my order hasn't arrived", "Nikodem Mądrzak"),
        ("Regards,\nOlusegun Adeyemi", "Olusegun Adeyemi"),
        ("Priya here, can you help?", "Priya"),
        ("hi its jonas murphy here", "jonas murphy"),
        ("hey its cezary sanetra, wheres my parcel", "cezary sanetra"),
        ("my name is priya", "priya"),
        ("Is Kwame available?", "Kwame"),
        ("I'll transfer you to Jade in billing", "Jade"),
        ("Dawn, the technician will arrive at 3", "Dawn"),
        ("Dear Mevr. ten Harckel, thank you", "ten Harckel"),
        ("Geessink, Samuël: policy holder since 2025", "Geessink, Samuël"),
        ("Celesta ((891) 837-9705)", "Celesta"),
        ("Hi ヒデ, 長子 here from the billing team.", "長子"),
        ("Thanks for holding, Thorger. Someone will take over.", "Thorger"),
        ("Bank details:\nDemetrice Reese\nGB03 PPER 3190 0953 7881 85", "Demetrice Reese"),
        ("Hallo, hier ist Karl-Hermann Hornich.", "Karl-Hermann Hornich"),
    ],
)
def test_names_in_the_positions_chat_puts_them(analyzer: FastAnalyzer, text: str, name: str) -> None:
    out = redacted(analyzer, text)
    assert all(part not in out for part in name.replace(",", " ").split() if len(part) > 2), out


@pytest.mark.parametrize(
    "text",
    [
        "Will you refund it?",
        "May I ask a question?",
        "Grant access please",
        "Mark it resolved",
        "Rose Gold iPhone 15",
        "Customer Service Team",
        "Jack is broken on the iPhone",
        "Hazel eyeshadow palette is out of stock",
        "Reminder: your appointment is on 5 Jun at 8pm.",
        "hey its jeremy, wheres my parcel CO808636430GB",
        "Ask for reception at Scott LLC",
        "this is Mai from 株式会社福田水産",
        "The Apple Watch is broken",
        "monthly fee went from R$ 59,90 to R$ 79,90",
    ],
)
def test_words_that_only_look_like_names(analyzer: FastAnalyzer, text: str) -> None:
    unwanted = {"Will", "May", "Grant", "Mark", "Rose", "Customer", "Jack", "Hazel", "Jun", "GB", "CO808636430GB"}
    unwanted |= {"Scott LLC", "Scott", "株式会社福田水産", "oken", "R"}
    assert not persons(analyzer, text) & unwanted


def test_company_designators_are_case_sensitive() -> None:
    assert names_a_company("Scott LLC, 12 Main St", 0, 5)
    assert names_a_company("Herrera and Sons charged me", 0, 7)
    assert not names_a_company("Kavya as well", 0, 5)


@pytest.mark.parametrize(
    ("text", "index", "expected"),
    [("Will you", 0, True), ("thanks. Will you", 8, True), ("tell Will", 5, False), ("a\nWill", 2, True)],
)
def test_sentence_start(text: str, index: int, expected: bool) -> None:
    assert sentence_start(text, index) is expected


def _gazetteer(tmp_path: Path) -> NameGazetteer:
    path = tmp_path / "names.json"
    data = {"first": ["jonas", "will", "karl", "hermann"], "last": ["murphy", "smith"], "ambiguous": ["will"]}
    path.write_text(json.dumps({**data, "english": ["will", "smith", "live", "move"]}))
    return _load(path)


def test_gazetteer_classes(tmp_path: Path) -> None:
    g = _gazetteer(tmp_path)
    assert g.is_clear_name("jonas") and not g.is_clear_name("will") and g.is_name("will")
    assert g.is_clear_name("karl-hermann"), "a hyphenated name of known parts"
    assert "smith" in g.ambiguous, "curated collisions are applied at load time"
    assert g.is_english("lives") and g.is_english("moved") and not g.is_english("mondaini")


def test_known_name_rules_with_a_small_gazetteer(tmp_path: Path) -> None:
    recognizer = KnownNameRecognizer(
        gazetteer=_gazetteer(tmp_path), particles=("van",), exclusions=(), score=0.6, max_tokens=4
    )

    def found(text: str) -> list[str]:
        return [text[r.start : r.end] for r in recognizer.analyze(text, ["PERSON"])]

    assert found("ask Jonas about it") == ["Jonas"]
    assert found("Will Smith called") == ["Will Smith"], "first + last name, both ambiguous"
    assert found("Will you call?") == []
    assert found("tell Will the news") == ["Will"], "an ambiguous name alone mid-sentence"
    assert found("hi its jonas mondaini here") == ["jonas mondaini"], "lower case: a clear first name + no English word"
    assert found("jonas lives here") == ["jonas"], "an inflected English word ends the name"
