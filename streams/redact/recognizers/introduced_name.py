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
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.prefilter import COMMON_WORDS
from streams.redact.recognizers.company import names_a_company
from streams.redact.recognizers.name_words import NOT_NAMES

if TYPE_CHECKING:  # the gazetteer module reads our word tables: import it for types only
    from streams.redact.gazetteer import NameGazetteer

__all__ = ["IntroducedNameRecognizer", "has_upper"]

ENTITY = "PERSON"
#: One name token: letters, with inner apostrophes or hyphens ("O'Neil", "Al-Sayed", "Jean-Luc").
#: Letters with their combining marks: Thai, Devanagari and Vietnamese write vowels and tones as marks.
_TOKEN = regex.compile(r"\p{L}[\p{L}\p{M}]*(?:['’‘-]\p{L}[\p{L}\p{M}]*)*")
#: Between name tokens: spaces or tabs only (a line break or punctuation ends the name).
_GAP = re.compile(r"[ \t]+")
#: All-capital tokens this short are acronyms ("ATM", "PIN", "VAT"), not names.
_MAX_ACRONYM_LETTERS = 3
#: After an acknowledgement word, a name must be followed by one of these (or end the text).
_ADDRESS_END = re.compile(r"[ \t]*(?:[,.!?;]|$)")
#: Words of at least this many letters also match with two adjacent letters swapped (when typos are on).
_MIN_TYPO_WORD = 4
#: Lower-case words shorter than this are not read as names after an introducer ("for el", "hi ok").
_MIN_LOWERCASE_NAME = 3
#: Labels inside a name ("Thu" in "Nguyễn Thị Thu Hà") are abbreviations: this short at most.
_MAX_BRIDGED_LETTERS = 4
_NOT_NAMES = frozenset(NOT_NAMES)
#: "is" between an introducer and the name, in the introducers' languages ("tên là", "nama saya adalah").
_COPULA = re.compile(r"(?:is|es|est|ist|é|là|la|adalah|ay)[ \t]+(?=[^\W\d_])", re.IGNORECASE)
#: A "name" of one letter is an initial or a currency sign's letter ("from R$ 59,90"), not enough to redact.
_MIN_NAME_LETTERS = 2
_VOCATIVE = re.compile(r",[ \t]+(?=[^\W\d_])")
#: "Surname, Given name:" opening a line (forms, CRM exports): the comma between the two parts of one name.
_REVERSED_NAME_COMMA = re.compile(r",[ \t]*")


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _caseless(token: str) -> bool:
    """A word of a script without capitals (kana, Han, Hangul, Thai...)."""
    first = token[0]
    return first.isalpha() and not first.isupper() and not first.islower()


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


def _trie(phrases: Iterable[str]) -> str:
    """One regex for many phrases, factored by their common prefixes ("thank you|thanks|thx" → "th(?:ank…|x)").

    Python's ``re`` tries every alternative of a flat alternation at every position; with the typo variants
    there are close to a thousand, so the introducer scan was a tenth of all analysis time. A prefix tree
    matches the same phrases in one pass per position. Longer phrases still win: every branch is greedy and a
    phrase that ends where a longer one goes on becomes an optional tail.
    """
    root: dict[str, dict] = {}
    for phrase in phrases:
        node = root
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        ends_here = "" in node
        branches = [_char_pattern(c) + emit(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends_here else body

    return emit(root)


def _char_pattern(char: str) -> str:
    if char == " ":
        return r"[ \t]+"
    if char in "'’":
        return "['’]"
    return re.escape(char)


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
        gazetteer: NameGazetteer | None = None,
        language: str = "en",
    ) -> None:
        phrases = _phrases(introducers, typos)
        title_words = sorted({t.strip().lower().rstrip(".") for t in titles if t.strip()}, key=len, reverse=True)
        alternatives = [_trie([*phrases, *title_words])] if phrases or title_words else []
        # Not inside a word on the left; on the right, spaces (or a colon) and then the first name token.
        self._introducer = (
            re.compile(
                rf"(?<![\w'’])(?:{'|'.join(alternatives)})\.?(?:[ \t]*[:,][ \t]*|[ \t]+)(?=[^\W\d_])", re.IGNORECASE
            )
            if alternatives
            else None
        )
        addressing = _phrases(address_words, typos)
        # Acknowledgements ("Done Kavya, ...", "Perfect Omar!") name the person only when punctuation follows.
        self._address = (
            re.compile(
                rf"(?<![\w'’])(?:{_trie(addressing)})[ \t]+(?=[^\W\d_])",
                re.IGNORECASE,
            )
            if addressing
            else None
        )
        closings = _phrases(signoffs, typos)
        # Sign-offs ("Regards,\nOlusegun", "Cheers - Tunde"): the name may follow on the next line.
        self._signoff = (
            re.compile(
                rf"(?<![\w'’])(?:{_trie(closings)})"
                rf"(?:[ \t]*[,.!:;،，、。-][ \t]*\n?[ \t]*|[ \t]*\n[ \t]*|[ \t]+)(?=[^\W\d_])",
                re.IGNORECASE,
            )
            if closings
            else None
        )
        markers = sorted({m.strip().lower() for m in name_markers if m.strip()}, key=len, reverse=True)
        # A name opening a line and then a marker ("Priya here, …", "Xochitl Quetzal: my order…").
        self._line_start = re.compile(r"(?:^|(?<=[\n,.!?;]))[ \t]*(?=[^\W\d_])", re.MULTILINE)
        self._marker = (
            re.compile(
                rf"[ \t]*(?:(?:{'|'.join(_phrase_pattern(m) for m in markers)})(?![\w])|\((?=[ \t]*[+\d(]))",
                re.IGNORECASE,
            )
            if markers
            else None
        )
        self._gazetteer = gazetteer
        self._particles = frozenset(p.lower() for p in particles)
        self._excluded = COMMON_WORDS | frozenset(e.lower() for e in (*exclusions, *NOT_NAMES, *title_words))
        self._score = score
        self._max_tokens = max_tokens
        super().__init__(
            supported_entities=[ENTITY], supported_language=language, name="IntroducedNameRecognizer", context=[]
        )

    def load(self) -> None:
        """Nothing to load: the patterns are compiled in ``__init__``."""

    def _is_name_token(self, token: str) -> bool:
        lowered = token.lower().replace("’", "'").replace("‘", "'")
        if _caseless(token):
            # Japanese, Chinese, Korean, Thai names: scripts without capitals ("Hi ヒデ", "name is 石山"); a
            # listed particle ends them (Thai "ค่ะ": no spaces between words there).
            return lowered not in self._excluded
        if not token[0].isupper():
            # Customers type names in lower case ("my name is priya mondaini", "best,\nvesuvio"): after an
            # introducer, a gazetteer name or a word that is no English word.
            g = self._gazetteer
            if g is None or lowered in self._excluded or len(lowered) < _MIN_LOWERCASE_NAME:
                return False
            return g.is_name(lowered) or not g.is_english(lowered)
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
        leading_particles = False
        particle_after_name = False  # "Zoe van den …": the capitalised word after the particles is the surname
        while tokens < self._max_tokens:
            match = _TOKEN.match(text, pos)
            if match is None:
                break
            token = match.group()
            capital_ok = not capitalised_only or token[0].isupper() or _caseless(token)
            if leading_particles and end is None and not (token[0].isupper() or _caseless(token)):
                capital_ok = False  # "Mevr. ten Harckel": particles may open a name only before a capital
            after_particle = particle_after_name and token[:1].isupper()
            if capital_ok and (
                self._is_name_token(token) or self._bridged(text, token, match.end(), end) or after_particle
            ):
                end = match.end()
                tokens += 1
                particle_after_name = False
            elif token.lower() in self._particles and (end is not None or tokens == 0):
                leading_particles = leading_particles or end is None
                particle_after_name = end is not None
            else:
                break
            gap = _GAP.match(text, match.end())
            if gap is None:
                break
            pos = gap.end()
        return end

    def _bridged(self, text: str, token: str, token_end: int, name_end: int | None) -> bool:
        """A short capitalised word that is a label elsewhere ("Thu" for Thursday) between two words of one name
        is part of it: "Nguyễn Thị Thu Hà"."""
        if name_end is None or not token[0].isupper() or len(token) > _MAX_BRIDGED_LETTERS:
            return False
        if token.lower() not in _NOT_NAMES:
            return False
        following = _GAP.match(text, token_end)
        after = _TOKEN.match(text, following.end()) if following is not None else None
        return after is not None and after.group()[0].isupper() and self._is_name_token(after.group())

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
        # A vocative closing a clause ("Thanks for holding, Thorger.", "Sorry about that, Kavya!").
        for match in _VOCATIVE.finditer(text):
            yield match, True

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """PERSON spans after each introducer in ``text``."""
        if ENTITY not in entities:
            return []
        results: list[RecognizerResult] = []
        for intro, needs_punct in self._starts(text):
            start = intro.end()
            end = self._name_end(text, start)
            copula = _COPULA.match(text, start) if end is None else None
            if copula is not None:  # "em tên là Thu Hà": the shorter introducer "em tên" matched first
                start = copula.end()
                # Capitalised only: "soy la encargada" (Spanish "la" is also an article) names nobody.
                end = self._name_end(text, start, capitalised_only=True)
            if end is None or (needs_punct and not _ADDRESS_END.match(text, end)):
                continue
            if names_a_company(text, start, end):
                continue
            explanation = AnalysisExplanation(
                recognizer=self.name,
                original_score=self._score,
                textual_explanation="capitalised name after an introducer phrase",
            )
            if _letters(text[start:end]) >= _MIN_NAME_LETTERS:
                results.append(self._result(start, end, explanation))
        if self._marker is not None:
            for line in self._line_start.finditer(text):
                end = self._name_end(text, line.end(), capitalised_only=True)
                marker = self._marker.match(text, end) if end is not None else None
                if end is not None and marker is None:
                    end, marker = self._reversed_name(text, end)
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

    def _reversed_name(self, text: str, end: int) -> tuple[int, re.Match[str] | None]:
        """ "Geessink, Samuël: …": a second name after a comma, then a marker, extends the name over both."""
        comma = _REVERSED_NAME_COMMA.match(text, end)
        if comma is None or not text[end : end + 1] == ",":
            return end, None
        second = self._name_end(text, comma.end(), capitalised_only=True)
        marker = self._marker.match(text, second) if second is not None and self._marker is not None else None
        if second is None or marker is None or marker.group().strip() != ":":
            return end, None
        return second, marker

    def _label_not_name(self, name: str, marker: str) -> bool:
        """ "Subject:", "Tracking:", "Help!": one word before a colon or "!" is a label or an exclamation unless
        the gazetteer knows it as a name ("Leonia!! why is…")."""
        if marker.strip() not in (":", "!") or len(name.split()) > 1 or _caseless(name):
            return False
        return self._gazetteer is None or not self._gazetteer.is_name(name.lower())

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
