"""``cxpulse ingest``'s web application: the same answers as the worker's embedded ingest, nothing else served."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from cxpulse.settings import Settings
from schemas.events import ConversationEvent
from streams.ingest import CONVERSATIONS_PATH, EVENTS_PATH, IngestService, register_views
from streams.ingest_http import build_app

pytestmark = pytest.mark.usefixtures("defaults_only_settings")

DATA = Path(__file__).resolve().parents[2] / "data" / "twilio"
PUBLIC_URL = "https://cxpulse.example.com"
TOKEN = "cxpulse-sample-auth-token"
MAX_BODY = 4096


class Recorder:
    def __init__(self) -> None:
        self.events: list[ConversationEvent] = []

    async def __call__(self, events: Sequence[ConversationEvent]) -> None:
        self.events.extend(events)


def _service(recorder: Recorder) -> IngestService:
    settings = Settings(twilio_auth_token=TOKEN, public_url=PUBLIC_URL, ingest={"max_body_bytes": MAX_BODY})
    return IngestService(settings, recorder)


def _form(name: str = "onMessageAdded") -> dict[str, str]:
    return json.loads((DATA / "webhooks" / f"{name}.json").read_text())["form"]


def _form_post(form: dict[str, str], signature: str | None = None) -> dict[str, Any]:
    good = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{CONVERSATIONS_PATH}", form)
    return {
        "method": "POST",
        "path": CONVERSATIONS_PATH,
        "data": urlencode(form).encode(),
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature if signature is not None else good,
        },
    }


def _events_post() -> dict[str, Any]:
    body = json.dumps([json.loads((DATA / "cloudevents" / "message.added.json").read_text())]).encode()
    path = f"{EVENTS_PATH}?bodySHA256={hashlib.sha256(body).hexdigest()}"
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{path}", {})
    return {
        "method": "POST",
        "path": path,
        "data": body,
        "headers": {"Content-Type": "application/json", "X-Twilio-Signature": signature},
    }


#: One of each answer the edge gives: accepted, duplicate, bad signature, malformed, too large, Event Streams.
REQUESTS: list[dict[str, Any]] = [
    _form_post(_form()),
    _form_post(_form()),
    _form_post(_form(), signature="AAAA"),
    {**_form_post(_form()), "headers": {"Content-Type": "text/plain", "X-Twilio-Signature": "x"}},
    _form_post({**_form(), "Body": "x" * (MAX_BODY + 1)}),
    _events_post(),
    {"method": "GET", "path": "/twilio/health"},
]


async def _answers(client: TestClient, requests: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    answers = []
    for request in requests:
        response = await client.request(
            request["method"], request["path"], data=request.get("data"), headers=request.get("headers")
        )
        answers.append((response.status, await response.json()))
    return answers


def _standalone(recorder: Recorder, ready: bool = True) -> TestServer:
    return TestServer(build_app(_service(recorder), lambda: ready, MAX_BODY))


def test_standalone_ingest_answers_exactly_as_the_worker_s_embedded_ingest() -> None:
    """One request path (``answer_post``) behind both servers: the same posts get the same answers and produce the
    same events, so moving ingest out of the worker changes nothing Twilio sees."""
    import faust

    async def standalone() -> tuple[list[tuple[int, Any]], list[ConversationEvent]]:
        recorder = Recorder()
        async with TestClient(_standalone(recorder)) as client:
            return await _answers(client, REQUESTS), recorder.events

    async def embedded() -> tuple[list[tuple[int, Any]], list[ConversationEvent]]:
        recorder = Recorder()
        app = faust.App("cxpulse-parity-test", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=True)
        service = _service(recorder)
        register_views(app, lambda: service)
        app.web.init_server()
        async with TestClient(TestServer(app.web.web_app)) as client:
            return await _answers(client, REQUESTS), recorder.events

    alone, produced_alone = asyncio.run(standalone())
    inside, produced_inside = asyncio.run(embedded())
    assert [status for status, _ in alone] == [200, 200, 403, 400, 413, 200, 200]
    assert alone == inside
    assert [e.event_id for e in produced_alone] == [e.event_id for e in produced_inside]
    assert len(produced_alone) == 2, "the duplicate was not produced again; the message and the CloudEvent were"


def test_health_says_starting_until_the_raw_topic_is_writable() -> None:
    async def probe(ready: bool) -> tuple[int, Any]:
        async with TestClient(_standalone(Recorder(), ready)) as client:
            response = await client.get("/twilio/health")
            return response.status, await response.json()

    assert asyncio.run(probe(False)) == (503, {"status": "starting"})
    assert asyncio.run(probe(True)) == (200, {"status": "ok"})


def test_the_public_port_serves_nothing_but_ingest() -> None:
    """No faust views, no worker health, no index, no GET on the endpoints: the port faces the internet."""
    paths = ["/", "/health/processing", "/table/", "/router/", "/stats/", "/graph/", "/metrics"]

    async def probe() -> dict[str, int]:
        async with TestClient(_standalone(Recorder())) as client:
            statuses = {path: (await client.get(path)).status for path in paths}
            statuses["GET " + CONVERSATIONS_PATH] = (await client.get(CONVERSATIONS_PATH)).status
            return statuses

    statuses = asyncio.run(probe())
    assert {p: statuses[p] for p in paths} == dict.fromkeys(paths, 404)
    assert statuses["GET " + CONVERSATIONS_PATH] == 405


def test_a_body_announced_over_the_limit_is_refused_before_it_is_read() -> None:
    recorder = Recorder()

    async def post() -> tuple[int, Any]:
        async with TestClient(_standalone(recorder)) as client:
            response = await client.post(
                CONVERSATIONS_PATH,
                data=b"x" * (MAX_BODY * 4),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            return response.status, await response.json()

    assert asyncio.run(post()) == (413, {"error": "too_large", "message": "request body over the configured limit"})
    assert recorder.events == []
