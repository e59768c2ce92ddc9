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

from typing import TYPE_CHECKING

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.prefilter import COMMON_WORDS
from streams.redact.recognizers.company import names_a_company
from streams.redact.recognizers.name_words import NOT_NAMES
from streams.redact.recognizers.street_words import CALENDAR_WORDS

if TYPE_CHECKING:  # the gazetteer module reads our word tables: import it for types only
    from streams.redact.gazetteer import NameGazetteer

__all__ = ["KnownNameRecognizer", "sentence_start"]

ENTITY = "PERSON"
_TOKEN = regex.compile(r"[\p{L}\p{M}]+(?:['’‘-][\p{L}\p{M}]+)*")
#: Between two words of one name: spaces or tabs only (a line break or punctuation ends the name).
_GAP = regex.compile(r"[ \t]+")
_JAPANESE_NAME = regex.compile(
    r"(?<![\p{Han}\p{Hiragana}\p{Katakana}])\p{Han}{1,3}[ \u3000][\p{Han}\p{Hiragana}\p{Katakana}]{1,4}"
    r"(?![\p{Han}\p{Hiragana}\p{Katakana}\d])"
)
_MAX_ACRONYM_LETTERS = 3
#: Lower-case first names shorter than this are too often words of some language ("ana", "eva", "ali").
_MIN_LOWERCASE_NAME = 4
#: A line holding only this many capitalised words, one of them a name, is a name line.
_NAME_LINE_WORDS = (2, 3)
_OPENERS = " \t\"'“‘(["
#: Weekdays and months: never a family name, even after a particle.
_CALENDAR_WORDS = frozenset(CALENDAR_WORDS)


def sentence_start(text: str, start: int) -> bool:
    """True at the start of the text, a line or a sentence ("…thanks. Will you…")."""
    before = text[:start].rstrip(_OPENERS)
    return not before or before[-1] in ".!?…:;\n"


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
    def gazetteer(self) -> NameGazetteer:
        return self._gazetteer

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
            if (
                end - 2 > start
                and run[end - 2].group().casefold() in self._particles
                and self._family_name_after_particle(run[end - 1].group().casefold())
            ):
                break  # "… van den Bosch": a family name after its particle, even a listed word
            end -= 1
        return run[start:end]

    def _family_name_after_particle(self, folded: str) -> bool:
        """A listed word ("Bosch", "Ford") after a name particle is a family name; a stop word or a calendar word
        ("Red bin Tuesday") is not."""
        return folded not in COMMON_WORDS and folded not in _CALENDAR_WORDS

    def _split_on_common(self, run: list[regex.Match[str]]) -> list[list[regex.Match[str]]]:
        """A common word inside a run ends one name and may start another ("Priya And Omar")."""
        parts: list[list[regex.Match[str]]] = [[]]
        for m in run:
            folded = m.group().casefold()
            after_particle = (
                len(parts[-1]) >= 2
                and parts[-1][-1].group().casefold() in self._particles
                and self._family_name_after_particle(folded)
            )
            if self._common_word(folded) and folded not in self._particles and not after_particle:
                parts.append([])
            else:
                # "Zoe van den Bosch": a listed word after a name and its particle is the family name
                parts[-1].append(m)
        return [self._trimmed(p) for p in parts if p]

    def _is_person(self, run: list[regex.Match[str]], text: str, run_words: int) -> bool:
        words = [m.group().casefold() for m in run if m.group().casefold() not in self._particles]
        if not words or len(words) > self._max_tokens:
            return False
        g = self._gazetteer
        if any(g.is_clear_name(w) for w in words):
            return True
        if len(words) >= 2 and g.is_first_name(words[0]) and g.is_name(words[1]):
            return True
        if _NAME_LINE_WORDS[0] <= len(words) <= _NAME_LINE_WORDS[1] and any(g.is_name(w) for w in words):
            # A line that is only a name ("Bank details:\nDemetrice Reese\nGB03 …", address blocks).
            line_start = text.rfind("\n", 0, run[0].start()) + 1
            line_end = text.find("\n", run[-1].end())
            line = text[line_start : len(text) if line_end < 0 else line_end]
            if line.strip(" \t,.") == text[run[0].start() : run[-1].end()]:
                return True
        if len(words) == 1 and run_words == 1 and g.is_name(words[0]):
            # An ambiguous name alone: a name mid-sentence ("transfer you to Jade in billing"), or a vocative
            # at the start ("Dawn, the technician…"); "Will you…", "Grant access" stay.
            if not sentence_start(text, run[0].start()):
                return True
            return text[run[-1].end() : run[-1].end() + 1] == ","
        return False

    def _lowercase_name_start(self, text: str, tokens: list[regex.Match[str]], i: int) -> bool:
        """A clear first name ("jose"), or a word that is no English word before a clear last name ("yuette
        flynn", "thorgun kaspersen")."""
        g = self._gazetteer
        first = tokens[i].group()
        folded = first.casefold()
        if not first.islower() or len(first) < _MIN_LOWERCASE_NAME or self._common_word(folded):
            return False
        if g.is_first_name(folded) and g.is_clear_name(folded):
            return True
        if i + 1 >= len(tokens) or _GAP.fullmatch(text, tokens[i].end(), tokens[i + 1].start()) is None:
            return False
        last = tokens[i + 1].group()
        lowered = last.casefold()
        return (
            last.islower()
            and (not g.is_english(folded) or g.is_first_name(folded))
            and lowered in g.last
            and g.is_clear_name(lowered)
        )

    def _lowercase_names(self, text: str) -> list[tuple[int, int]]:
        """A clear first name typed in lower case ("call jose on…", "hey its cezary sanetra"), with the lower-case
        words that follow it when they are names or no English word ("sanetra")."""
        g = self._gazetteer
        spans = []
        tokens = list(_TOKEN.finditer(text))
        i = 0
        while i < len(tokens):
            if not self._lowercase_name_start(text, tokens, i):
                i += 1
                continue
            end, j = tokens[i].end(), i + 1
            while j < len(tokens) and j - i < self._max_tokens:
                if _GAP.fullmatch(text, tokens[j - 1].end(), tokens[j].start()) is None:
                    break
                word = tokens[j].group()
                lowered = word.casefold()
                if lowered in self._particles:
                    j += 1  # "dos", "van der": part of the name only if a name follows
                    continue
                if not word.islower() or self._common_word(lowered):
                    break
                if not (g.is_name(lowered) or not g.is_english(lowered)):
                    break
                end = tokens[j].end()
                j += 1
            spans.append((tokens[i].start(), end))
            i = j
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
            # Words of the run that carry meaning ("Rose Gold": 2; "Is Mason": 1): an ambiguous name counts alone
            # only when it is the run's one such word.
            run_words = sum(m.group().casefold() not in self._particles | COMMON_WORDS for m in run)
            for part in self._split_on_common(run):
                if (
                    part
                    and self._is_person(part, text, run_words)
                    and not names_a_company(text, part[0].start(), part[-1].end())
                ):
                    results.append(self._result(part[0].start(), part[-1].end(), "name in the gazetteer"))
        for start, end in self._lowercase_names(text):
            results.append(self._result(start, end, "lower-case first name in the gazetteer"))
        for match in _JAPANESE_NAME.finditer(text):
            results.append(self._result(match.start(), match.end(), "family and given name in Japanese script"))
        return results
