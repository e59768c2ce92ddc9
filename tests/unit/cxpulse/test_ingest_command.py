"""``cxpulse ingest``'s lifecycle with a fake broker: ready only once the raw topic is writable, SIGTERM lets the
post in flight get its 200 before the process exits, a fatal producer error exits non-zero."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from cxpulse import ingest as ingest_command
from cxpulse.cli import _parser
from cxpulse.secret_env import child_environment
from cxpulse.settings import Settings
from streams.ingest import CONVERSATIONS_PATH
from streams.raw_producer import RawProducer
from tests.unit.streams.fake_kafka import FakeKafkaProducer

pytestmark = pytest.mark.usefixtures("defaults_only_settings")

DATA = Path(__file__).resolve().parents[2] / "data" / "twilio"
TOKEN = "cxpulse-sample-auth-token"
RAW = "twilio.conversations.raw"
#: Generous bounds for a loaded machine: they only stop a broken test from hanging, they measure nothing.
WAIT_S = 10.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _settings(tmp_path: Path, port: int) -> Settings:
    return Settings(
        twilio_auth_token=TOKEN,
        public_url=f"http://127.0.0.1:{port}",
        ingest={"port": port, "shutdown_timeout_s": 5.0, "kafka_ack_timeout_s": WAIT_S},
        stack={"state_dir": tmp_path / "state"},
    )


def _signed(settings: Settings) -> tuple[bytes, dict[str, str]]:
    form = json.loads((DATA / "webhooks" / "onMessageAdded.json").read_text())["form"]
    signature = RequestValidator(TOKEN).compute_signature(f"{settings.public_url}{CONVERSATIONS_PATH}", form)
    return urlencode(form).encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }


async def _until(predicate: Any, what: str) -> None:
    async def loop() -> None:
        while not await predicate():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(loop(), WAIT_S)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def _health(http: aiohttp.ClientSession, base: str) -> int:
    try:
        async with http.get(f"{base}/twilio/health") as response:
            return response.status
    except aiohttp.ClientConnectionError:
        return 0


def test_sigterm_stops_accepting_lets_the_post_in_flight_get_its_ack_and_flushes(tmp_path: Path) -> None:
    port = _free_port()
    settings = _settings(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    fake = FakeKafkaProducer(away=True)  # holds acks until the test releases them

    async def scenario() -> dict[str, Any]:
        server = asyncio.create_task(ingest_command._serve(settings, 0.0, lambda s: RawProducer(s, fake)))
        seen: dict[str, Any] = {}
        async with aiohttp.ClientSession() as http:
            await _until(lambda: _answers(http, base), "the port to open")
            seen["health_before_topic"] = await _health(http, base)
            fake.create_topic(RAW)
            await _until(lambda: _ready(http, base), "ready")
            body, headers = _signed(settings)
            post = asyncio.create_task(http.post(f"{base}{CONVERSATIONS_PATH}", data=body, headers=headers))
            await _until(_queued(fake), "the record to be produced")
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.3)
            seen["new_connection"] = await _connects(port)
            seen["answered_before_ack"] = post.done()
            fake.away = False
            response = await post
            seen["post"] = (response.status, await response.json())
        seen["exit"] = await asyncio.wait_for(server, WAIT_S)
        return seen

    seen = asyncio.run(scenario())
    assert seen["health_before_topic"] == 503, "ready before the raw topic existed"
    assert seen["new_connection"] is False, "still accepting connections after SIGTERM"
    assert seen["answered_before_ack"] is False
    assert seen["post"][0] == 200 and seen["post"][1]["accepted"] == 1
    assert seen["exit"] == 0
    assert len(fake.records) == 1 and fake.flushed_with == [settings.ingest.shutdown_timeout_s]


async def _answers(http: aiohttp.ClientSession, base: str) -> bool:
    return await _health(http, base) != 0


async def _ready(http: aiohttp.ClientSession, base: str) -> bool:
    return await _health(http, base) == 200


def _queued(fake: FakeKafkaProducer) -> Any:
    async def check() -> bool:
        return bool(fake._pending)

    return check


async def _connects(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


def test_a_fatal_producer_error_stops_the_process_with_exit_1(tmp_path: Path) -> None:
    port = _free_port()
    settings = _settings(tmp_path, port)
    fake = FakeKafkaProducer()
    fake.create_topic(RAW)

    class _Fenced:
        def fatal(self) -> bool:
            return True

        def str(self) -> str:
            return "Broker: Producer fenced"

    def make(s: Settings) -> RawProducer:
        producer = RawProducer(s, fake)
        asyncio.get_running_loop().call_later(0.3, producer._on_error, _Fenced())
        return producer

    assert asyncio.run(asyncio.wait_for(ingest_command._serve(settings, 0.0, make), WAIT_S)) == 1


def test_ingest_refuses_to_start_without_a_twilio_token(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CXPULSE_TWILIO_AUTH_TOKEN"):
        ingest_command.run_ingest(Settings(stack={"state_dir": tmp_path / "state"}))


def test_the_cli_has_an_ingest_command() -> None:
    args = _parser().parse_args(["ingest"])
    assert args.func.__name__ == "_ingest"


def test_an_ingest_child_gets_the_twilio_token_and_its_kafka_identity_but_no_salt_or_dashboard_secret() -> None:
    base = {
        "CXPULSE_TWILIO_AUTH_TOKEN": "t",
        "CXPULSE_KAFKA__PASSWORD": "k",
        "CXPULSE_REDACTION__PSEUDONYM_SALT": "s",
        "CXPULSE_QA__RANDOM_SALT": "q",
        "CXPULSE_DASHBOARD__PASSWORD": "d",
        "PATH": "/bin",
    }
    assert child_environment("ingest", base=base) == {
        "CXPULSE_TWILIO_AUTH_TOKEN": "t",
        "CXPULSE_KAFKA__PASSWORD": "k",
        "PATH": "/bin",
    }


def test_a_worker_without_ingest_is_named_and_stored_by_its_health_port() -> None:
    """Two workers on one host without ingest must not share a static member id or a table directory."""
    embedded = Settings(worker={"app_id": "cx"}, ingest={"port": 8081})
    alone = Settings(worker={"app_id": "cx", "ingest": False, "health_port": 7001}, ingest={"port": 8081})
    other = Settings(worker={"app_id": "cx", "ingest": False, "health_port": 7002}, ingest={"port": 8081})
    assert embedded.worker_port() == 8081 and alone.worker_port() == 7001
    assert embedded.group_instance_id().endswith("-8081") and alone.group_instance_id().endswith("-7001")
    assert alone.group_instance_id() != other.group_instance_id()
    assert alone.worker_data_path() != other.worker_data_path()


def test_a_port_held_by_a_process_that_does_not_share_it_is_a_clear_error(tmp_path: Path) -> None:
    """A worker still serving ingest on the port (faust binds without SO_REUSEPORT) must not be joined silently."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        settings = _settings(tmp_path, port)
        fake = FakeKafkaProducer()
        with pytest.raises(ingest_command.IngestBindError, match=r"\[worker\] ingest = true"):
            asyncio.run(ingest_command._serve(settings, 0.0, lambda s: RawProducer(s, fake)))
