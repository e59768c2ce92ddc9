"""Errors raised while turning a Twilio payload into a :class:`~schemas.events.ConversationEvent`.

The ingest edge answers an :class:`InvalidEventError` with HTTP 400 and ``str(err)`` as the message, and a
pipeline stage routes it to the DLQ with ``err.reason`` as the machine-readable cause. One exception with a
reason code (rather than a class per cause) keeps both callers to a single ``except``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from cxpulse.errors import CxpulseError

__all__ = ["InvalidEventError", "InvalidReason"]


class InvalidReason(StrEnum):
    """Why a payload was rejected. Values are stable: dashboards and DLQ rows group by them."""

    #: An EventType / CloudEvent ``type`` cxpulse does not normalise.
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    #: A pre-action webhook (``onMessageAdd`` …): Twilio waits on those to allow a veto; we only observe.
    PRE_ACTION_WEBHOOK = "pre_action_webhook"
    #: A field the canonical event cannot exist without is absent or empty.
    MISSING_FIELD = "missing_field"
    #: A SID without the prefix its field requires (``CH`` for ConversationSid …).
    BAD_SID = "bad_sid"
    #: A timestamp that is present but is not ISO 8601.
    BAD_TIMESTAMP = "bad_timestamp"
    #: A field with a value of the wrong shape (a non-integer ``Index``, ``data`` that is not an object …).
    BAD_VALUE = "bad_value"
    #: The HTTP body itself is not what the endpoint accepts (not JSON, not an array of objects …).
    MALFORMED_BODY = "malformed_body"
    #: JSON (the body, CloudEvent ``data``, ``Attributes``, ``Media``) nested deeper than ``ingest.max_json_depth``:
    #: no Twilio payload nests that deep, and parsing or walking it would exhaust Python's recursion limit.
    TOO_DEEP = "too_deep"


class InvalidEventError(CxpulseError):
    """A payload that cannot become a canonical event.

    :param reason: the machine-readable cause (an :class:`InvalidReason`; compares equal to its string).
    :param message: the human message, naming the offending field; it is what ``str(err)`` returns and what
        an HTTP 400 shows, so it never echoes message bodies or author addresses.
    :param field: the Twilio field at fault, when there is one.
    """

    def __init__(self, reason: InvalidReason | str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.reason = InvalidReason(reason)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle as ``cls(*args)``; ours has a keyword-only argument, so spell it out.
        return (_rebuild, (self.reason.value, self.message, self.field))

    def to_dict(self) -> dict[str, str | None]:
        """The JSON an HTTP 400 or a DLQ record carries."""
        return {"reason": self.reason.value, "field": self.field, "message": self.message}


def _rebuild(reason: str, message: str, field: str | None) -> InvalidEventError:
    return InvalidEventError(reason, message, field=field)
