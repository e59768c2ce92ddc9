"""Twilio request signatures, checked against every configured auth token.

Twilio lets an account create a secondary auth token and promote it; from that moment webhooks are signed with
the new token. With a single token configured the edge answered 403 to every post until all workers had the new
one: a rotation was an outage. So the edge holds the ordered tokens of :meth:`Settings.twilio_auth_tokens` and a
request is genuine when it was signed with any of them.

Every token (and both URL spellings Twilio may have signed: with and without the default port) is computed and
compared on every request, with :func:`hmac.compare_digest`, so the time taken says neither how much of a forged
signature matched nor which token a genuine one used.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from twilio.request_validator import RequestValidator, add_port, remove_port

__all__ = ["SignatureChecker"]

log = logging.getLogger(__name__)


def _url_spellings(url: str) -> tuple[str, str]:
    """The URL as Twilio may have signed it: without and with the scheme's default port (its signer varies)."""
    parsed = urlparse(url)
    return remove_port(parsed), add_port(parsed)


def _text(value: str) -> bytes:
    """Header text as bytes: ``compare_digest`` refuses non-ASCII ``str``, a hostile header must not crash it."""
    return value.encode("utf-8", "surrogateescape")


class SignatureChecker:
    """``X-Twilio-Signature`` verification with one or more auth tokens (primary first)."""

    def __init__(self, tokens: Sequence[str]) -> None:
        if not tokens:
            raise ValueError("no Twilio auth token: set CXPULSE_TWILIO_AUTH_TOKEN")
        self._validators = tuple(RequestValidator(token) for token in tokens)

    @property
    def token_count(self) -> int:
        return len(self._validators)

    def form_is_signed(self, url: str, params: Any, signature: str) -> bool:
        """A form post: the signature covers the full public URL and the sorted form fields (``getall`` values).

        :param params: a mapping with ``getall`` for repeated keys, as Twilio signs every value of a key.
        """
        try:
            expected = [
                _text(validator.compute_signature(spelling, params))
                for validator in self._validators
                for spelling in _url_spellings(url)
            ]
        except (TypeError, ValueError, UnicodeError) as exc:  # hostile input the signer cannot even digest
            log.warning("signature could not be computed error=%s", type(exc).__name__)
            return False
        given = _text(signature)
        matches = [hmac.compare_digest(candidate, given) for candidate in expected]
        return any(matches)

    def url_is_signed(self, url: str, signature: str) -> bool:
        """A JSON post (Event Streams): Twilio signs the URL alone, which carries ``bodySHA256``; the caller checks
        that hash against the body (strictly: the SDK skips an empty one)."""
        return self.form_is_signed(url, {}, signature)
