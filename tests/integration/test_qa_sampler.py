"""The QA sampler on the real broker and the real ClickHouse engine, through the whole pipeline.

Four hand-written conversations go in as signed webhooks (ingest → redaction → data quality → SLA → QA):
one breached response, one low-confidence bot answer (with a canary e-mail address in the customer's text),
one bot → human hand-off that is later reopened, and one quick, unremarkable answer. The expected
``qa_samples`` rows are worked out by hand below, including which conversations the random 50 % share picks
(the documented rule: SHA-256 of ``salt NUL sid``, first 8 bytes big-endian / 2^64 < pct / 100). A second
worker with a fresh consumer group then replays every topic from the start: still exactly the same rows.
Finally the QA page shows the low-confidence conversation's transcript redacted, and the canary nowhere.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient
from streamlit.testing.v1 import AppTest

from cxpulse import settings as settings_module
from cxpulse.kafka_auth import confluent_config
from cxpulse.simulate import WebhookPost, generate_posts, sign
from schemas import topics
from streams.topics import ensure_topics
from tests.integration.conftest import Deployment, page_text, query_rows, wait_for

pytestmark = pytest.mark.integration

_PIPELINE_TIMEOUT_S = 180
_THRESHOLD_S = 60.0
_RANDOM_PCT = 50.0
_SALT = "qa-integration"
CANARY = "canary.sampler.5d1e@example.com"
QA_PAGE = Path(__file__).resolve().parents[2] / "dashboards" / "app_pages" / "qa.py"


def _in_random_share(sid: str) -> bool:
    digest = hashlib.sha256(f"{_SALT}\0{sid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < _RANDOM_PCT / 100


class _Script:
    """Builds webhook posts for one conversation from real simulator posts (field shapes), with our own
    conversation sid, times, bodies and attributes."""

    def __init__(self, templates: dict[str, WebhookPost], queue: str, start: datetime) -> None:
        self.templates = templates
        self.sid = "CH" + secrets.token_hex(16)
        self.start = start
        self.queue = queue
        self.index = 0
        self.posts: list[WebhookPost] = []

    def _post(self, kind: str, at_s: float, **fields: str) -> None:
        template = self.templates[kind]
        stamp = (self.start + timedelta(seconds=at_s)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        form = {**template.form, "ConversationSid": self.sid, "DateCreated": stamp, **fields}
        if "DateUpdated" in form:
            form["DateUpdated"] = stamp
        self.posts.append(
            WebhookPost(
                path=template.path, form=form, idempotency_token=secrets.token_hex(12), conversation_sid=self.sid
            )
        )

    def added(self) -> _Script:
        self._post("added", 0, Attributes=json.dumps({"channel": "chat", "queue": self.queue}))
        return self

    def says(self, who: str, at_s: float, body: str, attributes: dict | None = None) -> _Script:
        self._post(
            who,
            at_s,
            Body=body,
            Index=str(self.index),
            MessageSid="IM" + secrets.token_hex(16),
            Attributes=json.dumps(attributes or {}),
        )
        self.index += 1
        return self

    def state(self, at_s: float, state_from: str, state_to: str, reason: str) -> _Script:
        self._post("state", at_s, StateFrom=state_from, StateTo=state_to, Reason=reason)
        return self


def _templates(deployment: Deployment) -> dict[str, WebhookPost]:
    posts = list(
        itertools.islice(generate_posts(seed=7, settings=deployment.settings.simulator, start=datetime.now(UTC)), 3000)
    )
    messages = [p for p in posts if p.event_type == "onMessageAdded"]
    return {
        "added": next(p for p in posts if p.event_type == "onConversationAdded"),
        "customer": next(
            p for p in messages if p.form["Source"] == "SDK" and not p.form["Author"].startswith(("agent:", "bot:"))
        ),
        "bot": next(p for p in messages if p.form["Author"].startswith("bot:")),
        "agent": next(p for p in messages if p.form["Author"].startswith("agent:")),
        "state": next(p for p in posts if p.event_type == "onConversationStateUpdated"),
    }


def _send(deployment: Deployment, post: WebhookPost) -> None:
    token = deployment.settings.twilio_auth_token
    assert token is not None
    headers = sign(post, auth_token=token.get_secret_value(), base_url=deployment.settings.public_url)
    response = httpx.post(f"{deployment.ingest_url}{post.path}", data=post.form, headers=headers, timeout=10)
    assert response.status_code == 200, response.text


def _samples(deployment: Deployment) -> dict[str, tuple]:
    with deployment.clickhouse() as ch:
        rows = query_rows(
            ch,
            "SELECT conversation_sid, reasons, channel, queue, intent, sentiment, ai_confidence, "
            "policy_version FROM qa_samples FINAL",
        )
    return {row[0]: tuple(row[1:]) for row in rows}


def _caught_up(deployment: Deployment, group: str) -> bool:
    """Has the consumer group committed every input topic of the sampler to its end?"""
    admin = AdminClient(confluent_config(deployment.settings, "admin"))
    names = [
        deployment.settings.topic(t)
        for t in (topics.VALIDATED, topics.SLA_RESPONSES, topics.SLA_CONVERSATIONS, topics.QA_SAMPLES)
    ]
    partitions = [TopicPartition(n, p) for n in names for p in range(deployment.settings.kafka.partitions)]
    future = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, partitions)])[group]
    committed = {(tp.topic, tp.partition): tp.offset for tp in future.result().topic_partitions}
    ends = {}
    for name in names:
        ends[name] = deployment.end_offsets(name.removeprefix(deployment.settings.kafka.topic_prefix))
    by_topic: dict[str, int] = {}
    for (name, _), offset in committed.items():
        by_topic[name] = by_topic.get(name, 0) + max(offset, 0)
    return all(by_topic.get(name, 0) == end for name, end in ends.items())


def test_sampler_picks_by_policy_stores_idempotently_and_the_page_shows_it_redacted(
    make_deployment: Callable[[], Deployment], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = make_deployment()
    deployment.env.update(
        {
            "CXPULSE_SLA__ENABLED": "1",
            "CXPULSE_SLA__DEFAULT_THRESHOLD_S": str(_THRESHOLD_S),
            "CXPULSE_QA__ENABLED": "1",
            "CXPULSE_QA__RANDOM_PCT": str(_RANDOM_PCT),
            "CXPULSE_QA__RANDOM_SALT": _SALT,
            "CXPULSE_QA__LOW_CONFIDENCE_BELOW": "0.6",
            "CXPULSE_QA__POLICY_VERSION": "it-1",
        }
    )
    templates = _templates(deployment)
    start = datetime.now(UTC) - timedelta(minutes=10)

    # A: the customer waits 120 s for a human (threshold 60 s): a breached response. No bot, no hand-off.
    breach = (
        _Script(templates, "billing", start)
        .added()
        .says("customer", 1, "hello, my order never arrived")
        .says("agent", 121, "sorry, checking now")
    )
    # B: the bot is unsure (0.42 < 0.6); the customer's text carries the canary address.
    unsure = (
        _Script(templates, "support", start)
        .added()
        .says("customer", 1, f"reach me at {CANARY} please")
        .says("bot", 4, "Do you want a refund?", {"intent": "refund", "ai_confidence": 0.42, "sentiment": "negative"})
    )
    # C: answered by a human in 10 s, no bot (a human after a bot would be a hand-off): only the random share
    # can pick it.
    quiet = (
        _Script(templates, "sales", start)
        .added()
        .says("customer", 1, "what are your opening hours")
        .says("agent", 11, "nine to five")
    )
    # D: the bot hands over (escalated), an agent answers in 10 s, the conversation goes inactive, then reopens.
    handoff = (
        _Script(templates, "billing", start)
        .added()
        .says("customer", 1, "I need a person")
        .says(
            "bot",
            3,
            "Connecting you to a specialist",
            {"escalated": True, "intent": "complaint", "ai_confidence": 0.93, "sentiment": "neutral"},
        )
        .says("agent", 11, "hi, I'm here")
        .state(60, "active", "inactive", "API")
        .state(300, "inactive", "active", "EVENT")
        .says("customer", 301, "one more thing")
    )
    scripts = [breach, unsure, quiet, handoff]

    def expected(sid: str, reasons: list[str], **meta: object) -> tuple[str, tuple] | None:
        if _in_random_share(sid):
            reasons = [*reasons, "random"]
        if not reasons:
            return None
        row = {"channel": "chat", "intent": "", "sentiment": "", "ai_confidence": None, **meta}
        return sid, (
            reasons,
            row["channel"],
            row["queue"],
            row["intent"],
            row["sentiment"],
            row["ai_confidence"],
            "it-1",
        )

    wanted = dict(
        filter(
            None,
            [
                expected(breach.sid, ["breach"], queue="billing"),
                expected(
                    unsure.sid,
                    ["low_ai_confidence"],
                    queue="support",
                    intent="refund",
                    sentiment="negative",
                    ai_confidence=0.42,
                ),
                expected(quiet.sid, [], queue="sales"),
                expected(
                    handoff.sid,
                    ["escalation", "reopen"],
                    queue="billing",
                    intent="complaint",
                    sentiment="neutral",
                    ai_confidence=0.93,
                ),
            ],
        )
    )

    deployment.worker().start()
    for script in scripts:
        for post in script.posts:
            _send(deployment, post)

    def all_stored() -> bool:
        with deployment.clickhouse() as ch:
            [(responses,)] = query_rows(
                ch, "SELECT uniqExact(conversation_sid) FROM responses FINAL WHERE retracted = 0"
            )
            [(events,)] = query_rows(ch, "SELECT uniqExact(event_id) FROM events")
        return responses == 3 and events == sum(len(s.posts) for s in scripts)  # A, C, D were answered

    wait_for(all_stored, _PIPELINE_TIMEOUT_S, "every event and the three answered waits in ClickHouse")
    wait_for(lambda: _samples(deployment) == wanted, 60, f"qa_samples == {wanted}")
    wait_for(lambda: _caught_up(deployment, deployment.settings.worker.app_id), 60, "the worker caught up")
    assert _samples(deployment) == wanted
    with deployment.clickhouse() as ch:
        [(first_rows,)] = query_rows(ch, "SELECT count() FROM qa_samples")

    # Replay everything with a fresh consumer group (and an empty sampler table): the same final rows.
    deployment.workers[0].stop()
    replay_id = f"{deployment.settings.worker.app_id}-replay"
    deployment.env.update({"CXPULSE_WORKER__APP_ID": replay_id, "CXPULSE_SLA__ENABLED": "0"})
    # a new app id is a new consumer group with its own faust topics: the admin grants them (streams/acls.py)
    ensure_topics(
        deployment.settings.model_copy(
            update={"worker": deployment.settings.worker.model_copy(update={"app_id": replay_id})}
        )
    )
    deployment.worker().start()
    wait_for(lambda: _caught_up(deployment, replay_id), _PIPELINE_TIMEOUT_S, "the replay caught up")
    assert _samples(deployment) == wanted
    with deployment.clickhouse() as ch:
        [(replayed_rows,)] = query_rows(ch, "SELECT count() FROM qa_samples")
        [(per_conversation,)] = query_rows(
            ch, "SELECT max(c) FROM (SELECT count() AS c FROM qa_samples FINAL GROUP BY conversation_sid)"
        )
    assert replayed_rows >= first_rows and per_conversation == 1
    deployment.workers[1].stop()

    # The QA page: the low-confidence conversation's transcript is redacted; the canary is nowhere.
    for key, value in deployment.env.items():
        monkeypatch.setenv(key, value)
    settings_module.load_settings.cache_clear()
    try:
        app = AppTest.from_file(str(QA_PAGE), default_timeout=60).run()
        assert not app.exception, app.exception
        assert {m.label: m.value for m in app.metric}["Samples"] == str(len(wanted))
        app.selectbox[0].set_value(unsure.sid).run()
        assert not app.exception
    finally:
        settings_module.load_settings.cache_clear()
    bodies = list(app.table[0].value["body"])
    assert bodies[0] == "reach me at <EMAIL_ADDRESS> please"
    assert {m.label: m.value for m in app.metric}["AI confidence"] == "0.42"
    text = page_text(app)
    assert "reach me at <EMAIL_ADDRESS> please" in text  # the check can see the page
    assert CANARY not in text
    for worker in deployment.workers:
        assert CANARY not in worker.log_text()
