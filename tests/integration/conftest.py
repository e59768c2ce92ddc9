"""Integration fixtures: the real broker and the real ClickHouse engine, started once per test session.

The stack is reused when it already runs (``cxpulse stack up`` in .ci/run, or a developer's), started
otherwise; with ``CXPULSE_TEST_DOCKER=1`` and a Docker daemon answering, testcontainers provides Apache
Kafka and ClickHouse server instead. Each test isolates itself with a fresh topic prefix, database, consumer
group and ingest port, so tests never see each other's data.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from pydantic import SecretStr

from cxpulse.kafka_auth import child_env, confluent_config, pinned
from cxpulse.settings import Settings
from cxpulse.simulate import WebhookPost, generate_posts, sign
from schemas.events import AuthorRole, ConversationEvent, EventType
from sinks.clickhouse import Client, make_client
from sinks.migrate import apply_migrations
from streams.topics import ensure_topics

pytestmark = pytest.mark.integration

_WORKER_START_TIMEOUT_S = 90
_SESSION_PSEUDONYM_SALT = secrets.token_urlsafe(16)
_SESSION_QA_SALT = secrets.token_urlsafe(16)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, poll: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    if not predicate():
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - no daemon, no socket, no permission: all mean "no docker"
        return False


@pytest.fixture(scope="session")
def stack_settings() -> Iterator[Settings]:
    """Settings pointing at a healthy Kafka + ClickHouse for the whole session."""
    base = Settings()
    if os.environ.get("CXPULSE_TEST_DOCKER") == "1":
        if not _docker_answers():
            pytest.skip("CXPULSE_TEST_DOCKER=1 but no Docker daemon answers")
        yield from _testcontainers_stack(base)
        return
    from cxpulse.stack.manager import Stack

    stack = Stack(base)
    started = stack.up()
    try:
        yield base
    finally:
        for name, outcome in started.items():
            if outcome == "started":
                getattr(stack, name).down()


def _testcontainers_stack(base: Settings) -> Iterator[Settings]:
    from testcontainers.clickhouse import ClickHouseContainer
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer("apache/kafka:4.1.0").with_kraft() as kafka, ClickHouseContainer() as clickhouse:
        url = f"http://{clickhouse.get_container_host_ip()}:{clickhouse.get_exposed_port(8123)}"
        yield base.model_copy(
            update={
                "kafka": base.kafka.model_copy(
                    update={"bootstrap_servers": kafka.get_bootstrap_server(), "security_protocol": "PLAINTEXT"}
                ),
                "clickhouse": base.clickhouse.model_copy(
                    update={"url": url, "username": clickhouse.username, "password": SecretStr(clickhouse.password)}
                ),
            }
        )


@dataclass
class Deployment:
    """One isolated cxpulse deployment on the shared stack."""

    settings: Settings
    env: dict[str, str]
    workdir: Path
    workers: list[WorkerProcess] = field(default_factory=list)

    @property
    def ingest_url(self) -> str:
        return f"http://{self.settings.ingest.host}:{self.settings.ingest.port}"

    def clickhouse(self) -> Client:
        return make_client(self.settings.clickhouse)

    def worker(self) -> WorkerProcess:
        worker = WorkerProcess(self, index=len(self.workers))
        self.workers.append(worker)
        return worker

    def topic_messages(self, base_name: str) -> list[bytes]:
        """Every record value currently in one of this deployment's topics (``base_name`` without the prefix)."""
        return [value for _, value in self.topic_records(self.settings.topic(base_name)) if value is not None]

    def topic_records(self, name: str) -> list[tuple[bytes | None, bytes | None]]:
        """(key, value) of every record currently in topic ``name`` (full name; a None value is a tombstone),
        read from the beginning up to the high watermarks."""
        consumer = Consumer(
            confluent_config(
                self.settings,
                "admin",
                **{
                    "group.id": f"inspect-{secrets.token_hex(4)}",
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                },
            )
        )
        try:
            partitions = consumer.list_topics(name, timeout=10).topics[name].partitions
            ends = {p: consumer.get_watermark_offsets(TopicPartition(name, p), timeout=10)[1] for p in partitions}
            consumer.assign([TopicPartition(name, p, 0) for p in partitions])
            remaining = {p for p, end in ends.items() if end > 0}
            records: list[tuple[bytes | None, bytes | None]] = []
            deadline = time.monotonic() + 60
            while remaining and time.monotonic() < deadline:
                message = consumer.poll(1.0)
                if message is None or message.error():
                    continue
                records.append((message.key(), message.value()))
                if message.offset() + 1 >= ends[message.partition()]:
                    remaining.discard(message.partition())
            assert not remaining, f"could not read {name} to its end"
            return records
        finally:
            consumer.close()

    def end_offsets(self, base_name: str) -> int:
        """The sum of a topic's high watermarks: how many records it ever received."""
        name = self.settings.topic(base_name)
        consumer = Consumer(confluent_config(self.settings, "admin", **{"group.id": "offsets"}))
        try:
            partitions = consumer.list_topics(name, timeout=10).topics[name].partitions
            return sum(consumer.get_watermark_offsets(TopicPartition(name, p), timeout=10)[1] for p in partitions)
        finally:
            consumer.close()


class WorkerProcess:
    """``cxpulse worker`` as a subprocess of the test, with its own log file."""

    def __init__(self, deployment: Deployment, index: int) -> None:
        self.deployment = deployment
        self.log_path = deployment.workdir / f"worker-{index}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> WorkerProcess:
        self.started_at = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cxpulse", "worker", "--no-migrate"],
                env={**os.environ, **self.deployment.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.deployment.workdir,
                start_new_session=True,
            )
        health = f"{self.deployment.ingest_url}/twilio/health"

        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(healthy, _WORKER_START_TIMEOUT_S, "the worker's ingest endpoint")
        return self

    def seconds_until_processing(self, timeout: float = _WORKER_START_TIMEOUT_S) -> float:
        """Seconds from the process's start until ``/health/processing`` says its consumer holds partitions."""
        url = f"{self.deployment.ingest_url}/health/processing"

        def processing() -> bool:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(processing, timeout, "the worker to be assigned partitions", poll=0.1)
        return time.monotonic() - self.started_at

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> float | None:
        """Signal the worker and wait for it; returns the seconds it took to exit (None: it had to be killed,
        or was not running)."""
        if self.process is None or self.process.poll() is not None:
            return None
        started = time.monotonic()
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=timeout)
            return time.monotonic() - started
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            return None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def clickhouse_password_env(settings: Settings) -> dict[str, str]:
    """Environment that gives a child process the same ClickHouse password as ``settings`` (no secret in ``ps``)."""
    clickhouse = settings.clickhouse
    if clickhouse.password.get_secret_value():
        return {"CXPULSE_CLICKHOUSE__PASSWORD": clickhouse.password.get_secret_value()}
    if clickhouse.password_file is not None:
        return {"CXPULSE_CLICKHOUSE__PASSWORD_FILE": str(clickhouse.password_file)}
    return {}


def _deployments(
    stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Deployment]]:
    """Factory of isolated deployments; their workers are stopped at teardown."""
    created: list[Deployment] = []

    def factory() -> Deployment:
        uid = secrets.token_hex(4)
        workdir = tmp_path_factory.mktemp(f"deploy-{uid}")
        port = free_port()
        token = secrets.token_hex(16)
        overrides = {
            "CXPULSE_KAFKA__TOPIC_PREFIX": f"t{uid}.",
            "CXPULSE_KAFKA__PARTITIONS": "2",
            "CXPULSE_CLICKHOUSE__DATABASE": f"t_{uid}",
            "CXPULSE_WORKER__APP_ID": f"cxpulse-t{uid}",
            "CXPULSE_INGEST__PORT": str(port),
            "CXPULSE_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "CXPULSE_TWILIO_AUTH_TOKEN": token,
            # the worker refuses to start without them (no public defaults); one pair per test session, so
            # deployments compared with each other pseudonymise and sample alike (one tenant)
            "CXPULSE_REDACTION__PSEUDONYM_SALT": _SESSION_PSEUDONYM_SALT,
            "CXPULSE_QA__RANDOM_SALT": _SESSION_QA_SALT,
            "CXPULSE_STACK__STATE_DIR": str(workdir / "state"),
            "KAFKA_BOOTSTRAP_SERVERS": stack_settings.kafka.bootstrap_servers,
            "CLICKHOUSE_URL": stack_settings.clickhouse.url,
            # the shared stack's ClickHouse password (the deployment's own state dir has none)
            **clickhouse_password_env(stack_settings),
            "CXPULSE_SINK__FLUSH_INTERVAL_S": "0.3",
            # Each test runs the stages it tests: the SLA and QA tests switch their stages on.
            "CXPULSE_SLA__ENABLED": "0",
            "CXPULSE_QA__ENABLED": "0",
            # the worker authenticates as the worker principal (its own state dir holds no stack passwords) ...
            **child_env(stack_settings, "worker"),
        }
        settings = stack_settings.model_copy(
            update={
                # ... while the test itself is the admin: it creates topics and ACLs and inspects every topic
                "kafka": pinned(stack_settings, "admin").model_copy(
                    update={"topic_prefix": f"t{uid}.", "partitions": 2}
                ),
                "clickhouse": stack_settings.clickhouse.model_copy(update={"database": f"t_{uid}"}),
                "worker": stack_settings.worker.model_copy(update={"app_id": f"cxpulse-t{uid}"}),
                "ingest": stack_settings.ingest.model_copy(update={"port": port}),
                "public_url": f"http://127.0.0.1:{port}",
                "twilio_auth_token": SecretStr(token),
                "redaction": stack_settings.redaction.model_copy(
                    update={"pseudonym_salt": SecretStr(overrides["CXPULSE_REDACTION__PSEUDONYM_SALT"])}
                ),
                "qa": stack_settings.qa.model_copy(
                    update={"random_salt": SecretStr(overrides["CXPULSE_QA__RANDOM_SALT"])}
                ),
                "stack": stack_settings.stack.model_copy(update={"state_dir": workdir / "state"}),
            }
        )
        ensure_topics(settings)
        apply_migrations(settings)
        deployment = Deployment(settings=settings, env=overrides, workdir=workdir)
        created.append(deployment)
        return deployment

    yield factory
    for deployment in created:
        for worker in deployment.workers:
            worker.stop()


@pytest.fixture
def make_deployment(
    stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Deployment]]:
    yield from _deployments(stack_settings, tmp_path_factory)


@pytest.fixture(scope="module")
def make_deployment_module(
    stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Deployment]]:
    yield from _deployments(stack_settings, tmp_path_factory)


def query_rows(client: Client, sql: str, **parameters: object) -> list[tuple]:
    return [tuple(row) for row in client.query(sql, parameters=parameters).result_rows]


def dump_table(client: Client, table: str) -> str:
    """A whole table as text, to grep for values that must not be there."""
    raw = client.raw_query(f"SELECT * FROM {table} FORMAT JSONEachRow")
    return raw.decode("utf-8", "replace") + json.dumps(table)


def signed_message_post(deployment: Deployment, body: str, author: str, tag: str) -> WebhookPost:
    """A real simulated onMessageAdded post with our own body and author, dated now (older rows would fall
    outside the ClickHouse retention TTL and be dropped on insert). Each call is a new message (its own
    MessageSid): the event id is the natural key ``message.added:<MessageSid>``, not the idempotency token."""
    posts = generate_posts(seed=99, settings=deployment.settings.simulator, start=datetime.now(UTC))
    post = next(p for p in itertools.islice(posts, 500) if p.form["EventType"] == "onMessageAdded")
    form = {**post.form, "Body": body, "Author": author, "MessageSid": "IM" + secrets.token_hex(16)}
    return WebhookPost(
        path=post.path,
        form=form,
        idempotency_token=f"{post.idempotency_token}-{tag}",
        conversation_sid=post.conversation_sid,
        pii=(body, author),
    )


def post_signed(
    deployment: Deployment, post: WebhookPost, headers: dict[str, str] | None = None, content: bytes | None = None
) -> httpx.Response:
    token = deployment.settings.twilio_auth_token
    assert token is not None
    signed = sign(post, auth_token=token.get_secret_value(), base_url=deployment.settings.public_url)
    return httpx.post(
        f"{deployment.ingest_url}{post.path}",
        data=None if content is not None else post.form,
        content=content,
        headers={**signed, **(headers or {})},
        timeout=10,
    )


def page_text(app: object) -> str:
    """Everything a ``streamlit.testing`` AppTest rendered, as text (element protos plus the values of tables
    and dataframes), to grep for values that must not be there."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(app._tree)  # type: ignore[attr-defined]
    parts += [t.value.to_csv() for t in app.table] + [d.value.to_csv() for d in app.dataframe]  # type: ignore[attr-defined]
    return "\n".join(parts)


SEED_ACCOUNT = "AC" + "0" * 32


def seeded_conversation(
    n: int, channel: str, at: datetime, *, queue: str = "billing", customer: str = "cust_1"
) -> list[ConversationEvent]:
    """A stored-shape conversation for dashboard seeds: conversation.added, one customer message (redacted
    body, channel from the customer) and one agent reply (``chat``, as agents answer from a web app)."""
    sid = f"CH{n:032x}"
    common = {"account_sid": SEED_ACCOUNT, "conversation_sid": sid, "redacted": True, "received_at": at}
    return [
        ConversationEvent(
            event_id=f"{sid}-a",
            event_type=EventType.CONVERSATION_ADDED,
            channel=channel,
            queue=queue,
            occurred_at=at,
            **common,
        ),
        ConversationEvent(
            event_id=f"{sid}-m0",
            event_type=EventType.MESSAGE_ADDED,
            channel=channel,
            message_sid=f"IM{n:030x}00",
            index=0,
            author=customer,
            author_role=AuthorRole.CUSTOMER,
            body="my card is <CREDIT_CARD>",
            occurred_at=at + timedelta(seconds=1),
            **common,
        ),
        ConversationEvent(
            event_id=f"{sid}-m1",
            event_type=EventType.MESSAGE_ADDED,
            channel="chat",
            message_sid=f"IM{n:030x}01",
            index=1,
            author="agent:sam",
            author_role=AuthorRole.AGENT,
            body="on it",
            occurred_at=at + timedelta(seconds=30),
            **common,
        ),
    ]
