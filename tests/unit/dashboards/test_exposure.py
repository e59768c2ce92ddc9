"""Where the dashboard really listens: Streamlit's bind address and this process's listening sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config

from cxpulse.settings import DashboardSettings
from dashboards import exposure
from dashboards.exposure import WILDCARD, beyond_loopback, is_loopback, listening_hosts, served_hosts

LINUX_PROC = Path("/proc/self/net/tcp").exists()


@pytest.fixture
def server_address() -> Iterator[None]:
    """Restores Streamlit's ``server.address`` and ``server.port`` after a test (the options are process-wide)."""
    saved = {key: (config.get_option(key), config.get_where_defined(key)) for key in ("server.address", "server.port")}
    exposure._listening_hosts_once.cache_clear()  # per process in production; tests reuse ephemeral ports
    yield
    for key, (value, where) in saved.items():
        config.set_option(key, value, where)
    exposure._listening_hosts_once.cache_clear()


def _listen(host: str, family: socket.AddressFamily = socket.AF_INET) -> socket.socket:
    sock = socket.socket(family)
    sock.bind((host, 0))
    sock.listen()
    return sock


@pytest.mark.skipif(not LINUX_PROC, reason="reads /proc (Linux)")
def test_listening_hosts_are_this_process_sockets_on_that_port() -> None:
    with _listen("127.0.0.1") as loop, _listen("0.0.0.0") as wild, _listen("::", socket.AF_INET6) as wild6:
        assert listening_hosts(loop.getsockname()[1]) == ("127.0.0.1",)
        assert listening_hosts(wild.getsockname()[1]) == ("0.0.0.0",)
        assert listening_hosts(wild6.getsockname()[1]) == ("::",)
        with socket.socket() as bound_only:  # bound but not listening: not served
            bound_only.bind(("0.0.0.0", 0))
            assert listening_hosts(bound_only.getsockname()[1]) == ()


def test_listening_hosts_without_proc_says_so(tmp_path: Path) -> None:
    assert listening_hosts(8501, proc=tmp_path) is None


def test_an_explicit_streamlit_bind_address_counts_whatever_cxpulse_says(server_address: None) -> None:
    settings = DashboardSettings(host="127.0.0.1")
    config.set_option("server.address", "127.0.0.1")
    assert served_hosts() == ("127.0.0.1",)
    assert not beyond_loopback(settings)
    config.set_option("server.address", "0.0.0.0")
    assert served_hosts() == ("0.0.0.0",)
    assert beyond_loopback(settings)
    config.set_option("server.address", "::")
    assert beyond_loopback(settings)


def test_no_server_and_no_bind_address_is_not_exposed(server_address: None) -> None:
    """Under AppTest nothing listens; the cxpulse host setting still counts on its own."""
    config.set_option("server.address", None)
    assert served_hosts() == ()
    assert not beyond_loopback(DashboardSettings(host="127.0.0.1"))
    assert beyond_loopback(DashboardSettings(host="0.0.0.0"))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("::", False), ("", False)],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.skipif(not LINUX_PROC, reason="reads /proc (Linux)")
def test_a_server_without_a_bind_address_is_judged_by_its_socket(server_address: None) -> None:
    """``streamlit run app.py`` with no ``--server.address`` binds every interface: that is beyond localhost."""
    config.set_option("server.address", None)
    with _listen("::", socket.AF_INET6) as server:
        config.set_option("server.port", server.getsockname()[1])
        assert served_hosts() == ("::",)
        assert beyond_loopback(DashboardSettings(host="127.0.0.1"))
    with _listen("127.0.0.1") as server:
        config.set_option("server.port", server.getsockname()[1])
        assert not beyond_loopback(DashboardSettings(host="127.0.0.1"))


def test_without_proc_a_running_runtime_is_assumed_to_listen_everywhere(
    server_address: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.set_option("server.address", None)
    monkeypatch.setattr(exposure, "_listening_hosts_once", lambda port: None)
    monkeypatch.setattr(exposure.runtime, "exists", lambda: True)
    assert served_hosts() == (WILDCARD,)
    assert beyond_loopback(DashboardSettings(host="127.0.0.1"))
