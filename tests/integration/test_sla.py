"""The SLA stage on the real broker and the real ClickHouse engine.

A customer writes and nobody answers: the live timer must mark the conversation ``breaching`` in ClickHouse
within 2 s of its threshold passing, with no further event sent. Then an agent answers: a breached response
fact is stored and the live status returns to ``idle``.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cxpulse.simulate import WebhookPost, generate_posts, sign
from tests.integration.conftest import Deployment, query_rows, wait_for

pytestmark = pytest.mark.integration

_THRESHOLD_S = 4.0
_BREACH_WITHIN_S = 2.0
_PIPELINE_TIMEOUT_S = 120


def _now_form(post: WebhookPost, **fields: str) -> WebhookPost:
    """The post dated now: the simulator's timeline starts near now, but we decide when each event happens."""
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    form = {**post.form, **fields, "DateCreated": stamp}
    if "DateUpdated" in form:
        form["DateUpdated"] = stamp
    return WebhookPost(
        path=post.path,
        form=form,
        idempotency_token=post.idempotency_token,
        conversation_sid=post.conversation_sid,
        pii=post.pii,
    )


def _send(deployment: Deployment, post: WebhookPost) -> None:
    token = deployment.settings.twilio_auth_token
    assert token is not None
    headers = sign(post, auth_token=token.get_secret_value(), base_url=deployment.settings.public_url)
    response = httpx.post(f"{deployment.ingest_url}{post.path}", data=post.form, headers=headers, timeout=10)
    assert response.status_code == 200, response.text


def _conversation(deployment: Deployment) -> list[WebhookPost]:
    posts = list(
        itertools.islice(generate_posts(seed=41, settings=deployment.settings.simulator, start=datetime.now(UTC)), 3000)
    )
    sid = next(
        p.conversation_sid
        for p in posts
        if p.event_type == "onMessageAdded" and p.form.get("Author", "").startswith("agent:")
    )
    return [p for p in posts if p.conversation_sid == sid]


def _live(deployment: Deployment, sid: str) -> tuple[str, datetime | None] | None:
    with deployment.clickhouse() as ch:
        rows = query_rows(ch, "SELECT status, breach_at FROM sla_live FINAL WHERE conversation_sid = {s:String}", s=sid)
    return rows[0] if rows else None


def test_unanswered_conversation_breaches_live_then_the_reply_is_a_breached_response(
    make_deployment: Callable[[], Deployment],
) -> None:
    deployment = make_deployment()
    deployment.env["CXPULSE_SLA__ENABLED"] = "1"
    deployment.env["CXPULSE_SLA__DEFAULT_THRESHOLD_S"] = str(_THRESHOLD_S)
    deployment.worker().start()
    posts = _conversation(deployment)
    sid = posts[0].conversation_sid
    added = next(p for p in posts if p.event_type == "onConversationAdded")
    messages = [p for p in posts if p.event_type == "onMessageAdded"]
    customer = next(p for p in messages if not p.form["Author"].startswith(("bot:", "agent:")))
    agent = next(p for p in messages if p.form["Author"].startswith("agent:"))

    # Warm the pipeline (the redaction model loads on the first batch) with the conversation itself.
    _send(deployment, _now_form(added))
    wait_for(lambda: _live(deployment, sid) is not None, _PIPELINE_TIMEOUT_S, "the conversation in sla_live")
    assert _live(deployment, sid)[0] == "idle"

    # No bot in this conversation (its participant events are left out): the customer waits for a human.
    _send(deployment, _now_form(customer, Index="0"))
    wait_for(lambda: (_live(deployment, sid) or ("",))[0] == "awaiting", 30, "the customer awaiting")
    seen_breaching: float | None = None
    breach_at: datetime | None = None
    deadline = time.monotonic() + _THRESHOLD_S + 30
    while time.monotonic() < deadline:
        status, breach_at = _live(deployment, sid) or ("", None)
        if status == "breaching":
            seen_breaching = time.time()
            break
        time.sleep(0.05)
    assert seen_breaching is not None and breach_at is not None, "never shown as breaching"
    lag_s = seen_breaching - breach_at.replace(tzinfo=UTC).timestamp()
    print(f"breaching visible in ClickHouse {lag_s:.2f} s after the threshold passed")
    assert 0 <= lag_s <= _BREACH_WITHIN_S

    # The agent finally answers: a breached first response, and the live status is idle again.
    _send(deployment, _now_form(agent, Index="1"))

    def responded() -> list[tuple]:
        with deployment.clickhouse() as ch:
            return query_rows(
                ch,
                "SELECT outcome, is_first, breached, agent, response_s, channel, queue "
                "FROM responses FINAL WHERE conversation_sid = {s:String} AND retracted = 0",
                s=sid,
            )

    wait_for(lambda: bool(responded()), 30, "the response fact")
    ((outcome, is_first, breached, agent_id, response_s, channel, queue),) = responded()
    assert (outcome, is_first, breached) == ("answered", 1, 1)
    assert agent_id == agent.form["Author"] and response_s > _THRESHOLD_S
    assert channel and channel != "unknown" and queue
    wait_for(lambda: (_live(deployment, sid) or ("",))[0] == "idle", 30, "the live status back to idle")


def _changelog(deployment: Deployment, table: str) -> list[tuple[bytes | None, bytes | None]]:
    """(key, value) of every record of a faust table's changelog (value None = a tombstone)."""
    return deployment.topic_records(f"{deployment.settings.worker.app_id}-{table}-changelog")


def test_a_closed_conversation_leaves_the_state_table_after_its_facts(
    make_deployment: Callable[[], Deployment],
) -> None:
    deployment = make_deployment()
    deployment.env["CXPULSE_SLA__ENABLED"] = "1"
    deployment.env["CXPULSE_SLA__EVICT_CLOSED_AFTER_S"] = "60"
    deployment.worker().start()
    # A whole conversation that closed more than a minute ago (in the past: the data-quality stage rejects
    # future timestamps), so its state is due for eviction as soon as it closes.
    posts = list(
        itertools.islice(
            generate_posts(
                seed=7, settings=deployment.settings.simulator, start=datetime.now(UTC) - timedelta(hours=2)
            ),
            3000,
        )
    )
    sid = next(
        p.conversation_sid
        for p in posts
        if p.event_type == "onConversationStateUpdated" and p.form.get("StateTo") == "closed"
    )
    for post in (p for p in posts if p.conversation_sid == sid):
        _send(deployment, post)

    def stored() -> list[tuple]:
        with deployment.clickhouse() as ch:
            return query_rows(
                ch, "SELECT conversation_sid FROM sla_conversations FINAL WHERE conversation_sid = {s:String}", s=sid
            )

    wait_for(lambda: bool(stored()), _PIPELINE_TIMEOUT_S, "the closed conversation's fact")
    key = json.dumps(sid).encode()
    wait_for(
        lambda: [v for k, v in _changelog(deployment, "sla-state") if k == key][-1:] == [None],
        30,
        "a tombstone as the conversation's last state-changelog record",
    )
    values = [v for k, v in _changelog(deployment, "sla-state") if k == key]
    assert len(values) >= 2 and values[-1] is None and all(v is not None for v in values[:-1])
