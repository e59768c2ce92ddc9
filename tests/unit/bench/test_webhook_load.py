"""The load generator of the throughput benches: schedule, rates, wire format, retries.

The posting itself is run against a tiny in-process HTTP server (no broker, no timing assertions): what matters is
that every request is sent once it is due, that a 503 is retried like Twilio does and a 4xx is not, and that the
bytes on the wire carry a signature ingest accepts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from itertools import islice
from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from bench.webhook_load import (
    _content_length,
    achieved_rate,
    due_count,
    due_offset,
    parse_status_line,
    post_burst,
    post_paced,
    sign_all,
)
from cxpulse.settings import SimulatorSettings
from cxpulse.simulate import generate_posts

TOKEN = "test-token-0123456789"
PUBLIC = "https://ingest.example.com"


def _requests(n: int):
    posts = list(islice(generate_posts(seed=3, settings=SimulatorSettings()), n))
    return posts, sign_all(posts, auth_token=TOKEN, public_url=PUBLIC)


def test_due_schedule_releases_request_i_at_i_over_rate() -> None:
    assert [due_offset(i, 4.0) for i in range(3)] == [0.0, 0.25, 0.5]
    assert due_count(-0.1, 10.0, 100) == 0
    assert due_count(0.0, 10.0, 100) == 1  # the first request is due at once
    assert due_count(0.25, 10.0, 100) == 3  # 0, 0.1, 0.2
    assert due_count(0.3, 10.0, 100) == 4  # exactly on a slot counts, despite float error
    assert due_count(1_000.0, 10.0, 100) == 100


def test_achieved_rate_is_the_rate_of_the_gaps() -> None:
    assert achieved_rate([0.0, 0.5, 1.0]) == pytest.approx(2.0)
    assert achieved_rate([3.0, 1.0, 2.0]) == pytest.approx(1.0)
    assert achieved_rate([1.0]) is None
    assert achieved_rate([2.0, 2.0]) is None


def test_status_line_and_response_head() -> None:
    assert parse_status_line(b"HTTP/1.1 503 Service Unavailable") == 503
    with pytest.raises(ValueError):
        parse_status_line(b"garbage")
    assert _content_length(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive") == (12, False)
    assert _content_length(b"HTTP/1.1 200 OK\r\nconnection: close") == (0, True)
    with pytest.raises(ValueError):
        _content_length(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked")


def test_signed_wire_requests_carry_a_valid_twilio_signature() -> None:
    posts, requests = _requests(20)
    validator = RequestValidator(TOKEN)
    for post, request in zip(posts, requests, strict=True):
        head, _, body = request.wire.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        method, path, _ = lines[0].split(" ")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        assert (method, path, headers["Host"]) == ("POST", post.path, "ingest.example.com")
        assert int(headers["Content-Length"]) == len(body)
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        assert form == post.form
        assert validator.validate(PUBLIC + post.path, form, headers["X-Twilio-Signature"])
        assert request.event_id == post.event_id
        assert request.message_sid == post.form.get("MessageSid")


class _Edge:
    """An HTTP/1.1 keep-alive server answering from a script of statuses (then 200)."""

    def __init__(self, script: dict[int, list[int]] | None = None) -> None:
        self.script = script or {}
        self.seen: Counter[int] = Counter()
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.startswith(b"Content-Length")
                )
                body = await reader.readexactly(length)
                key = hash(body)
                self.seen[key] += 1
                statuses = self.script.get(key, [])
                status = statuses.pop(0) if statuses else 200
                payload = b'{"accepted": 1}'
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


def _body(request) -> bytes:
    return request.wire.partition(b"\r\n\r\n")[2]


def test_burst_posts_everything_retries_5xx_and_not_4xx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.webhook_load.RETRY_BACKOFF_S", 0.0)
    _, requests = _requests(30)
    edge = _Edge({hash(_body(requests[3])): [503, 503], hash(_body(requests[7])): [403]})

    async def go():
        async with edge as url:
            return await post_burst(requests, [url], concurrency=4)

    result = asyncio.run(go())
    assert len(result.accepted()) == 29
    assert result.status[7] == "403" and result.attempts[7] == 1
    assert result.status[3] == "200" and result.attempts[3] == 3
    assert result.retries == 2
    assert result.statuses == Counter({"200": 29, "503": 2, "403": 1})
    assert sum(edge.seen.values()) == 32


def test_paced_posts_each_request_no_earlier_than_its_slot() -> None:
    _, requests = _requests(20)
    answered: list[int] = []

    async def go():
        async with _Edge() as url:
            return await post_paced(
                requests, [url, url], rate=200.0, concurrency=3, on_answer=lambda i, _: answered.append(i)
            )

    result = asyncio.run(go())
    assert len(result.accepted()) == 20 and sorted(answered) == list(range(20))
    assert all(sent >= due for sent, due in zip(result.sent_at, result.due_at, strict=True))
    assert result.due_at[5] - result.due_at[0] == pytest.approx(5 / 200.0)
