"""The ingest edge's security rules: token rotation, the AccountSid allowlist, replays with a fresh idempotency
token, and what the public port serves (docs/security-notes-twilio.md)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError
from twilio.request_validator import RequestValidator

from cxpulse.settings import Settings
from schemas.events import ConversationEvent, EventType
from streams.ingest import CONVERSATIONS_PATH, EVENTS_PATH, IngestResponse, IngestService

DATA = Path(__file__).resolve().parents[2] / "data" / "twilio"
PUBLIC_URL = "https://cxpulse.example.com"
OLD_TOKEN = "the-token-being-retired"
NEW_TOKEN = "the-token-being-promoted"
OTHER_TOKEN = "a-token-this-deployment-never-had"
OUR_ACCOUNT = "ACe268443e43d93dab7ebef303bbe9642f"  # the samples' AccountSid
FOREIGN_ACCOUNT = "AC" + "f" * 32


class Recorder:
    """Stands in for Kafka: records what would be produced."""

    def __init__(self) -> None:
        self.events: list[ConversationEvent] = []

    async def __call__(self, events: Sequence[ConversationEvent]) -> None:
        self.events.extend(events)


def _service(producer: Recorder, **overrides: Any) -> IngestService:
    values: dict[str, Any] = {"twilio_auth_token": OLD_TOKEN, "public_url": PUBLIC_URL, **overrides}
    return IngestService(Settings(**values), producer)


def _form(name: str = "onMessageAdded") -> dict[str, str]:
    return json.loads((DATA / "webhooks" / f"{name}.json").read_text())["form"]


def _cloudevent(name: str = "message.added") -> dict[str, Any]:
    return json.loads((DATA / "cloudevents" / f"{name}.json").read_text())


def _post_form(
    service: IngestService, form: dict[str, str], *, token: str, idempotency_token: str = "tok-1"
) -> IngestResponse:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(token).compute_signature(f"{PUBLIC_URL}{CONVERSATIONS_PATH}", form),
        "I-Twilio-Idempotency-Token": idempotency_token,
    }
    return asyncio.run(service.conversations_webhook(headers, CONVERSATIONS_PATH, urlencode(form).encode()))


def _post_events(service: IngestService, items: list[dict[str, Any]], *, token: str) -> IngestResponse:
    body = json.dumps(items).encode()
    path_qs = f"{EVENTS_PATH}?bodySHA256={hashlib.sha256(body).hexdigest()}"
    signature = RequestValidator(token).compute_signature(f"{PUBLIC_URL}{path_qs}", {})
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": signature}
    return asyncio.run(service.event_streams(headers, path_qs, body))


# --------------------------------------------------------------------------------------------------------
# Token rotation
# --------------------------------------------------------------------------------------------------------


def test_during_a_rotation_posts_signed_with_either_token_are_accepted_and_with_neither_refused() -> None:
    producer = Recorder()
    service = _service(producer, twilio_secondary_auth_token=NEW_TOKEN)
    form = _form()
    promoted = _post_form(service, form, token=NEW_TOKEN)
    assert promoted.status == 200
    old = _post_form(service, {**form, "MessageSid": "IM" + "1" * 32}, token=OLD_TOKEN)
    assert old.status == 200
    forged = _post_form(service, {**form, "MessageSid": "IM" + "2" * 32}, token=OTHER_TOKEN)
    assert (forged.status, forged.payload["error"]) == (403, "bad_signature")
    assert len(producer.events) == 2
    # why the secondary exists: without it, promoting the new token in Twilio refuses every post
    assert _post_form(_service(Recorder()), form, token=NEW_TOKEN).status == 403


def test_event_streams_deliveries_signed_with_the_secondary_token_are_accepted() -> None:
    producer = Recorder()
    service = _service(producer, twilio_secondary_auth_token=NEW_TOKEN)
    assert _post_events(service, [_cloudevent()], token=NEW_TOKEN).status == 200
    assert _post_events(service, [{**_cloudevent(), "id": "EZ-other"}], token=OLD_TOKEN).status == 200
    assert _post_events(service, [{**_cloudevent(), "id": "EZ-forged"}], token=OTHER_TOKEN).status == 403
    assert [e.event_id for e in producer.events] == [_cloudevent()["id"], "EZ-other"]


def test_auth_tokens_are_tried_primary_first_without_blanks_or_repeats() -> None:
    assert Settings(twilio_auth_token="a", twilio_secondary_auth_token="b").twilio_auth_tokens() == ("a", "b")
    assert Settings(twilio_auth_token="a", twilio_secondary_auth_token="a").twilio_auth_tokens() == ("a",)
    assert Settings(twilio_auth_token="a", twilio_secondary_auth_token="").twilio_auth_tokens() == ("a",)
    assert Settings(twilio_auth_token=None).twilio_auth_tokens() == ()


def test_the_secondary_token_is_read_from_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXPULSE_TWILIO_AUTH_TOKEN", OLD_TOKEN)
    monkeypatch.setenv("CXPULSE_TWILIO_SECONDARY_AUTH_TOKEN", NEW_TOKEN)
    assert Settings().twilio_auth_tokens() == (OLD_TOKEN, NEW_TOKEN)


# --------------------------------------------------------------------------------------------------------
# AccountSid allowlist
# --------------------------------------------------------------------------------------------------------


def test_a_signed_webhook_of_an_unlisted_account_is_a_clear_403_and_nothing_is_produced() -> None:
    producer = Recorder()
    service = _service(producer, ingest={"account_sids": [OUR_ACCOUNT]})
    foreign = _post_form(service, {**_form(), "AccountSid": FOREIGN_ACCOUNT}, token=OLD_TOKEN)
    assert foreign.status == 403
    assert foreign.payload == {
        "error": "account_not_allowed",
        "message": "this AccountSid is not in ingest.account_sids",
    }
    assert producer.events == []
    assert service.counters["account_not_allowed"] == 1
    assert _post_form(service, _form(), token=OLD_TOKEN).status == 200
    assert [e.account_sid for e in producer.events] == [OUR_ACCOUNT]
    # an empty list (the default) accepts any account whose signature verifies
    assert _post_form(_service(Recorder()), {**_form(), "AccountSid": FOREIGN_ACCOUNT}, token=OLD_TOKEN).status == 200


def test_the_signature_is_checked_before_the_account() -> None:
    service = _service(Recorder(), ingest={"account_sids": [OUR_ACCOUNT]})
    unsigned = _post_form(service, {**_form(), "AccountSid": FOREIGN_ACCOUNT}, token=OTHER_TOKEN)
    assert unsigned.payload["error"] == "bad_signature"


def test_a_webhook_without_an_account_is_refused_by_the_allowlist_not_a_500() -> None:
    service = _service(Recorder(), ingest={"account_sids": [OUR_ACCOUNT]})
    form = {k: v for k, v in _form().items() if k != "AccountSid"}
    assert _post_form(service, form, token=OLD_TOKEN).status == 403


def test_an_event_streams_delivery_with_an_unlisted_account_is_refused_whole() -> None:
    producer = Recorder()
    service = _service(producer, ingest={"account_sids": [OUR_ACCOUNT]})
    foreign = _cloudevent()
    foreign = {**foreign, "id": "EZ-foreign", "data": {**foreign["data"], "AccountSid": FOREIGN_ACCOUNT}}
    response = _post_events(service, [_cloudevent(), foreign], token=OLD_TOKEN)
    assert (response.status, response.payload["error"]) == (403, "account_not_allowed")
    assert producer.events == []


@pytest.mark.parametrize("entry", ["", "AC", "ac" + "0" * 32, "XX" + "0" * 32, "AC 123", OUR_ACCOUNT + "!"])
def test_a_malformed_allowlist_entry_stops_startup(entry: str) -> None:
    with pytest.raises(ValidationError, match="AccountSid"):
        Settings(ingest={"account_sids": [entry]})


# --------------------------------------------------------------------------------------------------------
# Replays with a fresh idempotency token
# --------------------------------------------------------------------------------------------------------


def test_the_same_signed_post_replayed_with_a_fresh_token_is_one_event() -> None:
    producer = Recorder()
    service = _service(producer)
    first = _post_form(service, _form(), token=OLD_TOKEN, idempotency_token="token-from-twilio")
    replay = _post_form(service, _form(), token=OLD_TOKEN, idempotency_token="fresh-token-of-a-replayer")
    assert (first.status, replay.status) == (200, 200)
    assert len(producer.events) == 1
    assert first.payload["event_id"] == replay.payload["event_id"] == producer.events[0].event_id
    assert "token" not in producer.events[0].event_id
    assert service.counters["duplicates"] == 1


def test_twilio_retry_with_a_higher_retry_count_is_the_same_event() -> None:
    producer = Recorder()
    service = _service(producer)
    form = _form("onMessageUpdated")
    _post_form(service, form, token=OLD_TOKEN, idempotency_token="t1")
    _post_form(service, {**form, "RetryCount": "1"}, token=OLD_TOKEN, idempotency_token="t2")
    assert len(producer.events) == 1


def test_two_updates_of_one_message_stay_two_events() -> None:
    """A guard on the natural key (the old token ids kept these apart too): it must not merge real updates."""
    producer = Recorder()
    service = _service(producer)
    form = _form("onMessageUpdated")
    edits = [("edit one", "2026-03-14T09:02:30.000Z"), ("edit two", "2026-03-14T09:03:10.000Z")]
    edits.append(("edit three", "2026-03-14T09:03:10.000Z"))  # the same second: Twilio's stamps are whole seconds
    for n, (body, stamp) in enumerate(edits):
        _post_form(service, {**form, "Body": body, "DateUpdated": stamp}, token=OLD_TOKEN, idempotency_token=f"t{n}")
    assert [e.event_type for e in producer.events] == [EventType.MESSAGE_UPDATED] * 3
    assert len({e.event_id for e in producer.events}) == 3


def test_cloudevents_keep_their_own_ids() -> None:
    """A guard: the body (with ``id``) is signed, so the CloudEvent id stays the key; distinct ids stay apart."""
    producer = Recorder()
    service = _service(producer)
    event = _cloudevent()
    _post_events(service, [event, {**event, "id": "EZ-second"}], token=OLD_TOKEN)
    _post_events(service, [event], token=OLD_TOKEN)  # Event Streams redelivers: the same id
    assert [e.event_id for e in producer.events] == [event["id"], "EZ-second"]


# --------------------------------------------------------------------------------------------------------
# What the public ingest port serves
# --------------------------------------------------------------------------------------------------------

#: faust-streaming's built-in views; ``/table`` read any conversation's SLA/QA state by its SID.
BUILTIN_PATHS = ["/table/", "/router/", "/graph/", "/assignment/", "/performance/"]


def _statuses(app: Any, paths: list[str]) -> dict[str, int]:
    from aiohttp.test_utils import TestClient, TestServer

    async def probe() -> dict[str, int]:
        app.web.init_server()
        async with TestClient(TestServer(app.web.web_app)) as client:
            return {path: (await client.get(path)).status for path in paths}

    return asyncio.run(probe())


def test_the_worker_app_serves_none_of_faust_s_built_in_views(tmp_path: Path) -> None:
    import faust

    from streams.app import create_app

    # The probe finds them where faust serves them by default (so a 404 below means "not served").
    default = faust.App("cxpulse-default-views", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=True)
    assert _statuses(default, ["/table/", "/router/"]) == {"/table/": 200, "/router/": 200}

    settings = Settings(
        twilio_auth_token=OLD_TOKEN,
        redaction={"processes": 1},
        worker={"store": "memory://"},
        stack={"state_dir": str(tmp_path)},
        sla={"enabled": True},
        qa={"enabled": True},
    )
    statuses = _statuses(create_app(settings), [*BUILTIN_PATHS, "/twilio/health", "/health/processing"])
    assert {path: statuses[path] for path in BUILTIN_PATHS} == dict.fromkeys(BUILTIN_PATHS, 404)
    assert statuses["/twilio/health"] != 404 and statuses["/health/processing"] != 404  # ours stay


def test_counters_go_to_the_log_when_they_changed(caplog: pytest.LogCaptureFixture) -> None:
    service = _service(Recorder())
    _post_form(service, _form(), token=OLD_TOKEN)
    with caplog.at_level(logging.INFO, logger="streams.ingest"):
        service.log_counters()
        service.log_counters()  # unchanged: not repeated
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ingest counters")]
    assert len(lines) == 1 and "accepted=1" in lines[0] and "duplicates=0" in lines[0]
