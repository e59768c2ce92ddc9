"""Hostile input at the edge: thousands of malformed, unsigned and oddly-signed requests, and never a 5xx.

An independent fuzz run once got 562 answers of 500 out of 5,000 requests: repeated form keys (a TypeError in the
signature computation, no valid signature needed), an empty or decoy ``bodySHA256``, JSON nested 5,000 deep.
This test sends more than 40 kinds of request, over 2,000 in all, to a real worker on the real broker and
ClickHouse engine, and checks that:

- no answer is 5xx, and the worker stays healthy;
- a marker carried only by unsigned requests never reaches Kafka or ClickHouse;
- signed requests with hostile content are refused with a 4xx (or stored when they are valid after all);
- valid events posted after the fuzz are stored.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from schemas.twilio import webhook_event_id
from tests.integration.conftest import Deployment, dump_table, query_rows, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATA = Path(__file__).resolve().parents[1] / "data" / "twilio"
CONVERSATIONS = "/twilio/conversations"
EVENTS = "/twilio/events"
REQUESTS_PER_KIND = 50
VALID_AFTER = 20
_TIMEOUT_S = 10


class _MultiDict(dict):  # type: ignore[type-arg]
    def getall(self, name: str) -> list[str]:
        return list(self[name])


def _form(name: str = "onMessageAdded") -> dict[str, str]:
    return dict(json.loads((DATA / "webhooks" / f"{name}.json").read_text())["form"])


def _cloudevent(name: str = "message.added") -> dict:
    return json.loads((DATA / "cloudevents" / f"{name}.json").read_text())


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


Request = tuple[str, str, dict[str, str], bytes]  # method, path+query, headers, body


class Requests:
    """Builds requests signed (or not) for one deployment."""

    def __init__(self, deployment: Deployment, marker: str) -> None:
        token = deployment.settings.twilio_auth_token
        assert token is not None
        self.validator = RequestValidator(token.get_secret_value())
        self.public_url = deployment.settings.public_url
        self.marker = marker

    def form(self, pairs: list[tuple[str, str]], *, signed: bool, token: str | None = None) -> Request:
        body = urlencode(pairs).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            multi: dict[str, list[str]] = {}
            for key, value in pairs:
                multi.setdefault(key, []).append(value)
            signature = self.validator.compute_signature(f"{self.public_url}{CONVERSATIONS}", _MultiDict(multi))
            headers["X-Twilio-Signature"] = signature
            headers["I-Twilio-Idempotency-Token"] = token or secrets.token_hex(8)
        else:
            headers["X-Twilio-Signature"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        return "POST", CONVERSATIONS, headers, body

    def events(self, body: bytes, *, query: str | None = None, signed: bool = True) -> Request:
        digest = hashlib.sha256(body).hexdigest()
        path = f"{EVENTS}?{query if query is not None else f'bodySHA256={digest}'}"
        headers = {"Content-Type": "application/json"}
        headers["X-Twilio-Signature"] = (
            self.validator.compute_signature(f"{self.public_url}{path}", {}) if signed else "AAAA"
        )
        return "POST", path, headers, body

    def signed_form(self, **changes: str | None) -> Request:
        form = _form()
        for key, value in changes.items():
            if value is None:
                form.pop(key, None)
            else:
                form[key] = value
        return self.form(list(form.items()), signed=True)

    def unsigned_form(self, **changes: str) -> Request:
        form = {**_form(), "Body": f"hello {self.marker}", **changes}
        return self.form(list(form.items()), signed=False)


def _kinds(r: Requests) -> dict[str, Callable[[int], Request]]:
    m = r.marker
    ce = _cloudevent()
    deep = _nested(5000)
    return {
        # unsigned or wrongly signed: the marker must never be stored
        "form-no-signature": lambda i: ("POST", CONVERSATIONS, {}, urlencode({**_form(), "Body": m}).encode()),
        "form-wrong-signature": lambda i: r.unsigned_form(),
        "form-repeated-keys-unsigned": lambda i: r.form([*_form().items(), ("Body", m), ("Body", m)], signed=False),
        "form-json-body": lambda i: (
            "POST",
            CONVERSATIONS,
            {"Content-Type": "application/json"},
            json.dumps({"Body": m}).encode(),
        ),  # noqa: E501
        "form-wrong-content-type": lambda i: ("POST", CONVERSATIONS, {"Content-Type": "text/plain"}, m.encode()),
        "form-invalid-utf8": lambda i: (
            "POST",
            CONVERSATIONS,
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"Body=\xff\xfe" + m.encode(),
        ),  # noqa: E501
        "form-empty-body": lambda i: (
            "POST",
            CONVERSATIONS,
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"",
        ),  # noqa: E501
        "form-broken-encoding": lambda i: (
            "POST",
            CONVERSATIONS,
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"Body=%%zz&&=" + m.encode(),
        ),  # noqa: E501
        "form-oversize": lambda i: (
            "POST",
            CONVERSATIONS,
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"Body=" + m.encode() * 40000,
        ),  # noqa: E501
        "events-no-hash": lambda i: r.events(json.dumps([{**ce, "id": m}]).encode(), query=""),
        "events-empty-hash": lambda i: r.events(json.dumps([{**ce, "id": m}]).encode(), query="bodySHA256="),
        "events-decoy-hash": lambda i: r.events(
            json.dumps([{**ce, "id": m}]).encode(), query=f"bodySHA256=&bodySHA256={'0' * 64}"
        ),  # noqa: E501
        "events-upper-hash": lambda i: r.events(
            json.dumps([{**ce, "id": m}]).encode(),
            query="bodySHA256=" + hashlib.sha256(json.dumps([{**ce, "id": m}]).encode()).hexdigest().upper(),
        ),  # noqa: E501
        "events-non-hex-hash": lambda i: r.events(json.dumps([{**ce, "id": m}]).encode(), query="bodySHA256=zz"),
        "events-wrong-signature": lambda i: r.events(json.dumps([{**ce, "id": m}]).encode(), signed=False),
        "events-hash-of-other-body": lambda i: (
            lambda req: (req[0], req[1], req[2], json.dumps([{**ce, "id": m, "x": i}]).encode())
        )(r.events(json.dumps([ce]).encode())),
        "get-on-post-endpoint": lambda i: ("GET", CONVERSATIONS, {}, b""),
        "unknown-path": lambda i: ("POST", f"/twilio/{quote(m)}/../../etc", {}, m.encode()),
        "header-injection": lambda i: (
            "POST",
            CONVERSATIONS,
            {"X-Twilio-Signature": "a" * 5000, "Content-Type": "application/x-www-form-urlencoded"},
            urlencode({"Body": m}).encode(),
        ),  # noqa: E501
        # signed, hostile content: refused with 4xx (or stored when it is valid after all)
        "signed-missing-event-type": lambda i: r.signed_form(EventType=None),
        "signed-unknown-event-type": lambda i: r.signed_form(EventType="onSomethingElse"),
        "signed-pre-action": lambda i: r.signed_form(EventType="onMessageAdd"),
        "signed-missing-conversation": lambda i: r.signed_form(ConversationSid=None),
        "signed-bad-sid": lambda i: r.signed_form(ConversationSid="CHxyz"),
        "signed-index-uint32-overflow": lambda i: r.signed_form(Index="4294967296"),
        "signed-index-40-digits": lambda i: r.signed_form(Index="1" * 40),
        "signed-index-negative": lambda i: r.signed_form(Index="-5"),
        "signed-index-text": lambda i: r.signed_form(Index="ten"),
        "signed-date-garbage": lambda i: r.signed_form(DateCreated="yesterday-ish"),
        "signed-date-year-99999": lambda i: r.signed_form(DateCreated="99999-01-01T00:00:00Z"),
        "signed-attributes-not-json": lambda i: r.signed_form(Attributes="{not json"),
        "signed-attributes-5000-deep": lambda i: r.signed_form(Attributes=deep),
        "signed-attributes-huge-array": lambda i: r.signed_form(Attributes=json.dumps(list(range(20000)))),
        "signed-media-5000-deep": lambda i: r.signed_form(Media=deep),
        "signed-control-characters": lambda i: r.signed_form(Body="a\x00b\x07c\x1bd\u202e"),
        "signed-repeated-keys": lambda i: r.form([*_form().items(), ("Index", "9")], signed=True),
        "signed-long-key": lambda i: r.form([*_form().items(), ("K" * 3000, "v")], signed=True),
        "signed-unicode-keys": lambda i: r.form([*_form().items(), ("ключ", "значение")], signed=True),
        "signed-source-unknown": lambda i: r.signed_form(Source="CARRIER_PIGEON"),
        "signed-state-weird": lambda i: r.form(
            [*_form("onConversationStateUpdated").items(), ("StateTo", "x" * 300)], signed=True
        ),  # noqa: E501
        "events-body-5000-deep": lambda i: r.events(deep.encode()),
        "events-data-5000-deep": lambda i: r.events(
            ("[" + json.dumps({**ce, "data": "DEEP"}).replace('"DEEP"', deep) + "]").encode()
        ),  # noqa: E501
        "events-not-an-array": lambda i: r.events(json.dumps(ce).encode()),
        "events-array-of-numbers": lambda i: r.events(json.dumps([1, 2, 3]).encode()),
        "events-unknown-type": lambda i: r.events(json.dumps([{**ce, "type": "com.twilio.x.y"}]).encode()),
        "events-many-items": lambda i: r.events(
            json.dumps([{**ce, "id": f"many-{i}-{n}"} for n in range(300)]).encode()
        ),  # noqa: E501
        "events-time-garbage": lambda i: r.events(json.dumps([{**ce, "time": "not a time"}]).encode()),
        "events-missing-id": lambda i: r.events(json.dumps([{k: v for k, v in ce.items() if k != "id"}]).encode()),
        "events-missing-data": lambda i: r.events(json.dumps([{k: v for k, v in ce.items() if k != "data"}]).encode()),
        "events-body-not-string": lambda i: r.events(
            json.dumps([{**ce, "data": {**ce["data"], "MessageBody": [1, {"a": 2}]}}]).encode()
        ),  # noqa: E501
        "events-huge-number": lambda i: r.events(
            json.dumps([{**ce, "data": {**ce["data"], "Index": 10**40}}]).encode()
        ),  # noqa: E501
        "events-invalid-utf8": lambda i: r.events(b'[{"id": "\xff\xfe"}]'),
    }


def _send(client: httpx.Client, base: str, request: Request) -> int:
    method, path, headers, body = request
    return client.request(method, f"{base}{path}", headers=headers, content=body).status_code


def test_thousands_of_hostile_requests_get_no_5xx_and_leave_no_trace(make_deployment: Callable[[], Deployment]) -> None:
    deployment = make_deployment()
    worker = deployment.worker().start()
    marker = f"FUZZMARK{secrets.token_hex(6)}"
    builder = Requests(deployment, marker)
    kinds = _kinds(builder)
    assert len(kinds) >= 40
    plan = [(name, i) for name in kinds for i in range(REQUESTS_PER_KIND)]
    random.Random(7).shuffle(plan)
    assert len(plan) >= 2000

    statuses: Counter[tuple[str, int]] = Counter()
    with httpx.Client(timeout=_TIMEOUT_S) as client:
        for name, i in plan:
            statuses[(name, _send(client, deployment.ingest_url, kinds[name](i)))] += 1
        server_errors = {k: v for k, v in statuses.items() if k[1] >= 500}
        assert not server_errors, f"5xx answers: {server_errors}"
        assert client.get(f"{deployment.ingest_url}/twilio/health").status_code == 200

    # Valid traffic after the fuzz is stored.
    valid_ids = []
    with httpx.Client(timeout=_TIMEOUT_S) as client:
        for n in range(VALID_AFTER):
            form = {**_form(), "Body": f"valid after fuzz {n}", "MessageSid": "IM" + f"{n:032x}"}
            request = builder.form(list(form.items()), signed=True, token=f"after-{n}")
            assert _send(client, deployment.ingest_url, request) == 200
            valid_ids.append(webhook_event_id(form))  # the natural key, whatever the token

    def stored() -> bool:
        with deployment.clickhouse() as ch:
            rows = query_rows(
                ch, "SELECT count() FROM events FINAL WHERE event_id IN {ids:Array(String)}", ids=valid_ids
            )
        return rows[0][0] == VALID_AFTER

    wait_for(stored, 120, "the valid events posted after the fuzz")
    assert worker.process is not None and worker.process.poll() is None

    for topic in ("twilio.conversations.raw", "cx.events.redacted"):
        assert not any(marker.encode() in value for value in deployment.topic_messages(topic)), topic
    with deployment.clickhouse() as ch:
        for table in ("events", "messages", "conversations", "dlq_events", "sink_rejections"):
            assert marker not in dump_table(ch, table), table
    assert marker not in worker.log_text()
