"""Names found by the shape of the message around them, not by a phrase before them.

- **a closing line**: the last line (or last sentence) of a message that is only one to three name words is a
  signature ("Thanks so much for your help today!\\nCatalina", "…\\n- Tunde Bakare", "that's all. Frank").
  One word must be a gazetteer name (an ambiguous one too: "Hope", "Will"); two or three must hold no common word.
- **the subject of a past-tense verb**: a gazetteer name opening a sentence before a verb in the past tense (a
  regular one with its object after it), or before "and I", is a person even when it is an English word ("Will
  said it would be fixed", "Jack installed it", "Hunter and I both have accounts"): "Will" cannot be a modal
  before "said", and "Faith restored, it works" has no object.
- **a spelled-out name**: four or more single letters joined by hyphens ("S-I-O-B-H-A-N").
- **an initial and a surname**: a capital, a dot and a gazetteer name or a word that is no English word
  ("R. Raghunathan", "K. Ramesh"), as Indian and many forms write names.
- **a name in apposition to a relative**: a gazetteer name opening a sentence before "my husband", "my
  mum", ... ("Justice my husband will sign").
- **names in scripts without spaces**, by the words that surround them: a Japanese honorific after a family name
  ("佐藤様", "森様", "田中さん") or a self-introduction ("佐藤健太と申します", "担当の中村です"),
  a Chinese self-introduction, addressee or title ("我是王芳", "收件人：林志偉", "陳小姐"), a family name closing a
  message ("…よろしくお願いします。鈴木"), a Korean name before the copula or an
  honorific ("김민준입니다", "박서연 고객님"; the first syllable must be a Korean family name).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

if TYPE_CHECKING:  # the gazetteer module reads our word tables: import it for types only
    from streams.redact.gazetteer import NameGazetteer

__all__ = ["KOREAN_FAMILY_NAMES", "PAST_TENSE_VERBS", "NameShapeRecognizer"]

ENTITY = "PERSON"
#: Irregular past tenses a person does in support chat; regular ones end in "-ed".
PAST_TENSE_VERBS: tuple[str, ...] = (
    "said", "told", "sent", "got", "took", "came", "went", "made", "gave", "bought", "paid", "left", "put", "set",
    "ran", "saw", "spoke", "wrote", "rang", "knew", "thought", "brought", "sold", "kept", "lost", "found", "heard",
    "met", "did", "had", "was", "says", "thinks", "wants", "needs", "knows", "has",
)  # fmt: skip
#: The commonest Korean family names (one syllable each): a Hangul word before "입니다" is a name only if it
#: starts with one ("주문입니다", "it is an order", does not).
KOREAN_FAMILY_NAMES = (
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진"
    "지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용"
)
_MAX_CLOSING_TOKENS = 3
_MAX_ACRONYM = 3
_TOKEN = r"[^\W\d_]+(?:['’-][^\W\d_]+)*"
_CLOSING = regex.compile(
    rf"(?:\n|[.!?][ \t]+)[ \t]*(?:[-–—~][ \t]*)?"
    rf"(?P<name>{_TOKEN}(?:[ \t]+{_TOKEN}){{0,{_MAX_CLOSING_TOKENS - 1}}})[ \t]*[.!]?[ \t]*\Z"
)
_OBJECT_WORDS = "it|me|us|them|him|her|the|my|our|your|a|an|this|that|to|for|up|out|back|everything"
_SENTENCE_START = r"(?:^|(?<=[.!?\n])[ \t]*|(?<=[.!?][ \t]))"
_INITIAL_NAME = regex.compile(r"(?<![\p{L}.])\p{Lu}\.[ \t]?(?P<name>\p{Lu}\p{Ll}{2,}(?:-\p{Lu}\p{Ll}+)?)")
_RELATIVES = (
    "husband|wife|son|daughter|mother|father|mum|mom|mam|dad|brother|sister|partner|friend|colleague|boss|manager|"
    "grandmother|grandfather|grandma|grandpa|aunt|uncle|cousin|niece|nephew|fiancé|fiancée|fiance|fiancee"
)
_SPELLED = regex.compile(r"(?<![\w-])(?:[A-Za-z]-){3,}[A-Za-z](?![\w-])")
#: Words before 様/さん that are no family name: everyone, customer, wife, king, god, you (rude).
_NOT_FAMILY_NAMES = frozenset({"皆", "客", "奥", "王", "神", "貴", "旦那", "皆々", "各位"})
_JAPANESE_HONORIFIC = regex.compile(r"(?<![おご\p{Han}])\p{Han}{1,4}(?=様|さん|さま|殿|先生|氏|君|ちゃん)")
#: "佐藤健太と申します" (my name is …), "担当の中村です" (… in charge of your case).
_JAPANESE_INTRO = regex.compile(
    r"(?:(?<![\p{Han}\p{Katakana}])(?P<before>[\p{Han}\p{Katakana}ー]{2,8})(?=と申します|と申す|と言います|といいます)"
    r"|担当の(?P<after>\p{Han}{1,4}))"
)
_CHINESE_INTRO = regex.compile(
    r"(?:我是|我叫|我的名字是|我姓|收件人[:：]?[ \t]*|聯絡人[:：]?[ \t]*|联系人[:：]?[ \t]*)(?P<name>\p{Han}{2,4})"
    r"|(?<!\p{Han})(?P<honoured>\p{Han}{1,3})(?=小姐|先生|女士|太太)"
)
#: A message that ends with a name after a closing sentence in Japanese or Chinese ("よろしくお願いします。鈴木").
#: Words that close a Japanese or Chinese message and are no name: "that is all", "regards", "thanks".
_CJK_CLOSING_WORDS = frozenset({"以上", "敬具", "草々", "謝謝", "谢谢", "感謝", "感谢", "多謝", "多谢", "拝啓", "宜敷"})
_CJK_CLOSING = regex.compile(r"[。！？!?][ \t]*(?P<name>\p{Han}{2,4})[ \t。.]*\Z")
_KOREAN = regex.compile(
    rf"(?<!\p{{Hangul}})[{KOREAN_FAMILY_NAMES}]\p{{Hangul}}{{2}}(?=[ \t]*(?:입니다|이에요|예요|씨|님|고객님|이라고))"
)


class NameShapeRecognizer(LocalRecognizer):
    """PERSON for the shapes in the module doc."""

    def __init__(
        self, *, gazetteer: NameGazetteer, excluded: Iterable[str], score: float, language: str = "en"
    ) -> None:
        self._gazetteer = gazetteer
        self._excluded = frozenset(w.casefold() for w in excluded)
        self._score = score
        # A regular "-ed" form only with an object after it: "Jack installed it", not "Faith restored, it works".
        verb = rf"(?:{'|'.join(PAST_TENSE_VERBS)})\b|\p{{Ll}}{{2,}}ed[ \t]+(?:{_OBJECT_WORDS})\b|and[ \t]+(?:I|me)\b"
        self._subject = regex.compile(rf"{_SENTENCE_START}(?P<name>\p{{Lu}}\p{{Ll}}+)(?=[ \t]+(?:{verb}))")
        self._apposition = regex.compile(
            rf"{_SENTENCE_START}(?P<name>\p{{Lu}}\p{{Ll}}+),?[ \t]+(?:is[ \t]+)?my[ \t]+(?:{_RELATIVES})\b"
        )
        super().__init__(
            supported_entities=[ENTITY], supported_language=language, name="NameShapeRecognizer", context=[]
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        spans: list[tuple[int, int, str]] = []
        closing = _CLOSING.search(text)
        if closing and self._closing_name(closing.group("name")):
            spans.append((closing.start("name"), closing.end("name"), "name alone on the closing line"))
        for match in self._subject.finditer(text):
            if self._gazetteer.is_name(match.group("name").casefold()):
                spans.append((match.start("name"), match.end("name"), "name as the subject of a past-tense verb"))
        spans.extend((m.start(), m.end(), "spelled-out name") for m in _SPELLED.finditer(text))
        for m in _INITIAL_NAME.finditer(text):
            word = m.group("name").casefold()
            if self._gazetteer.is_name(word) or not self._gazetteer.is_english(word):
                spans.append((m.start(), m.end(), "initial and surname"))
        for m in self._apposition.finditer(text):
            if self._gazetteer.is_name(m.group("name").casefold()):
                spans.append((m.start("name"), m.end("name"), "name in apposition to a relative"))
        if not text.isascii():
            for m in _JAPANESE_HONORIFIC.finditer(text):
                if m.group() not in _NOT_FAMILY_NAMES:
                    spans.append((m.start(), m.end(), "family name before a Japanese honorific"))
            for m in _JAPANESE_INTRO.finditer(text):
                group = "before" if m.group("before") else "after"
                spans.append((m.start(group), m.end(group), "name in a Japanese self-introduction"))
            for m in _CHINESE_INTRO.finditer(text):
                group = "name" if m.group("name") else "honoured"
                spans.append((m.start(group), m.end(group), "name in a Chinese introduction or before a title"))
            closing = _CJK_CLOSING.search(text)
            if closing and closing.group("name") not in _CJK_CLOSING_WORDS:
                spans.append((closing.start("name"), closing.end("name"), "name closing a Japanese or Chinese message"))
            for m in _KOREAN.finditer(text):
                spans.append((m.start(), m.end(), "Korean name before a copula or an honorific"))
        return [self._result(start, end, why) for start, end, why in spans]

    def _closing_name(self, name: str) -> bool:
        words = name.split()
        folded = [w.casefold() for w in words]
        if any(w in self._excluded for w in folded):
            return False
        if any(not (w[0].isupper() or not w[0].islower()) for w in words):
            return False  # lower-case words on the last line are a sentence, not a signature
        if any(w.isupper() and 1 < len(w) <= _MAX_ACRONYM for w in words):
            return False
        if len(words) == 1:
            return self._gazetteer.is_name(folded[0])
        return any(self._gazetteer.is_name(w) for w in folded) or not any(self._gazetteer.is_english(w) for w in folded)

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
