"""Who may reach the local ClickHouse front: credentials, Host names, browsers, listen addresses (pure checks)."""

from __future__ import annotations

import base64

import pytest

from cxpulse.stack.cherrors import ACCESS_DENIED, AUTHENTICATION_FAILED, REQUIRED_PASSWORD, ClickHouseError
from cxpulse.stack.chguard import AccessGuard, Credentials, check_bind_host, split_host_header

PORT = 18123
GUARD = AccessGuard(Credentials("default", "s3cret"), ("127.0.0.1", "ch.internal"), PORT)
HOST = {"Host": f"127.0.0.1:{PORT}"}


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _code(call: object, *args: object) -> int:
    with pytest.raises(ClickHouseError) as refused:
        call(*args)  # type: ignore[operator]
    return refused.value.code


def test_each_clickhouse_way_of_sending_credentials_works() -> None:
    assert GUARD.authenticate(_basic("default", "s3cret"), []) == "default"  # clickhouse-connect, curl -u
    assert GUARD.authenticate({"X-ClickHouse-User": "default", "X-ClickHouse-Key": "s3cret"}, []) == "default"
    assert GUARD.authenticate({}, [("query", "SELECT 1"), ("user", "default"), ("password", "s3cret")]) == "default"


def test_missing_wrong_or_ambiguous_credentials_are_refused() -> None:
    assert _code(GUARD.authenticate, {}, [("query", "SELECT 1")]) == REQUIRED_PASSWORD  # 401
    assert _code(GUARD.authenticate, _basic("default", "guess"), []) == AUTHENTICATION_FAILED  # 403
    assert _code(GUARD.authenticate, _basic("admin", "s3cret"), []) == AUTHENTICATION_FAILED
    assert _code(GUARD.authenticate, _basic("default", ""), []) == AUTHENTICATION_FAILED
    assert _code(GUARD.authenticate, {"X-ClickHouse-User": "default"}, []) == AUTHENTICATION_FAILED
    assert _code(GUARD.authenticate, {"Authorization": "Bearer abc"}, []) == AUTHENTICATION_FAILED
    assert _code(GUARD.authenticate, {"Authorization": "Basic !!!"}, []) == AUTHENTICATION_FAILED
    both = {**_basic("default", "s3cret"), "X-ClickHouse-User": "default", "X-ClickHouse-Key": "s3cret"}
    assert _code(GUARD.authenticate, both, []) == AUTHENTICATION_FAILED


def test_a_password_is_required_to_build_the_guard() -> None:
    with pytest.raises(ValueError):
        Credentials("default", "")


@pytest.mark.parametrize(
    "host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}", f"ch.internal:{PORT}", f"LOCALHOST:{PORT}"]
)
def test_host_names_of_this_server_pass(host: str) -> None:
    GUARD.check_host({"Host": host})


@pytest.mark.parametrize(
    "host",
    [
        f"attacker.example:{PORT}",  # DNS rebinding: the page's own name, resolving to 127.0.0.1
        "127.0.0.1:8123",  # another port
        "127.0.0.1",  # no port: not what a client of this port sends
        f"0.0.0.0:{PORT}",
        f"127.0.0.1:{PORT}x",
        "",
    ],
)
def test_other_host_names_are_refused(host: str) -> None:
    assert _code(GUARD.check_host, {"Host": host}) == ACCESS_DENIED
    assert _code(GUARD.check_host, {}) == ACCESS_DENIED


def test_browser_requests_are_refused() -> None:
    GUARD.check_not_browser({**HOST, "User-Agent": "clickhouse-connect"})
    for header in ("Origin", "Sec-Fetch-Site", "Sec-Fetch-Mode"):
        assert _code(GUARD.check_not_browser, {**HOST, header: "cross-site"}) == ACCESS_DENIED


def test_listening_beyond_loopback_needs_the_setting() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind_host(host, allow_remote=False)
    for host in ("0.0.0.0", "", "::", "192.168.1.10", "ch.example"):
        with pytest.raises(ValueError, match="clickhouse_allow_remote_bind"):
            check_bind_host(host, allow_remote=False)
    check_bind_host("0.0.0.0", allow_remote=True)


def test_host_header_parsing() -> None:
    assert split_host_header("[::1]:8123") == ("::1", 8123)
    assert split_host_header("Example.COM:80") == ("example.com", 80)
    assert split_host_header("example.com") == ("example.com", None)
    assert split_host_header("example.com:http") == ("example.com", -1)
