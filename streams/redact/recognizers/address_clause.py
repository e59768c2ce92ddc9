"""The clause after "my address is": whatever follows an address introducer is the address, in any country's form.

Street addresses are written in hundreds of national orders ("Jl. Kemang Raya No. 18B, RT 004/RW 002",
"Số 27 ngõ 68 Cầu Giấy", "SQN 210 Bloco F", "Plot 14, Adeola Close, off Admiralty Way"); the street patterns
cover many, never all. But in contact-center chat an address rarely comes alone: customers announce it ("my
address is", "deliver to", "alamat:", "dirección:", "住所は", "배송지:"). Recall first, the clause after such an
*introducer* is taken as the address:

- from the first character after the introducer (and a filler: "is", ":", "es", "é", "は") to the end of the line or
  sentence, at most ``MAX_CHARS``; after "Address:" and a line break, up to ``MAX_LINES`` lines;
- it stops earlier at a word that starts another thought: an identifier word ("order", "tracking": those values
  are no address), a connective before a new clause ("and call", "but", "because", "if", "when", "thanks"), a
  verb ("…, Anna said hi"), or a date or time ("… on 8/1");
- it counts only if it holds a digit, two capitalised words or a word of a script without capitals (Han, kana,
  Hangul, Thai, Arabic): "deliver to my office" and "the address is the same as before" find nothing; a digit
  does not count when the clause opens with a counting noun or a brand ("ship to Amazon 2 items");
- trailing chat words ("please", "thanks", "ya kak", "po") are trimmed;
- in forms pasted into chat, the value of an address field ("City: Stornoway", "Ville : Montréal", "County:")
  is taken to the end of its line, whatever it looks like.

Over-redaction is bounded by the introducers: they are phrases that announce an address, not any "to" or "at".
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

__all__ = [
    "ADDRESS_INTRODUCERS",
    "FORM_FIELDS",
    "MAX_CHARS",
    "MAX_FIELD_CHARS",
    "MAX_LINES",
    "AddressClauses",
    "might_hold_introducer",
]

#: Phrases that announce an address in the languages customers write in (case-insensitive, whole words).
ADDRESS_INTRODUCERS: tuple[str, ...] = (
    "my address is", "address is", "address:", "addr:", "new address is", "new address:", "delivery address",
    "delivery address is", "shipping address", "shipping address is", "billing address", "home address",
    "my address", "deliver to", "deliver it to", "please deliver to", "pls deliver to", "ship to", "ship it to",
    "send it to", "send to", "bring it to", "bring am to", "drop it at", "drop off at", "pick up from",
    "pickup from", "collect from", "i live at", "we live at", "i live on",
    "adresse:", "adresse ist", "meine adresse", "anschrift:", "lieferadresse:", "liefern an", "lieferung an",
    "mon adresse", "adresse :", "livrez au", "livrer au", "livraison au", "livraison à",
    "dirección:", "direccion:", "mi dirección es", "mi direccion es", "la dirección es", "la direccion es",
    "dirección de entrega", "domicilio:", "mi domicilio", "enviar a", "entregar en", "envíenlo a",
    "endereço:", "meu endereço é", "o meu endereço é", "entregar na", "entregar no", "moro na", "moro no",
    "moro em", "indirizzo:", "il mio indirizzo è", "consegnare a", "spedire a", "abito in",
    "adres:", "mijn adres is", "bezorgen op", "bezorgen aan", "afleveren op", "woon op", "woon aan",
    "adres", "mój adres", "wysyłka na", "dostawa na", "mieszkam na", "mieszkam przy",
    "adresa:", "moje adresa", "doručit na", "poslať na", "bydlím v", "bydlím na", "adresă:", "adresa mea",
    "locuiesc pe", "locuiesc în", "adressen är", "adresse er", "bor på", "osoite:", "adresim", "adresim:",
    "teslimat adresi", "alamat:", "alamat kirim:", "alamat saya", "kirim ke", "antar ke", "address ko",
    "địa chỉ:", "địa chỉ", "dia chi", "giao đến", "giao tới", "gửi đến", "ที่อยู่", "住所は", "住所:", "住所：",
    "お届け先", "地址:", "地址：", "送到", "배송지:", "배송지", "주소:", "주소는", "عنواني", "العنوان",
)  # fmt: skip
#: Form fields whose value, to the end of the line, is part of an address whatever it looks like ("City: Stornoway").
FORM_FIELDS: tuple[str, ...] = (
    "city", "town", "ville", "ciudad", "cidade", "città", "citta", "stadt", "ort", "plaats", "miasto", "county",
    "state", "province", "provincia", "region", "district", "suburb", "barangay", "kota", "kecamatan",
    "neighbourhood", "neighborhood", "colonia", "bairro", "address 1", "address 2", "address line 1",
    "address line 2", "street", "rue", "calle", "straße", "strasse",
)  # fmt: skip
MAX_FIELD_CHARS = 60
MAX_CHARS = 140
MAX_LINES = 3
_FILLER = r"(?:[ \t]*(?:is|es|é|est|ist|è|je|は|:|：|-)(?![\p{L}\d]))*[ \t]*"
#: Words that start another thought: the address ended before them.
_STOP_WORDS = (
    "and call", "and text", "and ring", "and the", "and my", "and i", "and it", "and leave", "but", "because",
    "if", "when", "thanks", "thank you", "thx", "before", "after", "tomorrow", "today", "asap", "instead",
    "not", "please call", "pls call", "call me", "text me", "my number", "my phone", "phone", "tel",
    "gracias", "obrigado", "obrigada", "merci", "danke", "grazie", "dank", "dziękuję", "terima kasih",
    "cảm ơn", "salamat", "shukran",
)  # fmt: skip
#: A verb after the address starts a new clause ("12 Baker Street, Anna said hi").
_VERBS = r"said|says|told|will|would|can|could|is|was|are|were|has|have|had|needs|wants|asked|called"
#: A preposition before a date, a time or a weekday ends the address ("… IA 49363 on 8/1").
_WHEN = (
    r"(?i:on|by|at|from|until|till|before|after)[ \t]+(?=\d{1,2}[/.:]|\d{1,2}(?:st|nd|rd|th)\b|"
    r"(?i:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"
)
_DATE_OR_TIME = r"\d{1,2}[:.h]\d{2}\b|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\d{1,2}[ \t]?(?:am|pm)\b"
#: Trailing chat words and particles that close a message, not an address.
_TRAILING = (
    "please", "pls", "plz", "pliz", "thanks", "thx", "ty", "sorry", "ya", "kak", "po", "na", "lah", "ok",
    "okay", "asap", "svp", "bitte", "por favor", "porfa", "obg", "ạ", "nhé", "nha", "ne", "jor", "sir", "maam",
)  # fmt: skip
_WITHOUT_CAPITALS = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}\p{Arabic}]")
_CAPITALISED_WORD = regex.compile(r"(?<![\p{L}])\p{Lu}[\p{L}\p{M}'’.-]+")
_DIGIT = regex.compile(r"\d")
_MIN_CAPITALISED = 2


_FIRST_WORDS = frozenset(
    p.split()[0].rstrip(":：").casefold() for p in (*ADDRESS_INTRODUCERS, *FORM_FIELDS) if p.isascii()
)
_WORDS = regex.compile(r"[\p{L}']+")


def might_hold_introducer(text: str) -> bool:
    """A cheap necessary condition of an introducer: one of their first words, or a script whose introducers
    ("住所は", "배송지", "địa chỉ") are not split into words here."""
    if _WITHOUT_CAPITALS.search(text) or not text.isascii():
        return True
    return not _FIRST_WORDS.isdisjoint(w.casefold() for w in _WORDS.findall(text))


def _alternation(phrases: Iterable[str]) -> str:
    return "|".join(regex.escape(p).replace(r"\ ", r"[ \t]+") for p in sorted(set(phrases), key=len, reverse=True))


class AddressClauses:
    """Finds the clause after an address introducer (module doc)."""

    def __init__(
        self,
        *,
        identifier_words: Iterable[str],
        ordinary_first_words: Iterable[str] = (),
        introducers: Iterable[str] = ADDRESS_INTRODUCERS,
    ) -> None:
        """:param ordinary_first_words: words that, opening the clause, make its digits a count or a product
        ("ship to Amazon 2 items", "Gate 4"): then only capitals or another script make it an address."""
        self._ordinary = frozenset(w.casefold() for w in ordinary_first_words)
        self._introducer = regex.compile(
            rf"(?<![\p{{L}}\d])(?i:{_alternation(introducers)})(?![\p{{L}}\d]){_FILLER}", regex.IGNORECASE
        )
        stops = [*_STOP_WORDS, *identifier_words]
        self._stop = regex.compile(
            rf"(?:[ \t,;]+(?i:{_alternation(stops)})(?![\p{{L}}\d])|[.!?](?=[ \t]|$)(?<![ \t]\p{{L}}{{1,5}}\.)"
            rf"|[ \t]+(?i:{_DATE_OR_TIME})|[ \t]+(?:{_VERBS})(?![\p{{L}}\d])|[ \t]+{_WHEN})"
        )
        self._field = regex.compile(
            rf"(?im)^[ \t]*(?:{_alternation(FORM_FIELDS)})[ \t]*[:：][ \t]*(?P<value>[^\n]{{1,{MAX_FIELD_CHARS}}})"
        )
        self._leading_stop = regex.compile(rf"(?i:{_alternation(stops)})(?![\p{{L}}\d])")
        self._trailing = regex.compile(rf"(?:[ \t,.!]+(?i:{_alternation(_TRAILING)}))+[ \t.!]*$")

    def find(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each address clause."""
        spans = []
        for intro in self._introducer.finditer(text):
            start = intro.end()
            if self._leading_stop.match(text, start):
                continue  # "send to order 12345": not an address
            if start < len(text) and text[start] == "\n":
                start += 1
                end = self._block_end(text, start)
            else:
                end = self._clause_end(text, start)
            trailing = self._trailing.search(text, start, end)
            if trailing:
                end = trailing.start()
            clause = text[start:end].rstrip(" \t,.;")
            if clause and self._addressy(clause, self._first_word_ordinary(clause)):
                spans.append((start, start + len(clause)))
        for field in self._field.finditer(text):
            value = field.group("value").rstrip(" \t,.;")
            if any(c.isalnum() for c in value):
                spans.append((field.start("value"), field.start("value") + len(value)))
        return spans

    def _clause_end(self, text: str, start: int) -> int:
        limit = min(len(text), start + MAX_CHARS)
        newline = text.find("\n", start, limit)
        if newline != -1:
            limit = newline
        stop = self._stop.search(text, start, limit)
        return stop.start() if stop else limit

    def _block_end(self, text: str, start: int) -> int:
        """ "Address:\\n12 Main St\\nSpringfield IL 62704": up to ``MAX_LINES`` lines that each look like address
        lines."""
        end = start
        for _ in range(MAX_LINES):
            line_end = text.find("\n", end)
            line_end = len(text) if line_end == -1 else line_end
            line = text[end:line_end]
            if not line.strip() or not self._addressy(line):
                break
            end = line_end
            if line_end == len(text):
                break
            end += 1
        return end if end == start or text[end - 1 : end] != "\n" else end - 1

    def _first_word_ordinary(self, clause: str) -> bool:
        first = _WORDS.search(clause)
        return first is not None and first.start() == 0 and first.group().casefold() in self._ordinary

    @staticmethod
    def _addressy(clause: str, ordinary_start: bool = False) -> bool:
        return bool(
            (_DIGIT.search(clause) and not ordinary_start)
            or _WITHOUT_CAPITALS.search(clause)
            or len(_CAPITALISED_WORD.findall(clause)) >= _MIN_CAPITALISED
        )
