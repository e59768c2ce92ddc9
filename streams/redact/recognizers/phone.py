"""Phone numbers in chat: E.164 (``+14155550123``) and the national formats of the configured regions."""

from __future__ import annotations

from collections.abc import Sequence

from presidio_analyzer.predefined_recognizers import PhoneRecognizer

__all__ = ["ChatPhoneRecognizer"]


class ChatPhoneRecognizer(PhoneRecognizer):
    """Presidio's python-phonenumbers recogniser with the regions and context words chat needs.

    A number written with ``+`` parses for any region; national formats (``(415) 555-0123``,
    ``020 7946 0958``) only for the regions listed, so the list is configuration (``phone_regions``).
    Chat customers say "text me", "whatsapp", "reach me": those lift the score like "phone" does.
    """

    CONTEXT = [
        "phone", "number", "telephone", "cell", "cellphone", "mobile", "call", "text", "whatsapp", "sms",
        "reach", "tel", "contact", "landline",
    ]

    def __init__(self, *, regions: Sequence[str], leniency: int, language: str = "en") -> None:
        super().__init__(
            context=self.CONTEXT,
            supported_language=language,
            supported_regions=tuple(regions),
            leniency=leniency,
            name="ChatPhoneRecognizer",
        )
