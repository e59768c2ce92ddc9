"""The load generator of the ingest benchmark: Debian's ``wrk`` replaying the pre-signed posts, or a Python client.

``wrk`` (C, epoll) is the client of record: it costs a fraction of what the server under test costs per request,
so the figures are the server's. Without it a Python aiohttp client does the same replay and the report says so:
it shares the two cores with the server and lowers every figure, the bare endpoint's included, so its ratios are
only indicative.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.ingest_requests import read_requests
from streams.ingest import CONVERSATIONS_PATH

__all__ = ["WRK_SCRIPT", "LoadRun", "parse_wrk_line", "run_load", "wrk_available"]

WRK_SCRIPT = Path(__file__).with_name("wrk_replay.lua")
_WRK_MARKER = "CXPULSE_WRK "
_US_PER_MS = 1000.0
_US_PER_S = 1_000_000.0
_HTTP_OK = 200
#: wrk's own timeout per request: above ingest's 4 s ack timeout, so a 503 is counted as a 503, not a timeout.
_REQUEST_TIMEOUT_S = 10
#: Extra time the wrk process may take beyond the run (loading the request file, the final report).
_WRK_GRACE_S = 60


@dataclass(frozen=True)
class LoadRun:
    """What one load run measured, from the client's side."""

    client: str
    requests: int
    duration_s: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    #: Posts sent again after the request file ran out (ingest answers those without producing them).
    repeats: int

    @property
    def accepted(self) -> int:
        return self.requests - self.non_2xx

    @property
    def accepted_per_s(self) -> float:
        return self.accepted / self.duration_s if self.duration_s else 0.0


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def parse_wrk_line(output: str) -> LoadRun:
    """The result line ``bench/wrk_replay.lua`` prints at the end of a run."""
    for line in output.splitlines():
        if line.startswith(_WRK_MARKER):
            data = json.loads(line[len(_WRK_MARKER) :])
            break
    else:
        raise RuntimeError(f"wrk printed no result line:\n{output[-2000:]}")
    return LoadRun(
        client="wrk",
        requests=data["requests"],
        duration_s=data["duration_us"] / _US_PER_S,
        non_2xx=data["status_errors"],
        socket_errors=data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"],
        p50_ms=data["p50_us"] / _US_PER_MS,
        p90_ms=data["p90_us"] / _US_PER_MS,
        p99_ms=data["p99_us"] / _US_PER_MS,
        max_ms=data["max_us"] / _US_PER_MS,
        repeats=data["repeats"],
    )


def _run_wrk(base_url: str, requests_file: Path, duration_s: float, connections: int, threads: int) -> LoadRun:
    env = {
        **os.environ,
        "CXPULSE_WRK_REQUESTS": str(requests_file),
        "CXPULSE_WRK_PATH": CONVERSATIONS_PATH,
        "CXPULSE_WRK_THREADS": str(threads),
    }
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s:g}s",
        f"--timeout={_REQUEST_TIMEOUT_S}s",
        "-s",
        str(WRK_SCRIPT),
        base_url,
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration_s + _WRK_GRACE_S)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return parse_wrk_line(done.stdout)


async def _python_load(base_url: str, requests_file: Path, duration_s: float, connections: int) -> LoadRun:
    import aiohttp

    entries = read_requests(requests_file)
    latencies: list[float] = []
    counts = {"requests": 0, "non_2xx": 0, "socket_errors": 0, "repeats": 0}
    url = base_url + CONVERSATIONS_PATH
    deadline = time.monotonic() + duration_s
    began = time.monotonic()

    async def connection(slot: int, http: aiohttp.ClientSession) -> None:
        index, wrapped = slot, False
        while time.monotonic() < deadline:
            if index >= len(entries):
                index, wrapped = slot, True
            entry = entries[index]
            index += connections
            counts["repeats"] += wrapped
            sent = time.monotonic()
            try:
                async with http.post(url, data=entry.body.encode(), headers=entry.headers) as response:
                    await response.read()
                    counts["non_2xx"] += response.status != _HTTP_OK
            except aiohttp.ClientError:
                counts["socket_errors"] += 1
                continue
            counts["requests"] += 1
            latencies.append(time.monotonic() - sent)

    timeout = aiohttp.ClientTimeout(total=_REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections), timeout=timeout) as http:
        await asyncio.gather(*(connection(slot, http) for slot in range(connections)))
    elapsed = time.monotonic() - began
    latencies.sort()

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000 if latencies else 0.0

    return LoadRun(
        client="python-aiohttp (wrk not installed: figures limited by the client)",
        requests=counts["requests"],
        duration_s=elapsed,
        non_2xx=counts["non_2xx"],
        socket_errors=counts["socket_errors"],
        p50_ms=percentile(0.5),
        p90_ms=percentile(0.9),
        p99_ms=percentile(0.99),
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
        repeats=counts["repeats"],
    )


def run_load(
    base_url: str, requests_file: Path, *, duration_s: float, connections: int, threads: int, use_wrk: bool
) -> LoadRun:
    """Post the replay file to ``base_url`` for ``duration_s`` over ``connections`` keep-alive connections."""
    if use_wrk:
        return _run_wrk(base_url, requests_file, duration_s, connections, threads)
    return asyncio.run(_python_load(base_url, requests_file, duration_s, connections))
