"""The name gazetteer: given names and surnames of 105 countries, built once from ``names-dataset``.

spaCy's small English model misses most names that are not Anglo-American, above all in short chat lines
without an introducer ("Nikodem Mądrzak: my order…", "thanks Olusegun"). ``names-dataset`` (PyPI, MIT) holds the
most frequent first and last names per country, but loading it takes ~12 s and ~2 GB, far too much for every
analyzer process. So the lists we use are extracted once into a small JSON file under the cache directory
(``[redaction] name_gazetteer_dir``), keyed by the package versions and the extraction settings; every analyzer
process loads that file (~100 ms). ``scripts/setup.sh`` builds it; a worker that finds none builds it itself,
once, under a file lock.

Each entry is case-folded. A name whose lower-case form is an English dictionary word (``english-words``' web2
list) is *ambiguous* ("Will", "May", "Grant") unless it is one of the most frequent English-speaking names
("Peter", "Laura"); the curated collisions and exclusions of ``recognizers/name_words.py`` are applied when the
file is loaded (so editing them needs no rebuild). Ambiguous names need a second signal to count.

    .venv/bin/python -m streams.redact.gazetteer        # build (or find) the file and print its figures
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from cxpulse.errors import CxpulseError
from cxpulse.settings import RedactionSettings
from streams.redact.recognizers.name_words import AMBIGUOUS_NAMES, NOT_NAMES

__all__ = ["GazetteerError", "NameGazetteer", "build_gazetteer", "gazetteer_path", "load_gazetteer"]

log = logging.getLogger(__name__)

#: Bump when the extraction rules change: a new file is built next to the old one.
_BUILD_RULES = 2
#: One name token: letters (any script) with inner apostrophes or hyphens; the dataset also holds initials,
#: emoji and multi-word junk from its social-network source.
_TOKEN = re.compile(r"^[^\W\d_]{2,}(?:['’-][^\W\d_]+)*$")
#: English-speaking countries whose most frequent names are names first, whatever a dictionary says.
_ANGLO = ("US", "GB", "CA", "AU", "IE", "NZ")
_ANGLO_TOP = 300
_HYPHEN = re.compile(r"[-‐]")
_INFLECTIONS = ("s", "es", "ed", "d", "ing", "ly", "er", "est")


class GazetteerError(CxpulseError):
    """The gazetteer file is missing and cannot be built (``names-dataset`` or ``english-words`` missing)."""


@dataclass(frozen=True)
class NameGazetteer:
    """Case-folded first names, last names and the ambiguous ones among both."""

    first: frozenset[str]
    last: frozenset[str]
    ambiguous: frozenset[str]
    #: Lower-case English dictionary words: a lower-case word that is none of them may be a surname ("mondaini").
    english: frozenset[str]
    version: str

    def is_clear_name(self, folded: str) -> bool:
        """A name that is no English word: evidence on its own when capitalised. A hyphenated name is clear
        when each part is a name and one is clear ("karl-hermann")."""
        if (folded in self.first or folded in self.last) and folded not in self.ambiguous:
            return True
        parts = _HYPHEN.split(folded)
        return len(parts) > 1 and all(self.is_name(p) for p in parts) and any(p not in self.ambiguous for p in parts)

    def is_name(self, folded: str) -> bool:
        """In the gazetteer, ambiguous or not; a hyphenated name when each part is."""
        if folded in self.first or folded in self.last:
            return True
        parts = _HYPHEN.split(folded)
        return len(parts) > 1 and all(p in self.first or p in self.last for p in parts)

    def is_english(self, folded: str) -> bool:
        """A dictionary word, or a plain inflection of one ("lives", "moved", "waiting")."""
        if folded in self.english:
            return True
        for suffix in _INFLECTIONS:
            if folded.endswith(suffix) and len(folded) > len(suffix) + 2:
                stem = folded[: -len(suffix)]
                if stem in self.english or stem + "e" in self.english:
                    return True
        return False

    def is_first_name(self, folded: str) -> bool:
        return folded in self.first or _HYPHEN.split(folded)[0] in self.first


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


def gazetteer_path(settings: RedactionSettings) -> Path:
    """Where the gazetteer for these settings and package versions lives."""
    key = json.dumps(
        [
            _BUILD_RULES,
            settings.name_gazetteer_top_first,
            settings.name_gazetteer_top_last,
            _package_version("names-dataset"),
            _package_version("english-words"),
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return Path(settings.name_gazetteer_dir).expanduser() / f"names-{digest}.json"


def _clean(names: object) -> set[str]:
    return {n.casefold() for n in names if isinstance(n, str) and _TOKEN.match(n)}  # type: ignore[attr-defined]


def build_gazetteer(top_first: int, top_last: int) -> dict[str, list[str]]:
    """Extract the lists from ``names-dataset`` (slow, ~2 GB: run once). Returns JSON-ready lists."""
    try:
        from english_words import get_english_words_set
        from names_dataset import NameDataset
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise GazetteerError(f"cannot build the name gazetteer: {exc}") from exc
    dataset = NameDataset()
    first: set[str] = set()
    for genders in dataset.get_top_names(n=top_first, use_first_names=True).values():
        for names in genders.values():
            first |= _clean(names)
    last: set[str] = set()
    for names in dataset.get_top_names(n=top_last, use_first_names=False).values():
        last |= _clean(names)
    anglo: set[str] = set()
    for country in _ANGLO:
        for genders in dataset.get_top_names(n=_ANGLO_TOP, use_first_names=True, country_alpha2=country).values():
            for names in genders.values():
                anglo |= _clean(names)
        for names in dataset.get_top_names(n=_ANGLO_TOP, use_first_names=False, country_alpha2=country).values():
            anglo |= _clean(names)
    words = {w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()}
    ambiguous = ((first | last) & words) - anglo
    return {"first": sorted(first), "last": sorted(last), "ambiguous": sorted(ambiguous), "english": sorted(words)}


def _write_atomically(path: Path, data: dict[str, list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as tmp:
        json.dump(data, tmp, ensure_ascii=False)
    os.replace(tmp.name, path)


def _ensure_file(settings: RedactionSettings) -> Path:
    path = gazetteer_path(settings)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it right now
        if not path.exists():
            log.warning("building the name gazetteer from names-dataset (once per machine, ~20 s) path=%s", path)
            _write_atomically(
                path, build_gazetteer(settings.name_gazetteer_top_first, settings.name_gazetteer_top_last)
            )
    return path


@lru_cache(maxsize=4)
def _load(path: Path) -> NameGazetteer:
    raw = path.read_bytes()
    data = json.loads(raw)
    excluded = {w.casefold() for w in NOT_NAMES}
    first = frozenset(data["first"]) - excluded
    last = frozenset(data["last"]) - excluded
    curated = hashlib.sha256(json.dumps([sorted(AMBIGUOUS_NAMES), sorted(NOT_NAMES)]).encode()).digest()
    return NameGazetteer(
        first=first,
        last=last,
        ambiguous=(frozenset(data["ambiguous"]) | {w.casefold() for w in AMBIGUOUS_NAMES}) & (first | last),
        english=frozenset(data["english"]),
        version=hashlib.sha256(raw + curated).hexdigest()[:12],
    )


def load_gazetteer(settings: RedactionSettings) -> NameGazetteer:
    """The gazetteer for ``settings`` (built first if this machine has none). One copy per process."""
    return _load(_ensure_file(settings))


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    from cxpulse.settings import Settings

    settings = Settings().redaction
    gazetteer = load_gazetteer(settings)
    print(
        f"name gazetteer {gazetteer_path(settings)}: {len(gazetteer.first):,} first names, "
        f"{len(gazetteer.last):,} last names, {len(gazetteer.ambiguous):,} ambiguous, "
        f"{len(gazetteer.english):,} English words (version {gazetteer.version})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
