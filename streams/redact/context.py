"""Context words lift scores exactly as Presidio's ``LemmaContextAwareEnhancer`` does, without its per-call costs.

Presidio's enhancer deep-copies every result list and looks each lemma up in the vocabulary once per result; on
chat with many findings that was a fifth of our analysis time (``docs/redaction.md`` has the profile). The rule
here is the same, step for step (``tests/unit/streams/test_redact_context.py`` compares both on every finding of
a corpus):

- a result whose recogniser has context words, and whose score no recogniser boosted already, looks at the token
  holding its start and the keywords before it: up to ``prefix_count`` + 1 *keywords* (lower-cased tokens that
  are no stop word, no punctuation and not "be", as Presidio's ``NlpArtifacts.keywords``) walking backwards,
  plus ``suffix_count`` + 1 forwards from the same token;
- if one recogniser context word is a substring of one of those keywords, the score becomes
  ``min(1, max(score + factor, min_score))``.

Results are changed in place: the analyzer builds them fresh for every text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy
from presidio_analyzer import RecognizerResult
from spacy.attrs import IDX, IS_PUNCT, IS_STOP, LENGTH, LOWER

__all__ = ["ContextBooster"]

_MAX_SCORE = 1.0
_NOT_KEYWORDS = frozenset({"-pron-", "be"})
_ATTRS = [IDX, LENGTH, IS_STOP, IS_PUNCT, LOWER]


class ContextBooster:
    """Presidio's lemma context enhancement on a spaCy ``Doc`` (defaults are Presidio's)."""

    def __init__(
        self,
        contexts: Mapping[str, Sequence[str]],
        *,
        factor: float = 0.35,
        min_score: float = 0.4,
        prefix_count: int = 5,
        suffix_count: int = 0,
    ) -> None:
        """:param contexts: recogniser id → its context words (recognisers without any are left out)."""
        self._contexts = {rid: [w.lower() for w in words] for rid, words in contexts.items() if words}
        self._factor = factor
        self._min_score = min_score
        self._prefix = prefix_count
        self._suffix = suffix_count

    def boost(self, results: list[RecognizerResult], doc: object | Callable[[], object]) -> None:
        """Lift the scores of ``results`` (found in the text of ``doc``) that have supportive context. ``doc`` may be
        a function that makes the ``Doc``: it is called only when a result has context words to look for."""
        wanted = [r for r in results if self._context_of(r) is not None]
        if not wanted:
            return
        if callable(doc):
            doc = doc()
        if not len(doc):  # type: ignore[arg-type]
            return
        keywords = _Keywords(doc)
        for result in wanted:
            context = self._context_of(result)
            assert context is not None
            index = keywords.token_at(result.start)
            if index is None:
                continue
            around = keywords.collect(index, self._prefix, -1) + keywords.collect(index, self._suffix, 1)
            if any(word in keyword for word in context for keyword in around):
                result.score = min(_MAX_SCORE, max(result.score + self._factor, self._min_score))
                if result.analysis_explanation is not None:
                    result.analysis_explanation.set_improved_score(result.score)

    def _context_of(self, result: RecognizerResult) -> list[str] | None:
        metadata = result.recognition_metadata or {}
        if metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
            return None
        return self._contexts.get(metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY, ""))


class _Keywords:
    """The keywords of a ``Doc`` read from its arrays, only where a result looks: creating a spaCy ``Token`` per
    token of every analysed text cost more than the rule itself."""

    def __init__(self, doc: object) -> None:
        self._table = doc.to_array(_ATTRS)  # type: ignore[attr-defined]
        self._ends = self._table[:, 0] + self._table[:, 1]
        self._strings = doc.vocab.strings  # type: ignore[attr-defined]
        self._cache: dict[int, str | None] = {}

    def token_at(self, offset: int) -> int | None:
        """The token holding ``offset`` (or the first after it, as Presidio's enhancer picks it)."""
        index = int(numpy.searchsorted(self._ends, offset, side="right"))
        return index if index < len(self._ends) else None

    def keyword(self, index: int) -> str | None:
        """The token's lower-cased text if it is a keyword, else None."""
        if index not in self._cache:
            _, _, is_stop, is_punct, lower_id = self._table[index]
            lower = self._strings[int(lower_id)]
            # The token's flags equal those of its lower-cased lexeme (spaCy computes both from the lower-cased
            # string). Presidio splits keywords on ":" and looks the whole token up: one with a colon never counts.
            skip = is_stop or is_punct or lower in _NOT_KEYWORDS or ":" in lower
            self._cache[index] = None if skip else lower
        return self._cache[index]

    def collect(self, index: int, count: int, step: int) -> list[str]:
        words: list[str] = []
        remaining = count + 1  # Presidio counts the entity's own token too
        i = index
        while 0 <= i < len(self._ends) and remaining > 0:
            keyword = self.keyword(i)
            if keyword is not None:
                words.append(keyword)
                remaining -= 1
            i += step
        return words
