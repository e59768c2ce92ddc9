"""Signed simulator webhooks, prepared before the clock starts and posted over raw keep-alive HTTP/1.1.

Why not httpx as ``bench/chaos.py`` does: a Python poster that signs and encodes each request while posting tops
out near 200 requests/s on this machine kind (docs FACTS, 2026-12-02) and would hide the pipeline's speed. Here
every request is signed and rendered to bytes once, before any timing; posting is then one socket write and one
small response read per request, so the load generator costs a fraction of a core at 1,000+ requests/s and the
figures describe the server. The bench reports the load generator's own CPU time so a reader can check that.

Two drivers share the connection code:

* :func:`post_burst` - every connection posts its next request as soon as the previous one was answered: "as fast
  as ingest accepts", like Twilio delivering a backlog after an incident.
* :func:`post_paced` - request ``i`` becomes due at ``start + i / rate`` (:func:`due_offset`); free connections
  take due requests in order. When all connections are busy the lateness is measured (``send lag``), never hidden.

Both retry like Twilio (5xx, 408, 429, timeouts, connection errors; same request, capped backoff) until
``give_up_s``; other 4xx are rejections and are counted. Times are :func:`time.monotonic`; ``wall_offset`` maps
them to the wall clock (for comparing with ClickHouse's ``now64()``).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from cxpulse.simulate import WebhookPost, sign

__all__ = [
    "LoadResult",
    "SignedRequest",
    "achieved_rate",
    "due_count",
    "due_offset",
    "parse_status_line",
    "post_burst",
    "post_paced",
    "sign_all",
]

#: Twilio gives a webhook 5 s; an attempt not answered by then is a timeout and is retried.
ATTEMPT_TIMEOUT_S = 5.0
RETRY_BACKOFF_S = 0.2
RETRY_BACKOFF_MAX_S = 2.0
#: How long one request is retried before it counts as given up.
DEFAULT_GIVE_UP_S = 120.0
#: The pacer never sleeps less than this: asyncio's timer resolution; due requests are released in groups.
MIN_PACER_SLEEP_S = 0.0005
_RETRY_STATUSES = frozenset({408, 429})
_HEADER_END = b"\r\n\r\n"
_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """One webhook post rendered to the bytes put on the wire (signature over the public URL included)."""

    event_id: str
    event_type: str
    conversation_sid: str
    message_sid: str | None
    wire: bytes


def sign_all(posts: Iterable[WebhookPost], *, auth_token: str, public_url: str) -> list[SignedRequest]:
    """Sign and render every post once. The ``Host`` header names the public URL: ingest checks the signature
    against its configured public URL, not the socket it was reached on, so one rendering serves every worker."""
    host = urlsplit(public_url).netloc
    out: list[SignedRequest] = []
    for post in posts:
        headers = sign(post, auth_token=auth_token, base_url=public_url)
        body = urlencode(post.form).encode()
        head = [f"POST {post.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        wire = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        out.append(
            SignedRequest(
                event_id=post.event_id,
                event_type=post.event_type,
                conversation_sid=post.conversation_sid,
                message_sid=post.form.get("MessageSid"),
                wire=wire,
            )
        )
    return out


# --------------------------------------------------------------------------------------------------------
# Pure helpers (unit-tested)
# --------------------------------------------------------------------------------------------------------


def due_offset(index: int, rate: float) -> float:
    """Seconds after the start at which request ``index`` (0-based) is due at ``rate`` per second."""
    return index / rate


def due_count(elapsed_s: float, rate: float, total: int) -> int:
    """How many requests are due ``elapsed_s`` after the start (request 0 is due at once), at most ``total``."""
    if elapsed_s < 0:
        return 0
    return min(total, math.floor(elapsed_s * rate + 1e-9) + 1)


def achieved_rate(times: Sequence[float]) -> float | None:
    """Events per second over ``times`` (sorted or not): ``(n - 1) / (last - first)``, the rate of the gaps, so
    one request alone or all at one instant has no rate (None)."""
    if len(times) < 2:
        return None
    span = max(times) - min(times)
    return None if span <= 0 else (len(times) - 1) / span


def parse_status_line(line: bytes) -> int:
    """``b"HTTP/1.1 200 OK"`` → 200; raises ValueError on anything else."""
    parts = line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ValueError(f"not an HTTP status line: {line[:60]!r}")
    return int(parts[1])


def _content_length(head: bytes) -> tuple[int, bool]:
    """(Content-Length, whether the server will close) from a response head; chunked bodies are not expected
    from ingest (it answers small JSON with a length) and raise."""
    length = 0
    closing = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value.strip())
        elif key == b"transfer-encoding" and b"chunked" in value.lower():
            raise ValueError("chunked response from ingest")
        elif key == b"connection" and value.strip().lower() == b"close":
            closing = True
    return length, closing


# --------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """Per request (by index): first send, 200 answer (NaN if never), final status, attempts; plus totals."""

    total: int
    wall_offset: float
    started: float = 0.0
    finished: float = 0.0
    sent_at: list[float] = field(default_factory=list)
    answered_at: list[float] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)
    due_at: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    cpu_s: float = 0.0

    @classmethod
    def empty(cls, total: int) -> LoadResult:
        nan = math.nan
        return cls(
            total=total,
            wall_offset=time.time() - time.monotonic(),
            sent_at=[nan] * total,
            answered_at=[nan] * total,
            status=[""] * total,
            attempts=[0] * total,
            due_at=[nan] * total,
        )

    def accepted(self) -> list[int]:
        """Indexes answered 200."""
        return [i for i, s in enumerate(self.status) if s == "200"]

    def wall(self, mono: float) -> float:
        return mono + self.wall_offset

    @property
    def elapsed_s(self) -> float:
        return self.finished - self.started


# --------------------------------------------------------------------------------------------------------
# Posting
# --------------------------------------------------------------------------------------------------------


class _Connection:
    """One keep-alive HTTP/1.1 connection to one ingest address; reconnects after any error."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _ensure(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def post(self, wire: bytes) -> int:
        reader, writer = await self._ensure()
        writer.write(wire)
        await writer.drain()
        head = await reader.readuntil(_HEADER_END)
        if len(head) > _MAX_HEADER_BYTES:
            raise ValueError("response head too large")
        length, closing = _content_length(head[: -len(_HEADER_END)])
        if length:
            await reader.readexactly(length)
        if closing:
            self.close()
        return parse_status_line(head.split(b"\r\n", 1)[0])

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _deliver(
    conn: _Connection,
    request: SignedRequest,
    index: int,
    result: LoadResult,
    give_up_s: float,
    on_answer: Callable[[int, float], None] | None,
) -> None:
    """Post until answered 200, rejected (4xx) or given up; record the outcome at ``index``."""
    first = time.monotonic()
    result.sent_at[index] = first
    attempt = 0
    while True:
        attempt += 1
        try:
            code = await asyncio.wait_for(conn.post(request.wire), ATTEMPT_TIMEOUT_S)
            status = str(code)
        except TimeoutError:
            conn.close()
            status = "timeout"
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            conn.close()
            status = "connection error"
        result.statuses[status] += 1
        if status == "200":
            now = time.monotonic()
            result.answered_at[index] = now
            if on_answer is not None:
                on_answer(index, now)
            break
        retryable = not status.isdigit() or int(status) >= 500 or int(status) in _RETRY_STATUSES
        if not retryable or time.monotonic() - first > give_up_s:
            break
        result.retries += 1
        await asyncio.sleep(min(RETRY_BACKOFF_MAX_S, RETRY_BACKOFF_S * 2 ** (attempt - 1)))
    result.status[index] = status
    result.attempts[index] = attempt


def _targets(urls: Sequence[str]) -> list[tuple[str, int]]:
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"target needs host and port: {url}")
        out.append((parts.hostname, parts.port))
    return out


async def post_burst(
    requests: Sequence[SignedRequest],
    targets: Sequence[str],
    *,
    concurrency: int,
    give_up_s: float = DEFAULT_GIVE_UP_S,
    on_answer: Callable[[int, float], None] | None = None,
) -> LoadResult:
    """Post every request as fast as the targets answer: ``concurrency`` connections (spread round-robin over
    ``targets``), each taking the next request in order when its previous one is answered."""
    result = LoadResult.empty(len(requests))
    addresses = _targets(targets)
    next_index = iter(range(len(requests)))
    cpu = time.process_time()

    async def connection(k: int) -> None:
        conn = _Connection(*addresses[k % len(addresses)])
        try:
            for i in next_index:
                await _deliver(conn, requests[i], i, result, give_up_s, on_answer)
        finally:
            conn.close()

    result.started = time.monotonic()
    result.due_at = [result.started] * len(requests)
    await asyncio.gather(*(connection(k) for k in range(concurrency)))
    result.finished = time.monotonic()
    result.cpu_s = time.process_time() - cpu
    return result


async def post_paced(
    requests: Sequence[SignedRequest],
    targets: Sequence[str],
    *,
    rate: float,
    concurrency: int,
    give_up_s: float = DEFAULT_GIVE_UP_S,
    on_answer: Callable[[int, float], None] | None = None,
) -> LoadResult:
    """Post request ``i`` at ``start + i / rate`` on the first free connection. A request that finds every
    connection busy waits in order; its lateness shows as ``sent_at - due_at``."""
    result = LoadResult.empty(len(requests))
    addresses = _targets(targets)
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    cpu = time.process_time()

    async def connection(k: int) -> None:
        conn = _Connection(*addresses[k % len(addresses)])
        try:
            while (i := await queue.get()) is not None:
                await _deliver(conn, requests[i], i, result, give_up_s, on_answer)
        finally:
            conn.close()

    workers = [asyncio.create_task(connection(k)) for k in range(concurrency)]
    start = time.monotonic()
    result.started = start
    released = 0
    total = len(requests)
    while released < total:
        due = due_count(time.monotonic() - start, rate, total)
        for i in range(released, due):
            result.due_at[i] = start + due_offset(i, rate)
            queue.put_nowait(i)
        released = max(released, due)
        if released < total:
            wait = start + due_offset(released, rate) - time.monotonic()
            await asyncio.sleep(max(MIN_PACER_SLEEP_S, wait))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    result.finished = time.monotonic()
    result.cpu_s = time.process_time() - cpu
    return result
