"""Background processes the local stack owns: started detached, tracked by pid file, stopped for sure.

Why pid files instead of a supervisor: ``cxpulse stack up`` returns while Kafka and the ClickHouse front keep
running, and a later ``cxpulse stack down`` (another process) must find and stop exactly those. Each service
runs in its own session (process group), so ``down`` takes its children with it and leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cxpulse.errors import CxpulseError
from cxpulse.secret_env import ProcessKind, child_environment
from cxpulse.stack.secrets import private_dir

__all__ = ["ManagedProcess", "StackError", "port_open", "wait_until"]

log = logging.getLogger(__name__)

_POLL_S = 0.25
_STOP_GRACE_S = 30.0


class StackError(CxpulseError):
    """A local-stack service could not be set up, started or stopped."""


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate: Callable[[], bool], timeout: float, poll: float = _POLL_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return predicate()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@dataclass
class ManagedProcess:
    """One detached service: its command, where it logs, and where its pid is kept."""

    name: str
    command: Sequence[str]
    run_dir: Path
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    #: Which secrets of the environment it inherits (:mod:`cxpulse.secret_env`): a stack service gets none.
    kind: ProcessKind = "service"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of our running instance, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if _pid_alive(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self) -> int:
        """Start detached in its own session unless already running; returns the pid."""
        running = self.pid()
        if running is not None:
            return running
        private_dir(self.run_dir)
        private_dir(self.log_dir)
        with open(self.log_file, "ab") as log_stream:
            proc = subprocess.Popen(
                list(self.command),
                stdout=log_stream,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.cwd,
                env=child_environment(self.kind, self.env),
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        log.info("started service=%s pid=%s log=%s", self.name, proc.pid, self.log_file)
        return proc.pid

    def stop(self, grace_s: float = _STOP_GRACE_S) -> bool:
        """SIGTERM the whole process group, SIGKILL after ``grace_s``. Returns whether it was running."""
        pid = self.pid()
        if pid is None:
            return False
        self._signal_group(pid, signal.SIGTERM)
        if not wait_until(lambda: not _pid_alive(pid), grace_s):
            log.warning("service=%s pid=%s ignored SIGTERM for %.0fs; killing", self.name, pid, grace_s)
            self._signal_group(pid, signal.SIGKILL)
            wait_until(lambda: not _pid_alive(pid), 5.0)
        self.pid_file.unlink(missing_ok=True)
        log.info("stopped service=%s pid=%s", self.name, pid)
        return True

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    @staticmethod
    def _signal_group(pid: int, sig: signal.Signals) -> None:
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
