"""Failed-password bookkeeping: per client address and for all clients together, shared by every session.

A shared password behind an unlimited form can be guessed at network speed. Each Streamlit session is a new
script run, so the state lives in one object per process (the login gate keeps it in ``st.cache_resource``),
guarded by a lock because sessions run in threads. A client with too many failures in a sliding window is
locked out for a while; so is everybody when all clients together fail too often, so rotating addresses does not
help. While locked, the password is not even compared: a right guess during a lockout tells the guesser nothing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from cxpulse.settings import DashboardSettings

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Sliding-window failure counts with lockouts, per client key and global.

    :param max_attempts: failures of one client within ``window_s`` that lock it out.
    :param global_max_attempts: failures of all clients together within ``window_s`` that lock everybody out.
    :param window_s: how far back failures count.
    :param lockout_s: how long a lockout lasts.
    :param clock: monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        *,
        max_attempts: int,
        global_max_attempts: int,
        window_s: float,
        lockout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_attempts
        self._global_max = global_max_attempts
        self._window_s = window_s
        self._lockout_s = lockout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._all_failures: deque[float] = deque()
        self._all_locked_until = 0.0

    @classmethod
    def from_settings(cls, settings: DashboardSettings) -> LoginThrottle:
        return cls(
            max_attempts=settings.login_max_attempts,
            global_max_attempts=settings.login_global_max_attempts,
            window_s=settings.login_window_s,
            lockout_s=settings.login_lockout_s,
        )

    def locked_for(self, client: str) -> float:
        """Seconds until ``client`` may try a password again (0 = now)."""
        with self._lock:
            now = self._clock()
            return max(0.0, self._locked_until.get(client, 0.0) - now, self._all_locked_until - now)

    def failed(self, client: str) -> float:
        """Count a wrong password from ``client``; returns how long it is locked out now (0 = not locked)."""
        with self._lock:
            now = self._clock()
            self._forget(now)
            failures = self._failures.setdefault(client, deque())
            failures.append(now)
            self._all_failures.append(now)
            if len(failures) >= self._max:
                self._locked_until[client] = now + self._lockout_s
                failures.clear()
            if len(self._all_failures) >= self._global_max:
                self._all_locked_until = now + self._lockout_s
                self._all_failures.clear()
        return self.locked_for(client)

    def succeeded(self, client: str) -> None:
        """A right password: the client's earlier typos no longer count against it (the global count stays)."""
        with self._lock:
            self._failures.pop(client, None)

    def _forget(self, now: float) -> None:
        """Drop failures older than the window, ended lockouts and clients with nothing left: bounded memory."""
        cutoff = now - self._window_s
        for key in list(self._failures):
            failures = self._failures[key]
            while failures and failures[0] < cutoff:
                failures.popleft()
            if not failures:
                del self._failures[key]
        for key in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[key]
        while self._all_failures and self._all_failures[0] < cutoff:
            self._all_failures.popleft()
