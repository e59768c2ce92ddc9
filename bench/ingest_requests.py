"""Pre-signed, distinct ``onMessageAdded`` posts for the ingest benchmark, and the file the load generator replays.

Why pre-signed: a client that signs while it sends tops out near 200 req/s here and measures itself, not the
server (docs/notes FACTS "Load generators"). Why distinct: ingest remembers recent event ids and answers a repeat
without producing it, so a replayed post would measure the dedupe cache instead of Kafka. Each entry is a real
simulator message (``cxpulse.simulate``) with its own ``MessageSid``, hence its own natural-key event id, signed with
the deployment's token for its public URL exactly as Twilio signs.

File format (one request per line, tab-separated, read by ``bench/wrk_replay.lua``):
``<X-Twilio-Signature>\\t<I-Twilio-Idempotency-Token>\\t<urlencoded form body>``. Signatures are base64 and tokens
and bodies are URL-encoded, so neither tabs nor newlines can occur inside a field.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from cxpulse.settings import SimulatorSettings
from cxpulse.simulate import WebhookPost, generate_posts, sign
from streams.ingest import CONVERSATIONS_PATH

__all__ = ["ReplayRequest", "read_requests", "signed_message_posts", "write_requests"]

_MESSAGE_ADDED = "onMessageAdded"
#: Distinct simulated messages drawn before variants are made of them (bodies, authors, channels vary across them).
_BASE_MESSAGES = 500
#: Upper bound on simulator posts read to find ``_BASE_MESSAGES`` messages (about half of its posts are messages).
_SCAN_LIMIT = 20 * _BASE_MESSAGES
_SID_HEX_DIGITS = 32
_FIELD_SEPARATOR = "\t"


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    """One POST to ``/twilio/conversations`` as it goes over the wire."""

    signature: str
    idempotency_token: str
    body: str

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.signature,
            "I-Twilio-Idempotency-Token": self.idempotency_token,
        }


def _base_messages(simulator: SimulatorSettings, seed: int) -> list[WebhookPost]:
    posts = generate_posts(seed=seed, settings=simulator, start=datetime.now(UTC))
    messages = [p for p in itertools.islice(posts, _SCAN_LIMIT) if p.event_type == _MESSAGE_ADDED]
    return messages[:_BASE_MESSAGES]


def signed_message_posts(
    count: int, *, auth_token: str, public_url: str, simulator: SimulatorSettings, seed: int = 1
) -> Iterator[ReplayRequest]:
    """``count`` signed message posts, each a new message (its own ``MessageSid`` and idempotency token)."""
    base = _base_messages(simulator, seed)
    if not base:
        raise RuntimeError("the simulator produced no onMessageAdded post")
    for n in range(count):
        template = base[n % len(base)]
        form = {**template.form, "MessageSid": "IM" + secrets.token_hex(_SID_HEX_DIGITS // 2)}
        post = WebhookPost(
            path=CONVERSATIONS_PATH,
            form=form,
            idempotency_token=f"{template.idempotency_token}-{n}",
            conversation_sid=template.conversation_sid,
        )
        headers = sign(post, auth_token=auth_token, base_url=public_url)
        yield ReplayRequest(headers["X-Twilio-Signature"], headers["I-Twilio-Idempotency-Token"], urlencode(form))


def write_requests(path: Path, requests: Iterator[ReplayRequest]) -> int:
    """Write the replay file; returns how many requests it holds."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for request in requests:
            fields = (request.signature, request.idempotency_token, request.body)
            if any(_FIELD_SEPARATOR in f or "\n" in f for f in fields):
                raise ValueError("a request field contains a tab or a newline")
            out.write(_FIELD_SEPARATOR.join(fields) + "\n")
            written += 1
    return written


def read_requests(path: Path) -> list[ReplayRequest]:
    """The replay file back (for the Python client used when ``wrk`` is not installed)."""
    requests = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            signature, token, body = line.rstrip("\n").split(_FIELD_SEPARATOR)
            requests.append(ReplayRequest(signature, token, body))
    return requests
