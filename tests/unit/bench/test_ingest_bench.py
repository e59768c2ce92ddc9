"""The ingest benchmark sends what it says: distinct posts that ingest's real signature and normalisation rules
accept, replayed by ``wrk`` each once per run, with the figures read back from the script's result line."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from aiohttp import web

from bench.ingest_load import parse_wrk_line, run_load, wrk_available
from bench.ingest_requests import read_requests, signed_message_posts, write_requests
from cxpulse.settings import Settings
from schemas.events import ConversationEvent
from streams.ingest import CONVERSATIONS_PATH, IngestService
from streams.ingest_http import build_app

pytestmark = pytest.mark.usefixtures("defaults_only_settings")

TOKEN = "bench-token"
PUBLIC_URL = "https://ingest.bench.cxpulse.invalid"


class Recorder:
    def __init__(self) -> None:
        self.events: list[ConversationEvent] = []

    async def __call__(self, events: Sequence[ConversationEvent]) -> None:
        self.events.extend(events)


def _settings() -> Settings:
    return Settings(twilio_auth_token=TOKEN, public_url=PUBLIC_URL)


def _requests_file(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "requests.tsv"
    settings = _settings()
    posts = signed_message_posts(count, auth_token=TOKEN, public_url=PUBLIC_URL, simulator=settings.simulator)
    assert write_requests(path, posts) == count
    return path


def test_every_request_is_a_distinct_message_that_ingest_accepts(tmp_path: Path) -> None:
    requests = read_requests(_requests_file(tmp_path, 300))
    recorder = Recorder()
    service = IngestService(_settings(), recorder)

    async def post_all() -> list[int]:
        return [
            (await service.conversations_webhook(r.headers, CONVERSATIONS_PATH, r.body.encode())).status
            for r in requests
        ]

    assert asyncio.run(post_all()) == [200] * len(requests)
    assert len({e.event_id for e in recorder.events}) == len(requests), "a repeat would measure the dedupe cache"
    assert {e.event_type.value for e in recorder.events} == {"message.added"}


def test_the_wrk_result_line_is_parsed_and_a_missing_one_is_an_error() -> None:
    line = (
        'CXPULSE_WRK {"requests": 1000, "duration_us": 2000000, "status_errors": 10, "connect_errors": 1, '
        '"read_errors": 2, "write_errors": 0, "timeouts": 3, "p50_us": 1500, "p90_us": 4000, "p99_us": 9000, '
        '"max_us": 12000, "repeats": 0}'
    )
    result = parse_wrk_line(f"Running 2s test\n{line}\n")
    assert (result.accepted, result.accepted_per_s, result.socket_errors) == (990, 495.0, 6)
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (1.5, 9.0, 12.0)
    with pytest.raises(RuntimeError, match="no result line"):
        parse_wrk_line("Running 2s test\n")


@pytest.fixture
def ingest_server() -> Iterator[tuple[str, Recorder]]:
    """The real ingest application (signature checks, normalisation) on a free port, in a thread of its own."""
    recorder = Recorder()
    settings = _settings()
    app = build_app(IngestService(settings, recorder), lambda: True, settings.ingest.max_body_bytes)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    yield f"http://127.0.0.1:{port}", recorder
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.mark.parametrize("use_wrk", [True, False], ids=["wrk", "python-client"])
def test_the_replay_posts_each_request_once_until_the_file_runs_out(
    tmp_path: Path, ingest_server: tuple[str, Recorder], use_wrk: bool
) -> None:
    if use_wrk and not wrk_available():
        pytest.skip("wrk is not installed (apt-get install wrk)")
    base_url, recorder = ingest_server
    count = 50
    connections = 2
    result = run_load(
        base_url, _requests_file(tmp_path, count), duration_s=1, connections=connections, threads=2, use_wrk=use_wrk
    )
    assert result.non_2xx == 0 and result.socket_errors == 0
    assert result.requests > count, "the run is long enough to use up the file"
    produced = [e.event_id for e in recorder.events]
    assert len(produced) == len(set(produced)) == count, "each post went once until the file ran out"
    # every post after that is a repeat; requests still in flight when the run ends are sent but not counted
    assert result.requests - count <= result.repeats <= result.requests - count + connections
