"""The local ClickHouse: the real engine (chDB) served over ClickHouse's HTTP protocol by one process.

chDB allows one process per data directory, so one long-running front (:mod:`cxpulse.stack.chserver`) owns
the directory and every component talks to it with clickhouse-connect at ``CLICKHOUSE_URL``, exactly as it
would to a ClickHouse server. The front requires the password every client gets from
:meth:`~cxpulse.settings.ClickHouseSettings.credentials`: unless one is configured, a random one this service
generates once in ``<state_dir>/secrets/clickhouse`` (delete it and restart the stack to rotate it).
"""

from __future__ import annotations

import sys
import urllib.request
from urllib.parse import urlsplit

from cxpulse.settings import Settings
from cxpulse.stack.chguard import PASSWORD_ENV, check_bind_host
from cxpulse.stack.process import ManagedProcess, StackError, port_open, wait_until
from cxpulse.stack.secrets import local_secret, secret_path

__all__ = ["ClickHouseService"]

_PING_TIMEOUT_S = 2.0
#: Listen addresses meaning "all interfaces": health checks go to loopback instead.
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})
_LOOPBACK = "127.0.0.1"


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
                *(f"--allowed-host={name}" for name in settings.stack.clickhouse_allowed_hosts),
                *(["--allow-remote-bind"] if settings.stack.clickhouse_allow_remote_bind else []),
            ],
            run_dir=settings.state_path("run"),
            log_dir=settings.state_path("logs"),
        )
        self._command = list(self.process.command)

    def is_healthy(self) -> bool:
        """``/ping`` answers ``Ok.`` like a ClickHouse server."""
        try:
            host = _LOOPBACK if self.host in _ANY_ADDRESS else self.host
            ping = f"{self.scheme}://{host}:{self.port}/ping"
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
        if not already:
            try:
                check_bind_host(self.host, allow_remote=self._settings.stack.clickhouse_allow_remote_bind)
            except ValueError as exc:
                raise StackError(str(exc)) from None
            user, password = self._credentials()
            # the password goes through the environment (readable by this user only), never onto the command line
            self.process.env = {**self.process.env, PASSWORD_ENV: password}
            self.process.command = [*self._command, f"--user={user}"]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process.start()
        if not wait_until(self.is_healthy, self._settings.stack.start_timeout_s, poll=0.25):
            tail = self.process.log_tail()
            self.process.stop()
            raise StackError(f"ClickHouse (chDB) did not answer /ping on {self.host}:{self.port}; log tail:\n{tail}")
        return "running" if already else "started"

    def _credentials(self) -> tuple[str, str]:
        """What every client will send (one rule, in the settings); the local secret is created on first start."""
        clickhouse = self._settings.clickhouse
        state_dir = self._settings.stack.state_dir.expanduser().resolve()
        if clickhouse.password_file == secret_path(state_dir, "clickhouse"):
            local_secret(state_dir, "clickhouse")
        user, password = clickhouse.credentials()
        if not password:
            raise StackError(
                "the local ClickHouse front needs a password: set [clickhouse] password / password_file, or use a "
                "loopback http URL so the stack generates one in its state dir"
            )
        return user, password

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
