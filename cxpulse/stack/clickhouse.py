"""The local ClickHouse: the real engine (chDB) served over ClickHouse's HTTP protocol by one process.

chDB allows one process per data directory, so one long-running front (:mod:`cxpulse.stack.chserver`) owns
the directory and every component talks to it with clickhouse-connect at ``CLICKHOUSE_URL``, exactly as it
would to a ClickHouse server.
"""

from __future__ import annotations

import sys
import urllib.request
from urllib.parse import urlsplit

from cxpulse.settings import Settings
from cxpulse.stack.process import ManagedProcess, StackError, port_open, wait_until

__all__ = ["ClickHouseService"]

_PING_TIMEOUT_S = 2.0


class ClickHouseService:
    """Start, health-check and stop the chDB-backed ClickHouse HTTP front."""

    name = "clickhouse"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        url = urlsplit(settings.clickhouse.url)
        self.scheme = url.scheme or "http"
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 8123
        self.data_dir = settings.state_path("clickhouse")
        self.process = ManagedProcess(
            name=self.name,
            command=[
                sys.executable,
                "-m",
                "cxpulse.stack.chserver",
                "--data-dir",
                str(self.data_dir),
                "--host",
                self.host,
                "--port",
                str(self.port),
            ],
            run_dir=settings.state_path("run"),
            log_dir=settings.state_path("logs"),
        )

    def is_healthy(self) -> bool:
        """``/ping`` answers ``Ok.`` like a ClickHouse server."""
        try:
            ping = f"{self.scheme}://{self.host}:{self.port}/ping"
            with urllib.request.urlopen(ping, timeout=_PING_TIMEOUT_S) as response:  # noqa: S310 - our URL
                return response.status == 200 and response.read().startswith(b"Ok.")
        except OSError:
            return False

    def up(self) -> str:
        if self.process.pid() is None and port_open(self.host, self.port):
            if self.is_healthy():
                return "reused (not started by cxpulse)"
            raise StackError(f"{self.host}:{self.port} is taken by something that is not ClickHouse")
        already = self.process.pid() is not None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process.start()
        if not wait_until(self.is_healthy, self._settings.stack.start_timeout_s, poll=0.25):
            tail = self.process.log_tail()
            self.process.stop()
            raise StackError(f"ClickHouse (chDB) did not answer /ping on {self.host}:{self.port}; log tail:\n{tail}")
        return "running" if already else "started"

    def down(self) -> bool:
        return self.process.stop()

    def status(self) -> dict[str, str]:
        pid = self.process.pid()
        healthy = self.is_healthy()
        if pid is None:
            state = "external" if healthy else "stopped"
        else:
            state = "healthy" if healthy else "starting/unhealthy"
        return {
            "service": self.name,
            "state": state,
            "address": f"{self.scheme}://{self.host}:{self.port}",
            "pid": str(pid or "-"),
            "log": str(self.process.log_file),
            "version": f"chDB (ClickHouse engine), data in {self.data_dir}",
        }
