"""Which texts need spaCy's NER at all: the cheap test that lets most chat messages skip the model.

A text made only of stop words and common chat words ("ok thanks", "yes please", "Can you help?") cannot name
a person or a place, so it skips the model. Capitalisation is not used: spaCy tags lower-case names too. The
rule is measured: ``bench/redaction_quality.py`` shows recall per entity against Presidio's default on the labelled
corpus, and ``ner_prefilter = false`` turns the filter off.
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

__all__ = ["COMMON_WORDS", "needs_ner"]

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
#: Words that start chat sentences but are never names or places on their own.
_CHAT_WORDS = frozenset({
    "hi", "hello", "hey", "thanks", "thank", "ok", "okay", "yes", "yeah", "yep", "nope", "sorry", "sure", "great",
    "good", "morning", "afternoon", "evening", "order", "refund", "package", "help", "still", "just", "perfect",
    "awesome", "cool", "bye", "welcome", "hmm", "dear", "let", "got", "need", "want", "tried", "nothing",
    "anything", "also", "wait", "one", "appreciate", "done", "tracking", "cancel", "status", "update", "hold",
    "right", "fine", "understood", "totally", "absolutely", "sounds", "lol", "pls", "plz", "thx", "ty", "np",
    "is", "are", "it's", "that's", "there's", "what's", "i'm", "i've", "i'll", "i'd", "can't", "don't",
    "doesn't", "won't", "didn't", "isn't", "it", "my", "no", "not", "any", "when", "where", "why", "how", "what",
})
COMMON_WORDS = frozenset(w.lower() for w in STOP_WORDS) | _CHAT_WORDS


def needs_ner(text: str) -> bool:
    """True unless every word of ``text`` is a common word (case-insensitive).

    Case alone is no proof: spaCy tags lower-case names ("hi its jonas murphy here") as PERSON, so a word that
    is not a stop word or a common chat word sends the text to the model whatever its case.
    """
    for match in _WORD.finditer(text):
        lowered = match.group().lower().replace("’", "'")
        if lowered not in COMMON_WORDS and lowered.split("'")[0] not in COMMON_WORDS:
            return True
    return False
