"""The local stack's lifecycle and the broker's compatibility with both Kafka clients we ship.

The lifecycle test runs a second, private stack (own state dir and ports) so it can bring it down without
disturbing the session's shared stack.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from cxpulse.settings import Settings
from cxpulse.stack.process import port_open
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxpulse", *args], env={**os.environ, **env}, capture_output=True, text=True,
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
    servers = stack_settings.kafka.bootstrap_servers
    admin = AdminClient({"bootstrap.servers": servers})
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result()
    producer = Producer({"bootstrap.servers": servers, "enable.idempotence": True, "acks": "all"})
    for i in range(300):
        producer.produce(topic, key=str(i % 11).encode(), value=str(i).encode())
    assert producer.flush(30) == 0

    group = f"g-{topic}"
    consumer = Consumer({"bootstrap.servers": servers, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen: list[int] = []
    for _ in range(200):
        message = consumer.poll(1.0)
        if message is not None and not message.error():
            seen.append(int(message.value()))
        if len(seen) == 300:
            break
    consumer.commit(asynchronous=False)
    committed = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
    consumer.close()
    assert sorted(seen) == list(range(300))
    assert sum(max(tp.offset, 0) for tp in committed) == 300


def test_aiokafka_idempotent_producer_and_group_commit(stack_settings: Settings) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.structs import TopicPartition as AioPartition

    topic = f"compat-aio-{secrets.token_hex(4)}"
    servers = stack_settings.kafka.bootstrap_servers
    AdminClient({"bootstrap.servers": servers}).create_topics([NewTopic(topic, 2, 1)])[topic].result()

    async def scenario() -> tuple[int, int]:
        producer = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            for i in range(100):
                await producer.send_and_wait(topic, str(i).encode(), key=str(i % 5).encode())
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=servers, group_id=f"g-{topic}",
                                    auto_offset_reset="earliest", enable_auto_commit=False)
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
import sys, faust
servers, topic, app_id, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
app = faust.App(app_id, broker="kafka://" + servers, store="memory://", web_enabled=False,
                topic_partitions=2, datadir=sys.argv[5])
source = app.topic(topic, key_type=str, value_type=str, partitions=2)
counts = app.Table("counts", default=int, partitions=2)
processed = 0

@app.agent(source)
async def count(stream):
    global processed
    async for key, _ in stream.items():
        counts[key] += 1
        processed += 1

@app.timer(1.0)
async def report():
    total = sum(counts.values())
    if total >= expected:
        print("TOTAL", total, "PROCESSED", processed, flush=True)
        await app.stop()
        sys.exit(0)

app.main()
"""


@pytest.mark.slow
def test_faust_table_restores_from_changelog_after_restart(stack_settings: Settings, tmp_path: Path) -> None:
    """faust-streaming (aiokafka) on this broker: a group commits, and a table survives a restart."""
    topic = f"compat-faust-{secrets.token_hex(4)}"
    servers = stack_settings.kafka.bootstrap_servers
    AdminClient({"bootstrap.servers": servers}).create_topics([NewTopic(topic, 2, 1)])[topic].result()
    producer = Producer({"bootstrap.servers": servers})
    for i in range(50):
        producer.produce(topic, key=f'"{i % 5}"'.encode(), value=f'"{i}"'.encode())
    assert producer.flush(30) == 0
    script = tmp_path / "faust_table_app.py"
    script.write_text(_FAUST_TABLE_APP)
    app_id = f"compat-{topic}"

    def run(expected: int) -> str:
        result = subprocess.run(
            [sys.executable, str(script), servers, topic, app_id, str(expected), str(tmp_path / "data"),
             "worker", "-l", "warn"],
            capture_output=True, text=True, timeout=180,
        )
        return result.stdout + result.stderr

    assert "TOTAL 50 PROCESSED 50" in run(50)
    for i in range(50, 60):
        producer.produce(topic, key=f'"{i % 5}"'.encode(), value=f'"{i}"'.encode())
    assert producer.flush(30) == 0
    # 50 restored from the changelog + 10 new, and only the 10 new ones read: committed offsets held.
    second = run(60)
    assert "TOTAL 60 PROCESSED 10" in second, second[-2000:]
