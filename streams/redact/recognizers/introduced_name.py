"""Person names that chat language introduces ("my name is Kavya Banerjee", "the account is under José María").

spaCy's small model misses many names that are not Anglo-American, most of all in short chat lines; the words
before a name in contact-center chat say far more than the name itself. This recogniser finds one to four
capitalised name tokens right after an *introducer* phrase ("my name is", "this is", "under", "Mr") and
reports them as PERSON. Every phrase list is configuration (``[redaction]`` in ``cxpulse.toml``; the reasons are
in ``docs/redaction.md``). False positives are bounded by three rules:

- only *capitalised* tokens count, and only when they follow the phrase on the same line with nothing but
  spaces (or a colon) between, so a capital that merely starts a new sentence is never read as a name;
- common words (spaCy's stop words, our chat words, months, days and the configured exclusions such as
  "Order", "Thanks", brands) end the name, and a name cannot start with one ("I'm Happy to help" → nothing);
- all-capital tokens of up to three letters are acronyms ("for ATM"), not names;
- after an *acknowledgement* word ("Done", "Perfect", "Sure") a name counts only when punctuation follows it
  ("Done Kavya, ..." is a name; "Perfect Timing" is not).

Introducer words of four or more letters also match with one pair of adjacent letters swapped ("unedr",
"Thnaks"), the commonest typo, so a mistyped introducer does not let the name through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.prefilter import COMMON_WORDS
from streams.redact.recognizers.name_words import NOT_NAMES

__all__ = ["IntroducedNameRecognizer", "has_upper"]

ENTITY = "PERSON"
#: One name token: letters, with inner apostrophes or hyphens ("O'Neil", "Al-Sayed", "Jean-Luc").
_TOKEN = re.compile(r"[^\W\d_]+(?:['’‘-][^\W\d_]+)*")
#: Between name tokens: spaces or tabs only (a line break or punctuation ends the name).
_GAP = re.compile(r"[ \t]+")
#: All-capital tokens this short are acronyms ("ATM", "PIN", "VAT"), not names.
_MAX_ACRONYM_LETTERS = 3
#: After an acknowledgement word, a name must be followed by one of these (or end the text).
_ADDRESS_END = re.compile(r"[ \t]*(?:[,.!?;]|$)")
#: Words of at least this many letters also match with two adjacent letters swapped (when typos are on).
_MIN_TYPO_WORD = 4


def has_upper(text: str) -> bool:
    """Every introduced name has a capital letter; a text that lower-casing leaves unchanged has none."""
    return text != text.lower()


def _phrase_pattern(phrase: str) -> str:
    """A phrase as a regex: any run of spaces between its words, either apostrophe."""
    words = [re.escape(w).replace("'", "['’]") for w in phrase.split()]
    return r"[ \t]+".join(words)


def _with_typos(phrase: str) -> set[str]:
    """The phrase and every variant with two adjacent letters swapped in one of its longer words.

    A swap of neighbouring letters is the commonest typing error ("unedr", "Thnaks"); a typo in the introducer
    must not let the name through. Short words are left alone: their swaps are other words ("for" → "fro").
    """
    words = phrase.split()
    variants = {phrase}
    for i, word in enumerate(words):
        if len(word) < _MIN_TYPO_WORD or not word.isalpha():
            continue
        for j in range(len(word) - 1):
            swapped = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
            variants.add(" ".join([*words[:i], swapped, *words[i + 1 :]]))
    return variants


def _phrases(phrases: Iterable[str], typos: bool) -> list[str]:
    """Normalised phrases (with typo variants if asked), longest first so the regex prefers the longest."""
    cleaned = {p.strip().lower() for p in phrases if p.strip()}
    if typos:
        cleaned = {v for p in cleaned for v in _with_typos(p)}
    return sorted(cleaned, key=len, reverse=True)


class IntroducedNameRecognizer(LocalRecognizer):
    """PERSON for capitalised name tokens that follow an introducer phrase or a title (see the module doc)."""

    def __init__(
        self,
        *,
        introducers: Iterable[str],
        titles: Iterable[str],
        address_words: Iterable[str] = (),
        particles: Iterable[str],
        exclusions: Iterable[str],
        score: float,
        max_tokens: int,
        typos: bool = True,
        signoffs: Iterable[str] = (),
        name_markers: Iterable[str] = (),
        known_name: Callable[[str], bool] | None = None,
        language: str = "en",
    ) -> None:
        phrases = _phrases(introducers, typos)
        title_words = sorted({t.strip().lower().rstrip(".") for t in titles if t.strip()}, key=len, reverse=True)
        alternatives = [_phrase_pattern(p) for p in phrases] + [rf"{re.escape(t)}\.?" for t in title_words]
        # Not inside a word on the left; on the right, spaces (or a colon) and then the first name token.
        self._introducer = (
            re.compile(rf"(?<![\w'’])(?:{'|'.join(alternatives)})(?:[ \t]*:[ \t]*|[ \t]+)(?=[^\W\d_])", re.IGNORECASE)
            if alternatives
            else None
        )
        addressing = _phrases(address_words, typos)
        # Acknowledgements ("Done Kavya, ...", "Perfect Omar!") name the person only when punctuation follows.
        self._address = (
            re.compile(
                rf"(?<![\w'’])(?:{'|'.join(_phrase_pattern(a) for a in addressing)})[ \t]+(?=[^\W\d_])",
                re.IGNORECASE,
            )
            if addressing
            else None
        )
        closings = _phrases(signoffs, typos)
        # Sign-offs ("Regards,\nOlusegun", "Cheers - Tunde"): the name may follow on the next line.
        self._signoff = (
            re.compile(
                rf"(?<![\w'’])(?:{'|'.join(_phrase_pattern(c) for c in closings)})[ \t]*[,.!:;-]?[ \t]*\n?[ \t]*"
                rf"(?=[^\W\d_])",
                re.IGNORECASE,
            )
            if closings
            else None
        )
        markers = sorted({m.strip().lower() for m in name_markers if m.strip()}, key=len, reverse=True)
        # A name opening a line and then a marker ("Priya here, …", "Xochitl Quetzal: my order…").
        self._line_start = re.compile(r"(?:^|(?<=\n))[ \t]*(?=[^\W\d_])", re.MULTILINE)
        self._marker = (
            re.compile(rf"[ \t]*(?:{'|'.join(_phrase_pattern(m) for m in markers)})(?![\w])", re.IGNORECASE)
            if markers
            else None
        )
        self._known = known_name
        self._particles = frozenset(p.lower() for p in particles)
        self._excluded = COMMON_WORDS | frozenset(e.lower() for e in (*exclusions, *NOT_NAMES))
        self._score = score
        self._max_tokens = max_tokens
        super().__init__(
            supported_entities=[ENTITY], supported_language=language, name="IntroducedNameRecognizer", context=[]
        )

    def load(self) -> None:
        """Nothing to load: the patterns are compiled in ``__init__``."""

    def _is_name_token(self, token: str) -> bool:
        lowered = token.lower().replace("’", "'").replace("‘", "'")
        if not token[0].isupper():
            # Customers type names in lower case ("my name is priya"): only a clear gazetteer name counts then.
            return self._known is not None and lowered not in self._excluded and self._known(lowered)
        if lowered in self._excluded or lowered.split("'")[0] in self._excluded:
            return False
        letters = [c for c in token if c.isalpha()]
        return not (len(letters) <= _MAX_ACRONYM_LETTERS and len(letters) > 1 and token.isupper())

    def _name_end(self, text: str, start: int, *, capitalised_only: bool = False) -> int | None:
        """End of the name starting at ``start`` (``None`` if there is none): name tokens, with lower-case
        particles ("de", "van") allowed only between two of them."""
        end: int | None = None
        tokens = 0
        pos = start
        while tokens < self._max_tokens:
            match = _TOKEN.match(text, pos)
            if match is None:
                break
            token = match.group()
            if (not capitalised_only or token[0].isupper()) and self._is_name_token(token):
                end = match.end()
                tokens += 1
            elif end is None or token.lower() not in self._particles:
                break
            gap = _GAP.match(text, match.end())
            if gap is None:
                break
            pos = gap.end()
        return end

    def _starts(self, text: str) -> Iterator[tuple[re.Match[str], bool]]:
        """Introducer matches, then acknowledgement matches (the latter need punctuation after the name)."""
        if self._introducer is not None:
            for match in self._introducer.finditer(text):
                yield match, False
        if self._address is not None:
            for match in self._address.finditer(text):
                yield match, True
        if self._signoff is not None:
            for match in self._signoff.finditer(text):
                yield match, False

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """PERSON spans after each introducer in ``text``."""
        if ENTITY not in entities:
            return []
        results: list[RecognizerResult] = []
        for intro, needs_punct in self._starts(text):
            end = self._name_end(text, intro.end())
            if end is None or (needs_punct and not _ADDRESS_END.match(text, end)):
                continue
            explanation = AnalysisExplanation(
                recognizer=self.name,
                original_score=self._score,
                textual_explanation="capitalised name after an introducer phrase",
            )
            results.append(self._result(intro.end(), end, explanation))
        if self._marker is not None:
            for line in self._line_start.finditer(text):
                end = self._name_end(text, line.end(), capitalised_only=True)
                marker = self._marker.match(text, end) if end is not None else None
                if marker is not None and self._label_not_name(text[line.end() : end], marker.group()):
                    continue
                if marker is not None:
                    explanation = AnalysisExplanation(
                        recognizer=self.name,
                        original_score=self._score,
                        textual_explanation="capitalised name opening a line before a name marker",
                    )
                    results.append(self._result(line.end(), end, explanation))
        return results

    def _label_not_name(self, name: str, marker: str) -> bool:
        """ "Subject:", "Tracking:": one word before a colon is a label unless the gazetteer knows it as a name."""
        if marker.strip() != ":" or len(name.split()) > 1:
            return False
        return self._known is None or not self._known(name.lower())

    def _result(self, start: int, end: int, explanation: AnalysisExplanation) -> RecognizerResult:
        return RecognizerResult(
            entity_type=ENTITY,
            start=start,
            end=end,
            score=self._score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )
