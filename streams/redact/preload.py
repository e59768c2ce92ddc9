"""Built once in the redaction pool's fork server, so every pool process starts with a ready redactor.

Each pool process used to import spaCy and Presidio and build its analyser itself (about 3 s of CPU each; under
load, with two processes and a restarting worker on two cores, 9 s before the first record of a restart was
redacted). The pool now starts its processes from a fork server that imports this module once: the module
builds a :class:`~streams.redact.engine.Redactor` from the worker's settings (the same environment and
configuration file), and each forked process inherits it, copy-on-write. A process whose settings differ from
these (a caller passing others) builds its own; a failure here only costs that head start.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from cxpulse.settings import RedactionSettings, Settings
from schemas.events import ConversationEvent, EventType
from streams.redact import agent as _agent  # noqa: F401 - the pool's task function lives there: import it once
from streams.redact.engine import Redactor

__all__ = ["SETTINGS", "redactor_for"]

log = logging.getLogger(__name__)

SETTINGS: RedactionSettings | None
_REDACTOR: Redactor | None
#: One message through the whole path at build time, so what is built lazily on first use (the anonymiser,
#: spaCy's first pipe) is built here once, not in every process on its first batch.
_WARM_UP = ConversationEvent(
    event_id="preload-warm-up",
    event_type=EventType.MESSAGE_ADDED,
    account_sid="AC" + "0" * 32,
    conversation_sid="CH" + "0" * 32,
    message_sid="IM" + "0" * 32,
    index=0,
    author="+15005550006",
    body="Hi, I am Jane Doe, call me on +1 415 555 0100 or write to jane@example.com",
    occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
)
try:
    SETTINGS = Settings().redaction
    _REDACTOR = Redactor(SETTINGS)
    _REDACTOR.redact_many([_WARM_UP])
except Exception:  # noqa: BLE001 - the pool processes then build their own redactor, as before
    log.warning("redaction pool preload failed; each process builds its own redactor", exc_info=True)
    SETTINGS, _REDACTOR = None, None


def redactor_for(settings: RedactionSettings) -> Redactor | None:
    """The preloaded redactor when it was built from ``settings`` (the process count aside, which a redactor
    does not use); None otherwise."""
    if SETTINGS is None or _REDACTOR is None:
        return None
    same = SETTINGS.model_dump(exclude={"processes"}) == settings.model_dump(exclude={"processes"})
    return _REDACTOR if same else None
