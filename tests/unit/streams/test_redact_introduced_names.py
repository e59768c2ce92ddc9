"""Introduced names: the recogniser's rules, and the simulator's names as a canary set for the whole engine.

The canary test renders every simulator line that holds a customer's name with many seeded personas (the
simulator's own ``NAMES`` lists, all cultures) and redacts it with the real engine and model: no name of the
persona may survive. It is the unit-level form of the e2e transcript check that found "Kavya Banerjee".
"""

from __future__ import annotations

import dataclasses
import random
import re
import string
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cxpulse import simulate
from cxpulse.settings import RedactionSettings, Settings
from schemas.events import AuthorRole, ConversationEvent, EventType
from streams.redact.engine import RedactionError, Redactor
from streams.redact.recognizers import build_recognizers
from streams.redact.recognizers.introduced_name import IntroducedNameRecognizer

#: Personas drawn per template (the persona's culture, given and family name all vary with the seed).
SEEDS = 60
NAME_SLOTS = frozenset({"name", "first"})
#: A fixed agent whose first name ("Sam") is not in the simulator's customer name lists.
AGENT = "sam.okoye"


def _recognizer(settings: RedactionSettings | None = None) -> IntroducedNameRecognizer:
    s = settings or Settings().redaction
    return IntroducedNameRecognizer(
        introducers=s.name_introducers,
        titles=s.name_titles,
        address_words=s.name_address_words,
        particles=s.name_particles,
        exclusions=s.name_exclusions,
        score=s.introduced_name_score,
        max_tokens=s.name_max_tokens,
        typos=s.name_introducer_typos,
    )


def _names(text: str) -> list[str]:
    return [text[r.start : r.end] for r in _recognizer().analyze(text, ["PERSON"])]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("the account is under Kavya Banerjee", ["Kavya Banerjee"]),
        ("my name is José María, thanks", ["José María"]),
        ("this is O'Neil from the shop", ["O'Neil"]),
        ("please ask for María de la Cruz", ["María de la Cruz"]),
        ("Dr. Al-Sayed will call", ["Al-Sayed"]),
        ("I’m Łukasz Wiśniewski", ["Łukasz Wiśniewski"]),
        ("name is: Chinedu Okafor", ["Chinedu Okafor"]),
        ("this is Anna Maria Lena Sofia Weber", ["Anna Maria Lena Sofia"]),  # at most name_max_tokens
        ("Done Kavya, the invoice is on its way", ["Kavya"]),
        ("Perfect Omar!", ["Omar"]),
        ("the account is unedr Alejandro Castillo", ["Alejandro Castillo"]),  # a swapped-letter typo
    ],
)
def test_names_after_introducers_are_found(text: str, names: list[str]) -> None:
    assert _names(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "I'm happy to help",
        "I'm Happy to help",  # a capitalised adjective is no name
        "the invoice for April",
        "see you Monday, this is Order 55",
        "Hi Team, thanks",
        "this is for ATM withdrawals",  # short all-capital tokens are acronyms
        "my name is\nSure",  # a name never continues on the next line
        "this is. Thanks",  # a capital after a sentence end is no name signal
        "thunder Kavya",  # the introducer must be a whole word ("under" inside "thunder")
        "under kavya banerjee",  # lower case: left to spaCy
        "Perfect Timing for the delivery",  # after an acknowledgement, only a name followed by punctuation
    ],
)
def test_common_words_and_sentence_starts_are_not_names(text: str) -> None:
    assert _names(text) == []


def test_configured_lists_change_what_is_found() -> None:
    base = Settings().redaction
    custom = base.model_copy(update={"name_introducers": ("customer",), "name_exclusions": ("kavya",)})
    assert _names("customer Priya Sharma") == []
    recognizer = _recognizer(custom)
    assert [("customer Priya Sharma")[r.start : r.end] for r in recognizer.analyze("customer Priya Sharma", ["PERSON"])]
    assert recognizer.analyze("customer Kavya", ["PERSON"]) == []


def test_empty_phrase_lists_switch_the_recogniser_off() -> None:
    off = Settings().redaction.model_copy(update={"name_introducers": (), "name_titles": (), "name_address_words": ()})
    assert not [g for g in build_recognizers(off) if isinstance(g.recognizer, IntroducedNameRecognizer)]
    assert [g for g in build_recognizers(Settings().redaction) if isinstance(g.recognizer, IntroducedNameRecognizer)]


def test_score_below_the_person_threshold_is_rejected() -> None:
    with pytest.raises(ValueError, match="PERSON threshold"):
        RedactionSettings(introduced_name_score=0.2, score_threshold=0.35)


# -- the simulator's names as a canary set ------------------------------------------------------------------


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _strings(v)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _strings(getattr(value, field.name))


def _name_templates() -> list[str]:
    """Every simulator line with a customer-name slot, found in the module's line tables (not listed by hand)."""
    found: set[str] = set()
    for table in (simulate.INTENTS, simulate.AGENT_LINES, simulate.BOT_LINES, simulate.CUSTOMER_SMALL_TALK):
        for text in _strings(table):
            try:
                slots = {slot for _, slot, _, _ in string.Formatter().parse(text) if slot}
            except ValueError:
                continue
            if slots & NAME_SLOTS:
                found.add(text)
    return sorted(found)


TEMPLATES = _name_templates()


def test_the_canary_set_is_not_empty() -> None:
    assert len(TEMPLATES) >= 5, TEMPLATES


def _event(body: str, n: int) -> ConversationEvent:
    return ConversationEvent(
        event_id=f"e{n}",
        event_type=EventType.MESSAGE_ADDED,
        account_sid="AC" + "0" * 32,
        conversation_sid="CH" + "1" * 32,
        message_sid="IM" + f"{n:032x}",
        author="+14155550123",
        author_role=AuthorRole.CUSTOMER,
        body=body,
        attributes={},
        occurred_at=datetime(2026, 11, 25, tzinfo=UTC),
    )


def _rendered(template: str) -> list[tuple[str, list[str]]]:
    """The line for ``SEEDS`` personas (and, as the simulator's edits do, once with a typo): text, name parts."""
    out = []
    for seed in range(SEEDS):
        rng = random.Random(seed)
        persona = simulate._Persona(rng, rng.choice(("sms", "whatsapp", "chat")))  # noqa: SLF001
        body, pii = simulate._render(template, persona, AGENT)  # noqa: SLF001
        names = [persona.first, *persona.name.split(" ")]
        if seed % 2:
            body = simulate._typo(rng, body, pii)  # noqa: SLF001
        out.append((body, sorted(set(names))))
    return out


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(Settings().redaction)


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_simulated_name_survives_redaction(redactor: Redactor, template: str) -> None:
    cases = _rendered(template)
    results = redactor.redact_many([_event(body, n) for n, (body, _) in enumerate(cases)])
    leaks = []
    for (body, names), result in zip(cases, results, strict=True):
        assert not isinstance(result, RedactionError), result
        redacted = result.event.body or ""
        survived = [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", redacted)]
        if survived:
            leaks.append((body, redacted, survived))
    assert not leaks, f"{len(leaks)} of {len(cases)} renderings leak a name, e.g. {leaks[:3]}"
