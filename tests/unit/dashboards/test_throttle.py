"""Failed-password lockouts, per client and global, on a fake clock."""

from __future__ import annotations

import pytest

from dashboards.throttle import LoginThrottle

WINDOW_S = 60.0
LOCKOUT_S = 300.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _throttle(clock: FakeClock, *, per_client: int = 3, overall: int = 10) -> LoginThrottle:
    return LoginThrottle(
        max_attempts=per_client, global_max_attempts=overall, window_s=WINDOW_S, lockout_s=LOCKOUT_S, clock=clock
    )


def test_a_client_is_locked_out_after_max_failures_for_the_lockout(clock: FakeClock) -> None:
    throttle = _throttle(clock)
    assert throttle.failed("10.0.0.1") == 0
    assert throttle.failed("10.0.0.1") == 0
    assert throttle.failed("10.0.0.1") == LOCKOUT_S
    assert throttle.locked_for("10.0.0.1") == LOCKOUT_S
    assert throttle.locked_for("10.0.0.2") == 0  # others are not affected
    clock.now += LOCKOUT_S - 1
    assert throttle.locked_for("10.0.0.1") == 1
    clock.now += 1
    assert throttle.locked_for("10.0.0.1") == 0
    assert throttle.failed("10.0.0.1") == 0  # a fresh start after the lockout


def test_failures_outside_the_window_do_not_count(clock: FakeClock) -> None:
    throttle = _throttle(clock)
    throttle.failed("10.0.0.1")
    throttle.failed("10.0.0.1")
    clock.now += WINDOW_S + 1
    assert throttle.failed("10.0.0.1") == 0


def test_a_success_forgets_the_clients_earlier_typos(clock: FakeClock) -> None:
    throttle = _throttle(clock)
    throttle.failed("10.0.0.1")
    throttle.failed("10.0.0.1")
    throttle.succeeded("10.0.0.1")
    assert throttle.failed("10.0.0.1") == 0


def test_many_addresses_together_lock_everyone_out(clock: FakeClock) -> None:
    throttle = _throttle(clock, per_client=3, overall=5)
    for n in range(4):
        assert throttle.failed(f"10.0.0.{n}") == 0  # one try per address: no client limit is reached
    assert throttle.failed("10.0.0.9") == LOCKOUT_S
    assert throttle.locked_for("192.168.1.1") == LOCKOUT_S  # an address that never failed is locked too


def test_memory_stays_bounded(clock: FakeClock) -> None:
    throttle = _throttle(clock, per_client=3, overall=1_000_000)
    for n in range(1000):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
    clock.now += WINDOW_S + 1
    throttle.failed("10.9.9.9")
    assert len(throttle._failures) == 1
