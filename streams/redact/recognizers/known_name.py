"""Person names found by what they are, not by the words around them: the name gazetteer.

spaCy's small model misses names without an introducer ("Nikodem Mądrzak: my order…", "Regards,\\nOlusegun",
"(Jonas Schmidt)", "hi its jonas murphy here"). A gazetteer of the most frequent first and last names of 105
countries (``streams/redact/gazetteer.py``) recognises most of them wherever they stand. Rules, from the
strongest signal down:

- a run of capitalised words on one line (lower-case particles such as "van", "de", "el" allowed between
  two of them) is trimmed of common words at both ends ("Thanks Priya" → "Priya"); it is a PERSON when one of
  its words is a *clear* name (in the gazetteer and no English word: "Priya", "Mądrzak"), or when it is a first
  name followed by a last name ("Will Turner");
- two lower-case words are a PERSON when the first is a clear first name and the second a clear last name
  ("jonas murphy");
- a name written in Japanese script, family name and given name with a space between ("山田 太郎").

*Ambiguous* names ("Will", "May", "Grant": also English words) never count alone: "Will you refund it?" stays.
Common words (spaCy's stop words, the pre-filter's chat words, ``name_exclusions``) end a run, so a sentence of
capitalised UI words ("Customer Service Team") finds nothing.
"""

from __future__ import annotations

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.gazetteer import NameGazetteer
from streams.redact.prefilter import COMMON_WORDS
from streams.redact.recognizers.name_words import NOT_NAMES

__all__ = ["KnownNameRecognizer"]

ENTITY = "PERSON"
_TOKEN = regex.compile(r"[\p{L}\p{M}]+(?:['’‘-][\p{L}\p{M}]+)*")
#: Between two words of one name: spaces or tabs only (a line break or punctuation ends the name).
_GAP = regex.compile(r"[ \t]+")
_JAPANESE_NAME = regex.compile(
    r"(?<![\p{Han}\p{Hiragana}\p{Katakana}])\p{Han}{1,3}[ \u3000][\p{Han}\p{Hiragana}\p{Katakana}]{1,4}"
    r"(?![\p{Han}\p{Hiragana}\p{Katakana}\d])"
)
_MAX_ACRONYM_LETTERS = 3


class KnownNameRecognizer(LocalRecognizer):
    """PERSON for gazetteer names (module doc)."""

    def __init__(
        self,
        *,
        gazetteer: NameGazetteer,
        particles: tuple[str, ...],
        exclusions: tuple[str, ...],
        score: float,
        max_tokens: int,
        language: str = "en",
    ) -> None:
        self._gazetteer = gazetteer
        self._particles = frozenset(p.casefold() for p in particles)
        self._common = COMMON_WORDS | frozenset(e.casefold() for e in (*exclusions, *NOT_NAMES))
        self._score = score
        self._max_tokens = max_tokens
        super().__init__(
            supported_entities=[ENTITY], supported_language=language, name="KnownNameRecognizer", context=[]
        )

    def load(self) -> None:
        """Nothing to load: the gazetteer is passed in."""

    @property
    def gazetteer_version(self) -> str:
        """Part of the analyzer's model version: another gazetteer can find other names."""
        return self._gazetteer.version

    # -- token classes -------------------------------------------------------------------------------------------
    @staticmethod
    def _capitalised(token: str) -> bool:
        if not token[0].isupper():
            return False
        letters = sum(c.isalpha() for c in token)
        return not (token.isupper() and 1 < letters <= _MAX_ACRONYM_LETTERS)

    def _common_word(self, folded: str) -> bool:
        return folded in self._common or folded.split("'")[0].split("’")[0] in self._common

    # -- runs of capitalised words -------------------------------------------------------------------------------
    def _runs(self, text: str) -> list[list[regex.Match[str]]]:
        """Runs of capitalised tokens on one line, lower-case particles only between two of them."""
        runs: list[list[regex.Match[str]]] = []
        current: list[regex.Match[str]] = []
        pending: list[regex.Match[str]] = []  # particles waiting for the next capitalised token
        last_end = -1
        for match in _TOKEN.finditer(text):
            token = match.group()
            adjacent = last_end >= 0 and _GAP.fullmatch(text, last_end, match.start()) is not None
            if not adjacent:
                if current:
                    runs.append(current)
                current, pending = [], []
            if self._capitalised(token):
                current.extend(pending)
                current.append(match)
                pending = []
            elif current and token.casefold() in self._particles:
                pending.append(match)
            else:
                if current:
                    runs.append(current)
                current, pending = [], []
            last_end = match.end()
        if current:
            runs.append(current)
        return runs

    def _trimmed(self, run: list[regex.Match[str]]) -> list[regex.Match[str]]:
        def droppable(m: regex.Match[str]) -> bool:
            folded = m.group().casefold()
            return self._common_word(folded) or folded in self._particles

        start, end = 0, len(run)
        while start < end and droppable(run[start]):
            start += 1
        while end > start and droppable(run[end - 1]):
            end -= 1
        return run[start:end]

    def _split_on_common(self, run: list[regex.Match[str]]) -> list[list[regex.Match[str]]]:
        """A common word inside a run ends one name and may start another ("Priya And Omar")."""
        parts: list[list[regex.Match[str]]] = [[]]
        for m in run:
            folded = m.group().casefold()
            if self._common_word(folded) and folded not in self._particles:
                parts.append([])
            else:
                parts[-1].append(m)
        return [self._trimmed(p) for p in parts if p]

    def _is_person(self, run: list[regex.Match[str]]) -> bool:
        words = [m.group().casefold() for m in run if m.group().casefold() not in self._particles]
        if not words or len(words) > self._max_tokens:
            return False
        g = self._gazetteer
        if any(g.is_clear_name(w) for w in words):
            return True
        return len(words) >= 2 and words[0] in g.first and words[1] in g.last

    def _lowercase_pairs(self, text: str) -> list[tuple[int, int]]:
        g = self._gazetteer
        spans = []
        tokens = list(_TOKEN.finditer(text))
        for a, b in zip(tokens, tokens[1:], strict=False):
            first, last = a.group(), b.group()
            if not (first.islower() and last.islower()):
                continue
            if _GAP.fullmatch(text, a.end(), b.start()) is None:
                continue
            if self._common_word(first) or self._common_word(last):
                continue
            if first in g.first and g.is_clear_name(first) and last in g.last and g.is_clear_name(last):
                spans.append((a.start(), b.end()))
        return spans

    def _result(self, start: int, end: int, why: str) -> RecognizerResult:
        return RecognizerResult(
            entity_type=ENTITY,
            start=start,
            end=end,
            score=self._score,
            analysis_explanation=AnalysisExplanation(
                recognizer=self.name, original_score=self._score, textual_explanation=why
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        results = []
        for run in self._runs(text):
            for part in self._split_on_common(run):
                if part and self._is_person(part):
                    results.append(self._result(part[0].start(), part[-1].end(), "name in the gazetteer"))
        for start, end in self._lowercase_pairs(text):
            results.append(self._result(start, end, "lower-case first and last name in the gazetteer"))
        for match in _JAPANESE_NAME.finditer(text):
            results.append(self._result(match.start(), match.end(), "family and given name in Japanese script"))
        return results
