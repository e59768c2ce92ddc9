"""``cxpulse ingest`` as its own process on the real broker: signed posts reach the raw topic with the right key and
content while no worker runs, forged ones reach nothing, several processes share one port, the ingest principal
can do nothing but write the raw topic, and a worker with ``[worker] ingest = false`` takes the posts from Kafka
into ClickHouse."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

from cxpulse.kafka_auth import child_env, confluent_config, identity
from cxpulse.secret_env import child_environment
from cxpulse.settings import Settings
from cxpulse.simulate import WebhookPost
from schemas import topics
from schemas.events import ConversationEvent
from tests.integration.conftest import (
    Deployment,
    free_port,
    post_signed,
    query_rows,
    signed_message_post,
    wait_for,
)

pytestmark = pytest.mark.integration

#: Bounds that only stop a broken run from hanging (the start-up time itself is measured by the bench).
_INGEST_START_TIMEOUT_S = 30
_WORKER_START_TIMEOUT_S = 120
_STORE_TIMEOUT_S = 120
_STOP_TIMEOUT_S = 30
_PROBE_S = 8.0
_COUNTERS = re.compile(r"ingest counters accepted=(\d+)")


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class IngestProcess:
    """``cxpulse ingest`` as a subprocess, authenticated as the ingest principal, without the worker's salts."""

    def __init__(self, deployment: Deployment, stack_settings: Settings, name: str) -> None:
        self.deployment = deployment
        self.log_path = deployment.workdir / f"{name}.log"
        self.env = child_environment("ingest", {**deployment.env, **child_env(stack_settings, "ingest")})
        self.process: subprocess.Popen[bytes] | None = None
        self.seconds_to_ready = 0.0

    def spawn(self) -> IngestProcess:
        """Start the process without waiting for it to be ready."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cxpulse", "ingest"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.deployment.workdir,
                start_new_session=True,
            )
        return self

    def start(self) -> IngestProcess:
        started = time.monotonic()
        self.spawn()

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"ingest exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")
            return _http_status(f"{self.deployment.ingest_url}/twilio/health") == 200

        wait_for(ready, _INGEST_START_TIMEOUT_S, "cxpulse ingest to be ready", poll=0.05)
        self.seconds_to_ready = time.monotonic() - started
        return self

    def stop(self) -> int | None:
        """SIGTERM and wait; the exit code (None: it had to be killed)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            return None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def accepted(self) -> int:
        """The last ``accepted`` count this process logged (it logs its counters when it stops)."""
        counts = _COUNTERS.findall(self.log_text())
        return int(counts[-1]) if counts else 0


@pytest.fixture
def ingest_processes(stack_settings: Settings) -> Iterator[Callable[[Deployment, str], IngestProcess]]:
    started: list[IngestProcess] = []

    def start(deployment: Deployment, name: str = "ingest") -> IngestProcess:
        process = IngestProcess(deployment, stack_settings, name)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


class WorkerWithoutIngest:
    """``cxpulse worker`` with ``[worker] ingest = false``: its web server answers only ``/health/processing``."""

    def __init__(self, deployment: Deployment) -> None:
        self.port = free_port()
        self.log_path = deployment.workdir / "worker-no-ingest.log"
        env = {**os.environ, **deployment.env, "CXPULSE_WORKER__INGEST": "false"}
        env["CXPULSE_WORKER__HEALTH_PORT"] = str(self.port)
        env.pop("CXPULSE_TWILIO_AUTH_TOKEN")  # it checks no signature, so it does not get the token
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cxpulse", "worker", "--no-migrate"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=deployment.workdir,
                start_new_session=True,
            )

    def status(self, path: str) -> int:
        if self.process.poll() is not None:
            log = self.log_path.read_text(errors="replace")[-3000:]
            raise AssertionError(f"worker exited with {self.process.returncode}:\n{log}")
        return _http_status(f"http://127.0.0.1:{self.port}{path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _raw_records(deployment: Deployment) -> list[tuple[bytes | None, ConversationEvent]]:
    records = deployment.topic_records(deployment.settings.topic(topics.RAW))
    return [(key, ConversationEvent.from_json(value)) for key, value in records if value is not None]


def _posts(deployment: Deployment, count: int, tag: str) -> list[WebhookPost]:
    return [
        signed_message_post(deployment, f"{tag} message {n}: call me on +1 415 555 01{n:02d}", f"+1415555{n:04d}", tag)
        for n in range(count)
    ]


@pytest.mark.slow
def test_ingest_alone_takes_signed_posts_into_kafka_and_a_worker_without_ingest_stores_them(
    make_deployment: Callable[[], Deployment], ingest_processes: Callable[[Deployment, str], IngestProcess]
) -> None:
    deployment = make_deployment()
    ingest = ingest_processes(deployment, "ingest")
    print(f"cxpulse ingest ready {ingest.seconds_to_ready:.2f} s after spawn (measured, not asserted)")

    # no worker runs: ingest answers, and the posts wait in the raw topic
    posts = _posts(deployment, 5, "alone")
    for post in posts:
        response = post_signed(deployment, post)
        assert response.status_code == 200, response.text
    forged = signed_message_post(deployment, "forged", "+14155550999", "forged")
    response = httpx.post(
        f"{deployment.ingest_url}{forged.path}",
        data=forged.form,
        headers={"X-Twilio-Signature": "bm90LWEtc2lnbmF0dXJl", "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert response.status_code == 403 and response.json()["error"] == "bad_signature"
    assert _http_status(f"{deployment.ingest_url}/health/processing") == 404, "ingest is not the worker"

    records = _raw_records(deployment)
    assert len(records) == len(posts), "the forged post reached Kafka, or a signed one did not"
    by_sid = {event.message_sid: (key, event) for key, event in records}
    for post in posts:
        key, event = by_sid[post.form["MessageSid"]]
        assert key == post.conversation_sid.encode() == event.conversation_sid.encode()
        assert (event.body, event.author, event.event_id) == (post.form["Body"], post.form["Author"], post.event_id)
    assert forged.form["MessageSid"] not in by_sid

    # a worker that leaves ingest to `cxpulse ingest` picks them up from Kafka
    worker = WorkerWithoutIngest(deployment)
    try:
        wait_for(lambda: worker.status("/health/processing") == 200, _WORKER_START_TIMEOUT_S, "worker processing")
        assert worker.status("/twilio/health") == 404, "the worker must not serve ingest"
        later = _posts(deployment, 3, "with-worker")
        for post in later:
            assert post_signed(deployment, post).status_code == 200
        wanted = {p.event_id for p in [*posts, *later]}

        def stored() -> bool:
            with deployment.clickhouse() as ch:
                rows = query_rows(
                    ch, "SELECT event_id FROM events FINAL WHERE event_id IN {ids:Array(String)}", ids=list(wanted)
                )
            return {row[0] for row in rows} == wanted

        wait_for(stored, _STORE_TIMEOUT_S, "every posted event in ClickHouse events")
    finally:
        worker.stop()
    assert ingest.stop() == 0, ingest.log_text()[-3000:]
    assert ingest.accepted() == len(posts) + 3


def test_two_ingest_processes_share_one_port(
    make_deployment: Callable[[], Deployment], ingest_processes: Callable[[Deployment, str], IngestProcess]
) -> None:
    """SO_REUSEPORT: a second process on the same port starts, and the kernel spreads connections over both."""
    deployment = make_deployment()
    first, second = ingest_processes(deployment, "ingest-a"), ingest_processes(deployment, "ingest-b")
    posts = _posts(deployment, 40, "shared")
    for post in posts:  # one connection per post (httpx.post opens a new one), so the kernel picks a process each time
        assert post_signed(deployment, post).status_code == 200
    assert first.stop() == 0 and second.stop() == 0
    assert first.accepted() + second.accepted() == len(posts)
    assert first.accepted() > 0 and second.accepted() > 0, "one process got every connection"
    assert len(_raw_records(deployment)) == len(posts)


def _as_ingest(stack_settings: Settings) -> dict[str, object]:
    return confluent_config(stack_settings, "ingest", **{"socket.timeout.ms": int(_PROBE_S * 1000)})


def test_the_ingest_principal_writes_the_raw_topic_and_nothing_else(
    stack_settings: Settings, make_deployment: Callable[[], Deployment]
) -> None:
    if not identity(stack_settings, "ingest").sasl:
        pytest.skip("the broker runs without authentication: there are no principals to check")
    deployment = make_deployment()
    config = _as_ingest(stack_settings)

    def produce(base_name: str) -> KafkaError | None:
        producer = Producer({**config, "enable.idempotence": True, "acks": "all", "message.timeout.ms": 8000})
        outcome: list[KafkaError | None] = []
        producer.produce(
            deployment.settings.topic(base_name), key=b"CH-x", value=b"{}", on_delivery=lambda e, _: outcome.append(e)
        )
        producer.flush(_PROBE_S + 2)
        assert outcome, f"no delivery report for {base_name}"
        return outcome[0]

    assert produce(topics.RAW) is None, "the idempotent producer of the ingest principal could not write the raw topic"
    for base_name in (topics.REDACTED, topics.VALIDATED, topics.REDACTION_DLQ):
        error = produce(base_name)
        assert error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, base_name

    consumer = Consumer({**config, "group.id": f"{deployment.settings.worker.app_id}.ingest-{secrets.token_hex(4)}"})
    denied: set[int] = set()
    try:
        consumer.subscribe([deployment.settings.topic(topics.RAW)])
        deadline = time.monotonic() + _PROBE_S
        while time.monotonic() < deadline and not denied:
            message = consumer.poll(0.5)
            if message is not None and message.error():
                denied.add(message.error().code())
            assert message is None or message.error(), "the ingest principal read the raw topic"
    except KafkaException as exc:
        denied.add(exc.args[0].code())
    finally:
        consumer.close()
    assert denied & {KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED}, denied


def test_ingest_without_topics_says_starting_and_why(
    stack_settings: Settings, tmp_path: Path, make_deployment: Callable[[], Deployment]
) -> None:
    """Before `cxpulse kafka setup` (or a worker) created the raw topic, ingest is up but not ready, and its log
    says what to do; it never creates topics itself (it has no admin rights)."""
    deployment = make_deployment()
    env = dict(deployment.env)
    env["CXPULSE_KAFKA__TOPIC_PREFIX"] = f"none{secrets.token_hex(3)}."
    lonely = Deployment(settings=deployment.settings, env=env, workdir=tmp_path)
    process = IngestProcess(lonely, stack_settings, "ingest-no-topic").spawn()
    try:
        health = f"{lonely.ingest_url}/twilio/health"
        wait_for(lambda: _http_status(health) == 503, _INGEST_START_TIMEOUT_S, "ingest to answer 'starting'")
        wait_for(lambda: "cxpulse kafka setup" in process.log_text(), _INGEST_START_TIMEOUT_S, "the reason in the log")
    finally:
        assert process.stop() == 0
