"""Which texts need spaCy's NER at all: the cheap test that lets most chat messages skip the model.

A text made only of stop words and common chat words ("ok thanks", "yes please", "Can you help?") cannot name
a person or a place, so it skips the model. Three exceptions keep the rule safe, each found by running the model
over every common word in every case form in name/place frames (``tests/unit/streams/test_redact_prefilter.py``
repeats that check):

- *homographs*: common words that are also names or places ("us" → US, "will" → Will, "may" → May, "ty" → Ty)
  are never common;
- *all capitals*: a word of two or more capital letters is never common ("US", "OK" → Oklahoma, "IN", "CA"),
  but for a few support acronyms the model check clears ("DOB", "SMS", "IPv6");
- *capitalised mid-sentence*: a common word with a capital initial counts as common only where a sentence
  starts ("Thanks, Hello" goes to the model; "Hello, can you help?" does not).

Lower case alone is no proof the other way: spaCy tags lower-case names ("hi its jonas murphy here") as PERSON,
so any word that is not common sends the text to the model whatever its case. The rule is measured too:
``bench/redaction_quality.py`` shows recall per entity against Presidio's default on the labelled corpus, and
``ner_prefilter = false`` turns the filter off.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.lang.en.stop_words import STOP_WORDS

__all__ = ["COMMON_WORDS", "NAME_HOMOGRAPHS", "needs_ner"]

_WORD = re.compile(r"[^\W\d_][\w'’‘-]*")
#: A sentence starts at the beginning of the text, or after a ``.``/``!``/``?``/``…`` between two words.
_SENTENCE_END = re.compile(r"[.!?…]")
#: Words that start chat sentences but are never names or places on their own.
_CHAT_WORDS = frozenset(
    {
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "ok",
        "okay",
        "yes",
        "yeah",
        "yep",
        "nope",
        "sorry",
        "sure",
        "great",
        "good",
        "morning",
        "afternoon",
        "evening",
        "order",
        "refund",
        "package",
        "help",
        "still",
        "just",
        "perfect",
        "awesome",
        "cool",
        "bye",
        "welcome",
        "hmm",
        "dear",
        "let",
        "got",
        "need",
        "want",
        "tried",
        "nothing",
        "anything",
        "also",
        "wait",
        "one",
        "appreciate",
        "done",
        "tracking",
        "cancel",
        "status",
        "update",
        "hold",
        "right",
        "fine",
        "understood",
        "totally",
        "absolutely",
        "sounds",
        "lol",
        "pls",
        "plz",
        "thx",
        "np",
        "is",
        "are",
        "it's",
        "that's",
        "there's",
        "what's",
        "i'm",
        "i've",
        "i'll",
        "i'd",
        "can't",
        "don't",
        "doesn't",
        "won't",
        "didn't",
        "isn't",
        "it",
        "my",
        "no",
        "not",
        "any",
        "when",
        "where",
        "why",
        "how",
        "what",
    }
)
#: Support-chat vocabulary and negated auxiliaries that no dictionary lists ("wasn't", "callback", "whatsapp"),
#: plus greetings and function words of the other languages customers write in. Model-checked like the rest.
_SUPPORT_WORDS = frozenset(
    """
    wasn't hasn't haven't hadn't aren't weren't couldn't wouldn't shouldn't mustn't needn't ain't paid pm am app
    e-mail emails whatsapp callback sms text texts phone mobile cell number account card bank delivery delivered
    address subject web online website login reset charged charge payment invoice receipt tracking shipping
    returned return dob ip ipv4 ipv6 pin id msisdn url bonjour merci cordialement vous hola buenos por favor
    hallo freundlichen ist dzień olá aqui ik het een hej ssn iban email otp apps postcode password parcel
    shipped android ios días dobry buenas danke hier votre buongiorno mijn gracias grazie tack bitte dziękuję
    grüßen mit proszę adresse adres potete tardes numer correo terug endereço spedite dirección est pas ich und
    die ist por que uno é os um com meu minha gli non sono het een ik wij moja votre merci envío ordine
    encomenda pouvez meine schicken geburtsdatum paguei wysłać número une je nous nicht mein sie para não niet
    jest mój mes plaît commande livraison pedido entrega bestellung rechnung zamówienie consegna
    """.split()
)
#: Acronyms of support chat that the model never reads as a name or place, so their capitals do not count.
_SAFE_ACRONYMS = frozenset(
    {"dob", "ip", "ipv4", "ipv6", "pin", "id", "sms", "msisdn", "ssn", "iban", "otp", "web", "ios"}
)
#: Common words that are also given names or places: a text holding one always goes to the model.
NAME_HOMOGRAPHS = frozenset({"us", "will", "may", "ty", "ca"})
COMMON_WORDS = (frozenset(w.lower() for w in STOP_WORDS) | _CHAT_WORDS | _SUPPORT_WORDS) - NAME_HOMOGRAPHS
_MIN_CAPS_LETTERS = 2


def _is_common(word: str, sentence_start: bool, dictionary: Callable[[str], bool] | None = None) -> bool:
    lowered = word.lower().replace("’", "'").replace("‘", "'")
    if lowered not in COMMON_WORDS and lowered.split("'")[0] not in COMMON_WORDS:
        if dictionary is None or not dictionary(lowered.split("'")[0]):
            return False
    if lowered.split("'")[0] in NAME_HOMOGRAPHS:
        return False
    letters = [c for c in word if c.isalpha()]
    if lowered in _SAFE_ACRONYMS and word.isupper():
        return True  # in capitals, anywhere: "send the IBAN", "my DOB is"
    if len(letters) >= _MIN_CAPS_LETTERS and all(c.isupper() for c in letters):
        return False
    # "I", "I'm", "I'll" are capitalised everywhere; other common words only where a sentence starts.
    return word == lowered or lowered.split("'")[0] == "i" or sentence_start


def needs_ner(text: str, dictionary: Callable[[str], bool] | None = None) -> bool:
    """True unless every word of ``text`` is a common word in a case form that cannot be a name or place.

    :param dictionary: also count as common the words this predicate accepts (lower-cased): English dictionary
        words, in lower case or opening a sentence. A text of such words ("sorry the parcel never arrived")
        holds no name the gazetteer recognisers would not find first; capitalised mid-sentence ("…from
        Reading") it still goes to the model.
    """
    previous_end = 0
    for match in _WORD.finditer(text):
        sentence_start = previous_end == 0 or bool(_SENTENCE_END.search(text, previous_end, match.start()))
        if not _is_common(match.group(), sentence_start, dictionary):
            return True
        previous_end = match.end()
    return False
