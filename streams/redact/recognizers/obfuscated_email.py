"""E-mail addresses written to dodge spam filters: "lucia.ferraro at libero dot it", "tom(at)gmail(dot)com",
"maria punto lopez arroba gmail punto com".

Presidio's ``EmailRecognizer`` needs an ``@`` and a dot, so a customer who spells them out leaks the whole
address. Here the ``@`` may be "at" between spaces or in brackets, and each dot "dot" the same way; at least one of
them must be spelled out (plain addresses are Presidio's), and the address must end in a top-level-domain-like
word of two to six letters, so "meet me at the gate" finds nothing. With only "at" spelled out, the dot must be
spelled too, the "at" bracketed, or the part before it look like an address ("tom99 at gmail.com"), so
"shopping at amazon.com" stays. Plain addresses glued to a word of a script without spaces ("…はk.sato@docomo.ne.jp
です") are found here too: Presidio's pattern needs a word boundary before them.
"""

from __future__ import annotations

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from streams.redact.prefilter import COMMON_WORDS
from streams.redact.recognizers.rule import RuleRecognizer

__all__ = ["ObfuscatedEmailRecognizer", "might_hold_obfuscated_email"]

ENTITY = "EMAIL_ADDRESS"
#: "at" and "dot" as customers spell them: English, Spanish/Portuguese ("arroba", "punto"/"ponto"), French
#: ("arobase", "point"), Italian ("chiocciola") and German ("Klammeraffe", "Punkt").
_AT_WORD = "(?:at|arroba|arobase|chiocciola|klammeraffe)"
_DOT_WORD = "(?:dot|punto|ponto|point|punkt)"
_AT = rf"(?:[ \t]*[(\[{{<][ \t]*{_AT_WORD}[ \t]*[)\]}}>][ \t]*|[ \t]+{_AT_WORD}[ \t]+|[ \t]*@[ \t]*)"
_DOT = rf"(?:[ \t]*[(\[{{<][ \t]*{_DOT_WORD}[ \t]*[)\]}}>][ \t]*|[ \t]+{_DOT_WORD}[ \t]+|\.)"
#: Digits read out at the end of a local part's later segments, as voice-to-text writes them ("t dot nguyen eighty
#: eight at gmail dot com" is t.nguyen88@gmail.com); the first segment takes none ("I bought two at amazon dot com").
_SPOKEN_DIGITS = (
    "(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    "|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|double|triple)"
)
_SEGMENT = rf"[\w+-]+(?:[ \t]+{_SPOKEN_DIGITS}(?![\w]))*"
_SHAPE = regex.compile(
    rf"(?<![\w.+-])(?i:(?P<local>[\w+-]+(?:{_DOT}{_SEGMENT})*)(?P<at>{_AT})(?P<domain>[\w-]+)(?:{_DOT}[\w-]+)*{_DOT}"
    rf"[a-z]{{2,6}})"
    r"(?![\w])"
)
_SPELLED_DOT = regex.compile(rf"(?i:[ \t(\[{{<]{_DOT_WORD}[ \t)\]}}>])")
_BRACKETED_AT = regex.compile(r"[(\[{<]")
#: A local part that only an address has: a dot, a digit, "_" or "+" ("lucia.ferraro", "tom99").
_ADDRESS_LIKE_LOCAL = regex.compile(r"[.\d_+]")
_GATE = regex.compile(rf"(?i:\b{_AT_WORD}\b|\b{_DOT_WORD}\b)|@")
#: A plain address glued to a word of a script without spaces ("メールアドレスはk.sato-0412@docomo.ne.jpです",
#: "jieun.kim92@naver.com로"): Presidio's pattern needs a word boundary there and finds only a part.
_PLAIN_IN_OTHER_SCRIPT = regex.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)


def might_hold_obfuscated_email(text: str) -> bool:
    """The recogniser's gate: every match spells out "at" or "dot", or holds an "@"."""
    return _GATE.search(text) is not None


class ObfuscatedEmailRecognizer(RuleRecognizer):
    """EMAIL_ADDRESS for e-mail addresses with the ``@`` or a dot spelled out (module doc)."""

    SCORE = 0.6

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(entities=[ENTITY], name="ObfuscatedEmailRecognizer", language=language)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        results = []
        if "@" in text and not text.isascii():
            for match in _PLAIN_IN_OTHER_SCRIPT.finditer(text):
                results.append(self._result(match.start(), match.end(), "address next to another script"))
        for match in _SHAPE.finditer(text):
            spelled_at = "@" not in match.group("at")
            if spelled_at and match.group("domain").casefold() in COMMON_WORDS:
                continue  # "look at it dot by dot": "it" is no mail domain
            if not (spelled_at or _SPELLED_DOT.search(match.group())):
                continue  # a plain address: Presidio's
            if spelled_at and not (
                _SPELLED_DOT.search(match.group())
                or _BRACKETED_AT.search(match.group("at"))
                or _ADDRESS_LIKE_LOCAL.search(match.group("local"))
            ):
                continue  # "shopping at amazon.com": a word, "at", a web address
            results.append(self._result(match.start(), match.end(), "spelled-out e-mail"))
        return results

    def _result(self, start: int, end: int, why: str) -> RecognizerResult:
        return self.finding(ENTITY, start, end, self.SCORE, why)
