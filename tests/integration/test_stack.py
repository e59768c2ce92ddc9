"""The local stack's lifecycle and the broker's compatibility with both Kafka clients we ship.

The lifecycle test runs a second, private stack (own state dir and ports) so it can bring it down without
disturbing the session's shared stack.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from cxpulse.kafka_auth import aiokafka_kwargs, child_env, confluent_config
from cxpulse.settings import Settings
from cxpulse.stack.process import port_open
from tests.integration.conftest import free_port, wait_for

pytestmark = pytest.mark.integration


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxpulse", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _pids_under(state_dir: Path) -> list[str]:
    """Processes whose command line names the private state dir (Kafka's config, chDB's data dir)."""
    found = subprocess.run(["pgrep", "-f", str(state_dir)], capture_output=True, text=True)
    return found.stdout.split()


@pytest.mark.slow
def test_stack_up_is_idempotent_status_tells_and_down_leaves_nothing(tmp_path: Path) -> None:
    kafka_port, controller_port, clickhouse_port = free_port(), free_port(), free_port()
    state_dir = tmp_path / "state"
    env = {
        "CXPULSE_STACK__STATE_DIR": str(state_dir),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_port}",
        "CXPULSE_STACK__CONTROLLER_PORT": str(controller_port),
        "CLICKHOUSE_URL": f"http://127.0.0.1:{clickhouse_port}",
    }
    try:
        first = _cli(env, "stack", "up")
        assert first.returncode == 0, first.stderr
        assert "kafka: started" in first.stdout and "clickhouse: started" in first.stdout

        again = _cli(env, "stack", "up")
        assert again.returncode == 0, again.stderr
        assert "kafka: running" in again.stdout and "clickhouse: running" in again.stdout

        status = _cli(env, "stack", "status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert f"127.0.0.1:{kafka_port}" in status.stdout
        assert f"http://127.0.0.1:{clickhouse_port}" in status.stdout
        assert status.stdout.count("healthy") == 2
        assert str(state_dir / "logs") in status.stdout
        assert _pids_under(state_dir), "no process found for the running stack"
    finally:
        down = _cli(env, "stack", "down")
    assert down.returncode == 0, down.stderr
    assert not _pids_under(state_dir), "stack down left processes behind"
    assert not port_open("127.0.0.1", kafka_port) and not port_open("127.0.0.1", clickhouse_port)
    after = _cli(env, "stack", "status")
    assert after.returncode == 1 and after.stdout.count("stopped") == 2


def test_confluent_kafka_groups_commits_and_idempotent_producer(stack_settings: Settings) -> None:
    topic = f"compat-{secrets.token_hex(4)}"
    admin = AdminClient(confluent_config(stack_settings, "admin"))
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result()
    producer = Producer(confluent_config(stack_settings, "admin", **{"enable.idempotence": True, "acks": "all"}))
    for i in range(300):
        producer.produce(topic, key=str(i % 11).encode(), value=str(i).encode())
    assert producer.flush(30) == 0

    group = f"g-{topic}"
    consumer = Consumer(
        confluent_config(
            stack_settings,
            "admin",
            **{"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False},
        )
    )
    consumer.subscribe([topic])
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while len(seen) < 300 and time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is not None and not message.error():
            seen.append(int(message.value()))
    consumer.commit(asynchronous=False)
    committed = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
    consumer.close()
    assert sorted(seen) == list(range(300))
    assert sum(max(tp.offset, 0) for tp in committed) == 300


def test_aiokafka_idempotent_producer_and_group_commit(stack_settings: Settings) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.structs import TopicPartition as AioPartition

    topic = f"compat-aio-{secrets.token_hex(4)}"
    client = aiokafka_kwargs(stack_settings, "admin")
    admin = AdminClient(confluent_config(stack_settings, "admin"))  # keep a reference: the future needs a live handle
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result()

    async def scenario() -> tuple[int, int]:
        producer = AIOKafkaProducer(**client, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            for i in range(100):
                await producer.send_and_wait(topic, str(i).encode(), key=str(i % 5).encode())
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            **client,
            group_id=f"g-{topic}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            count = 0
            while count < 100:
                batch = await consumer.getmany(timeout_ms=1000)
                count += sum(len(records) for records in batch.values())
            await consumer.commit()
            committed = [await consumer.committed(AioPartition(topic, p)) or 0 for p in range(2)]
        finally:
            await consumer.stop()
        return count, sum(committed)

    count, committed = asyncio.run(scenario())
    assert (count, committed) == (100, 100)


_FAUST_TABLE_APP = """
import os, sys, faust
from cxpulse.kafka_auth import faust_credentials
from cxpulse.settings import Settings
servers, topic, app_id = os.environ["T_SERVERS"], os.environ["T_TOPIC"], os.environ["T_APP_ID"]
expected = int(os.environ["T_EXPECTED"])
app = faust.App(app_id, broker="kafka://" + servers, store="memory://", web_enabled=False,
                broker_credentials=faust_credentials(Settings(), "admin"),
                topic_partitions=2, datadir=os.environ["T_DATADIR"], broker_commit_interval=0.5)
source = app.topic(topic, key_type=str, value_type=str, partitions=2)
counts = app.Table("counts", default=int, partitions=2)
processed = 0

@app.agent(source)
async def count(stream):
    global processed
    async for key, _ in stream.items():
        counts[key] += 1
        processed += 1

@app.timer(0.5)
async def report():
    total = sum(counts.values())
    if total >= expected:
        with open(os.environ["T_RESULT"], "w") as result:
            result.write(f"TOTAL {total} PROCESSED {processed}")

app.main()
"""


@pytest.mark.slow
def test_faust_table_restores_from_changelog_after_restart(stack_settings: Settings, tmp_path: Path) -> None:
    """faust-streaming (aiokafka) on this broker: a group commits, and a table survives a restart."""
    topic = f"compat-faust-{secrets.token_hex(4)}"
    servers = stack_settings.kafka.bootstrap_servers
    admin = AdminClient(confluent_config(stack_settings, "admin"))  # keep a reference: the future needs a live handle
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result()
    producer = Producer(confluent_config(stack_settings, "admin"))
    for i in range(50):
        producer.produce(topic, key=f'"{i % 5}"'.encode(), value=f'"{i}"'.encode())
    assert producer.flush(30) == 0
    script = tmp_path / "faust_table_app.py"
    script.write_text(_FAUST_TABLE_APP)
    app_id = f"compat-{topic}"

    def run(expected: int) -> str:
        """Run the app until its table reaches ``expected``, then stop it gracefully (offsets committed)."""
        result_file = tmp_path / f"result-{expected}.txt"
        env = {
            **os.environ,
            **child_env(stack_settings, "admin"),  # the app's credentials (faust_credentials in the script)
            "T_SERVERS": servers,
            "T_TOPIC": topic,
            "T_APP_ID": app_id,
            "T_EXPECTED": str(expected),
            "T_DATADIR": str(tmp_path / "data"),
            "T_RESULT": str(result_file),
        }
        log_file = tmp_path / f"faust-{expected}.log"
        with open(log_file, "wb") as log:
            worker = subprocess.Popen(
                # faust binds its web port even with web_enabled=False: a free one, not the shared default 6066.
                [sys.executable, str(script), "worker", "-l", "warn", "--web-port", str(free_port())],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for(lambda: result_file.exists() or worker.poll() is not None, 120, "the faust table")
            # Past the commit interval (a stop right after processing re-applies the uncommitted tail: faust is
            # at-least-once), and a few timer ticks, so a re-count would push the total past ``expected``.
            time.sleep(2.5)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        return result_file.read_text() if result_file.exists() else log_file.read_text()[-3000:]

    first = run(50)
    assert first == "TOTAL 50 PROCESSED 50", first
    for i in range(50, 60):
        producer.produce(topic, key=f'"{i % 5}"'.encode(), value=f'"{i}"'.encode())
    assert producer.flush(30) == 0
    # The table comes back from its changelog (50) and committed offsets are honoured (far fewer than all 60
    # records are read again). faust is at-least-once: an uncommitted tail may be re-applied on top of the
    # restored table, which is why stages keep their table updates idempotent (dedupe by event id).
    second = run(60)
    total, processed = (int(x) for x in second.split()[1::2])
    assert 10 <= processed < 60, second
    assert total == 50 + processed, second
