"""Kafka authentication and ACLs on a private broker with ``[stack] kafka_security = "scram"``.

The security finding: without authentication any local process could read raw PII from the raw topic and the
redaction DLQ, or write ``redacted=true`` events into ``cx.events.redacted``, skipping signature checks and
redaction. This module runs its own stack (state dir and ports of its own, so the shared session stack is not
touched), creates the topics and ACLs as ``cxpulse worker`` / ``cxpulse demo`` do (``ensure_topics`` as admin), and
checks each principal against what it must and must not be able to do.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from cxpulse.kafka_auth import Role, confluent_config, pinned
from cxpulse.settings import Settings
from cxpulse.stack.kafka import KafkaService
from cxpulse.stack.process import StackError
from schemas import topics
from streams.topics import ensure_topics
from tests.integration.conftest import (
    Deployment,
    free_port,
    post_signed,
    query_rows,
    signed_message_post,
    wait_for,
)

pytestmark = pytest.mark.integration

#: How long a denied client is given to show that it gets nothing (an allowed one gets its record in ~1-3 s).
_PROBE_S = 8.0
_CONNECT_TIMEOUT_S = 3
_STORE_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def scram_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A private broker with SCRAM and ACLs for this module (state dir and ports of its own)."""
    # built (not copied) so that settings derived from the state dir (the ClickHouse password file) follow it
    settings = Settings(
        kafka={"bootstrap_servers": f"127.0.0.1:{free_port()}", "security_protocol": "auto"},
        clickhouse={"url": f"http://127.0.0.1:{free_port()}"},
        stack={
            "state_dir": tmp_path_factory.mktemp("scram") / "state",
            "controller_port": free_port(),
            "kafka_security": "scram",
        },
    )
    kafka = KafkaService(settings)
    if not (kafka.libs_dir / ".complete").is_file() and shutil.which("mvn") is None:
        pytest.skip("the Kafka broker jars are not cached and Maven is not installed to fetch them")
    kafka.up()
    try:
        yield settings
    finally:
        kafka.down()


@pytest.fixture(scope="module")
def stack_settings(scram_settings: Settings) -> Iterator[Settings]:
    """The private broker plus a private ClickHouse front: overrides the session's shared stack, so this module's
    ``make_deployment_module`` deploys onto them."""
    from cxpulse.stack.clickhouse import ClickHouseService

    clickhouse = ClickHouseService(scram_settings)
    clickhouse.up()
    try:
        yield scram_settings
    finally:
        clickhouse.down()


@pytest.fixture(scope="module")
def deployment(scram_settings: Settings) -> Settings:
    """One deployment's topics and ACLs, created by the admin principal as ``cxpulse worker`` does at start
    (``ensure_topics``); the tests' own settings are the admin's."""
    uid = secrets.token_hex(4)
    settings = scram_settings.model_copy(
        update={
            "kafka": pinned(scram_settings, "admin").model_copy(update={"topic_prefix": f"s{uid}.", "partitions": 1}),
            "worker": scram_settings.worker.model_copy(update={"app_id": f"cxpulse-s{uid}"}),
        }
    )
    created = ensure_topics(settings)
    assert settings.topic(topics.RAW) in created
    return settings


def _as(settings: Settings, role: Role, **extra: object) -> dict[str, object]:
    """Client configuration of ``role`` with the stack's password for it."""
    return confluent_config(settings, role, **extra)


def _produce(config: dict[str, object], topic: str, value: bytes) -> KafkaError | None:
    """Produce one record and wait for its acknowledgement; the delivery error, or None."""
    producer = Producer({**config, "message.timeout.ms": int(_PROBE_S * 1000)})
    outcome: list[KafkaError | None] = []
    producer.produce(topic, key=b"CH-security", value=value, on_delivery=lambda err, _msg: outcome.append(err))
    producer.flush(_PROBE_S + 2)
    assert outcome, f"no delivery report for {topic}"
    return outcome[0]


def _consume(config: dict[str, object], topic: str, group: str, wanted: bytes) -> tuple[bool, set[int]]:
    """Subscribe as ``group`` and read from the start: (whether ``wanted`` was read, error codes seen)."""
    consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    errors: set[int] = set()
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + _PROBE_S
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                errors.add(message.error().code())
                if message.error().code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                    break  # the broker said no: waiting longer cannot change that
                continue
            if message.value() == wanted:
                return True, errors
    except KafkaException as exc:
        errors.add(exc.args[0].code())
    finally:
        consumer.close()
    return False, errors


def _denied(error: KafkaError | None) -> bool:
    return error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_a_client_without_valid_credentials_gets_nothing(scram_settings: Settings, deployment: Settings) -> None:
    servers = scram_settings.kafka.bootstrap_servers
    raw = deployment.topic(topics.RAW)
    sentinel = f"raw-{secrets.token_hex(4)}".encode()
    assert _produce(_as(scram_settings, "worker"), raw, sentinel) is None

    anonymous = {"bootstrap.servers": servers, "socket.timeout.ms": _CONNECT_TIMEOUT_S * 1000}
    with pytest.raises(KafkaException):
        AdminClient(anonymous).list_topics(timeout=_CONNECT_TIMEOUT_S)
    read, _ = _consume(anonymous, raw, f"{deployment.worker.app_id}.anon", sentinel)
    assert not read, "a client without credentials read the raw topic"

    wrong = _as(scram_settings, "worker", **{"sasl.password": "not-the-password"})
    with pytest.raises(KafkaException):
        AdminClient(wrong).list_topics(timeout=_CONNECT_TIMEOUT_S)

    # the controller listener is no way around it: it wants SASL too
    controller = {"bootstrap.servers": f"127.0.0.1:{scram_settings.stack.controller_port}"}
    with pytest.raises(KafkaException):
        AdminClient(controller).list_topics(timeout=_CONNECT_TIMEOUT_S)


def test_the_reader_reads_redacted_topics_but_not_raw_text(scram_settings: Settings, deployment: Settings) -> None:
    worker, reader = _as(scram_settings, "worker"), _as(scram_settings, "reader")
    group = f"{deployment.worker.app_id}.reader-{secrets.token_hex(4)}"
    for base_name in (topics.RAW, topics.REDACTION_DLQ, topics.REDACTED):
        name = deployment.topic(base_name)
        value = f"{base_name}-{secrets.token_hex(4)}".encode()
        assert _produce(worker, name, value) is None, f"the worker could not write {name}"
        read, errors = _consume(reader, name, f"{group}-{base_name}", value)
        if base_name == topics.REDACTED:
            assert read, f"the reader could not read {name} (errors {errors})"  # so the denials below are ACLs
        else:
            assert not read, f"the reader read {name}"
            assert KafkaError.TOPIC_AUTHORIZATION_FAILED in errors, errors


def test_only_the_worker_writes_the_redacted_and_raw_topics(scram_settings: Settings, deployment: Settings) -> None:
    reader = _as(scram_settings, "reader")
    for base_name in (topics.REDACTED, topics.RAW, topics.VALIDATED):
        name = deployment.topic(base_name)
        assert _denied(_produce(reader, name, b'{"redacted": true, "body": "unredacted text"}')), name
    assert _produce(_as(scram_settings, "worker"), deployment.topic(topics.REDACTED), b"{}") is None


def test_the_worker_reads_raw_in_its_group_and_cannot_change_acls(
    scram_settings: Settings, deployment: Settings
) -> None:
    worker = _as(scram_settings, "worker")
    raw = deployment.topic(topics.RAW)
    value = f"raw-{secrets.token_hex(4)}".encode()
    assert _produce(worker, raw, value) is None
    read, errors = _consume(worker, raw, deployment.worker.app_id, value)
    assert read, f"the worker could not read {raw} in its group (errors {errors})"

    # neither the worker nor the reader can widen its own rights
    escalation = AclBinding(
        ResourceType.TOPIC,
        raw,
        ResourcePatternType.LITERAL,
        "User:reader",
        "*",
        AclOperation.READ,
        AclPermissionType.ALLOW,
    )
    for role in ("worker", "reader"):
        admin = AdminClient(_as(scram_settings, role))
        future = admin.create_acls([escalation], request_timeout=_CONNECT_TIMEOUT_S * 2)[escalation]
        with pytest.raises(KafkaException, match="AUTHORIZATION"):
            future.result()


@pytest.mark.slow
def test_the_worker_runs_the_pipeline_as_the_worker_principal(make_deployment_module: Callable[[], Deployment]) -> None:
    """``cxpulse worker`` with only the worker's credentials: a signed webhook reaches ClickHouse."""
    deployment = make_deployment_module()
    assert deployment.env["CXPULSE_KAFKA__USERNAME"] == "worker"
    deployment.worker().start()
    post = signed_message_post(deployment, "my card is 4111 1111 1111 1111", "+15551230001", "scram")
    response = post_signed(deployment, post)
    assert response.status_code == 200, response.text
    message_sid = post.form["MessageSid"]

    def stored() -> bool:
        with deployment.clickhouse() as ch:
            return bool(
                query_rows(ch, "SELECT count() FROM messages FINAL WHERE message_sid = {s:String}", s=message_sid)[0][0]
            )

    wait_for(stored, _STORE_TIMEOUT_S, "the message in ClickHouse")


def test_a_rotated_password_replaces_the_old_one(scram_settings: Settings) -> None:
    before = _as(scram_settings, "reader")
    KafkaService(scram_settings).rotate_password("reader")
    after = _as(scram_settings, "reader")
    assert after["sasl.password"] != before["sasl.password"]
    assert AdminClient(after).list_topics(timeout=_CONNECT_TIMEOUT_S).brokers
    with pytest.raises(KafkaException):
        AdminClient(before).list_topics(timeout=_CONNECT_TIMEOUT_S)


@pytest.mark.slow
def test_a_stack_made_without_security_gets_it_on_the_next_start(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A state dir from before ``kafka_security = "scram"``: its data stays, and the broker then wants SCRAM."""
    plain = Settings(
        kafka={"bootstrap_servers": f"127.0.0.1:{free_port()}", "security_protocol": "auto"},
        stack={
            "state_dir": tmp_path_factory.mktemp("upgrade") / "state",
            "controller_port": free_port(),
            "kafka_security": "none",
        },
    )
    scram = plain.model_copy(update={"stack": plain.stack.model_copy(update={"kafka_security": "scram"})})
    broker = KafkaService(plain)
    if not (broker.libs_dir / ".complete").is_file() and shutil.which("mvn") is None:
        pytest.skip("the Kafka broker jars are not cached and Maven is not installed to fetch them")
    broker.up()
    try:
        created = ensure_topics(plain)
        value = f"before-{secrets.token_hex(4)}".encode()
        assert _produce(_as(plain, "admin"), plain.topic(topics.RAW), value) is None
    finally:
        broker.down()
    secured = KafkaService(scram)
    assert secured.up() == "started"
    try:
        assert plain.topic(topics.RAW) in created
        with pytest.raises(KafkaException):
            AdminClient(_as(plain, "admin")).list_topics(timeout=_CONNECT_TIMEOUT_S)
        ensure_topics(scram)  # the ACLs, as `cxpulse worker` does on its next start
        read, errors = _consume(_as(scram, "worker"), scram.topic(topics.RAW), scram.worker.app_id, value)
        assert read, f"the worker could not read what was stored before the upgrade (errors {errors})"
    finally:
        secured.down()


def test_up_with_other_security_refuses_without_stopping_the_running_broker(scram_settings: Settings) -> None:
    plain = scram_settings.model_copy(
        update={"stack": scram_settings.stack.model_copy(update={"kafka_security": "none"})}
    )
    started = time.monotonic()
    with pytest.raises(StackError, match="kafka_security='scram'"):
        KafkaService(plain).up()
    assert time.monotonic() - started < _PROBE_S, "it should say so at once, not after the start timeout"
    assert KafkaService(scram_settings).is_healthy(), "the running broker must be left alone"
