"""Names joined to a name already found: "Arjun and Meera Mehta", "Precious and Blessing", "João Pedro dos Santos".

A first name listed with a found name is a person too, even when alone it would be too weak to count (an
ambiguous gazetteer name such as "Precious", or a lower-case one). This runs after every recogniser, on the
findings that passed their thresholds, and

- adds PERSON for a gazetteer name directly before or after a PERSON finding with "and", "&" or "or" between;
- joins two PERSON findings that only name particles separate ("João Pedro" + "dos" + "Santos Carvalho",
  "marieke" + "van 't" + "hof"), so the particle does not survive between two redacted halves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import regex
from presidio_analyzer import AnalysisExplanation, RecognizerResult

if TYPE_CHECKING:
    from streams.redact.gazetteer import NameGazetteer

__all__ = ["NameLinker"]

_PERSON = "PERSON"
_NAME = r"\p{L}[\p{L}'’-]+"
_BEFORE = regex.compile(rf"(?<![\p{{L}}\d])(?P<name>{_NAME})[ \t]+(?:and|&|or|y|e|und|et)[ \t]+$", regex.IGNORECASE)
_AFTER = regex.compile(rf"[ \t]+(?:and|&|or|y|e|und|et)[ \t]+(?P<name>{_NAME})(?![\p{{L}}\d])", regex.IGNORECASE)
_LOOK_BACK = 40
_NAME_LINKER = "NameLinker"


class NameLinker:
    """Adds the names linked to PERSON findings (module doc)."""

    def __init__(
        self, *, gazetteer: NameGazetteer, excluded: Iterable[str], particles: Iterable[str], score: float
    ) -> None:
        self._gazetteer = gazetteer
        self._excluded = frozenset(w.casefold() for w in excluded)
        self._score = score
        words = "|".join(regex.escape(p) for p in sorted({p.casefold() for p in particles}, key=len, reverse=True))
        self._particles_only = regex.compile(rf"[ \t]+(?:(?:{words}|'t|d'|l')[ \t]+)+", regex.IGNORECASE)

    def link(self, text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
        people = [r for r in results if r.entity_type == _PERSON]
        added = []
        for person in people:
            before = _BEFORE.search(text, max(0, person.start - _LOOK_BACK), person.start)
            if before and self._is_name(before.group("name")):
                added.append(self._result(before.start("name"), before.end("name")))
            after = _AFTER.match(text, person.end)
            if after and self._is_name(after.group("name")):
                added.append(self._result(after.start("name"), after.end("name")))
        ordered = sorted(people, key=lambda r: r.start)
        for left, right in zip(ordered, ordered[1:], strict=False):
            gap = self._particles_only.fullmatch(text, left.end, right.start) if left.end < right.start else None
            if gap:
                added.append(self._result(left.start, right.end))
        covered = [(r.start, r.end) for r in people]
        return results + [a for a in added if not any(s <= a.start and a.end <= e for s, e in covered)]

    def _is_name(self, word: str) -> bool:
        folded = word.casefold()
        return folded not in self._excluded and self._gazetteer.is_name(folded)

    def _result(self, start: int, end: int) -> RecognizerResult:
        return RecognizerResult(
            entity_type=_PERSON,
            start=start,
            end=end,
            score=self._score,
            analysis_explanation=AnalysisExplanation(
                recognizer=_NAME_LINKER, original_score=self._score, textual_explanation="name joined to a name"
            ),
            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: _NAME_LINKER},
        )
