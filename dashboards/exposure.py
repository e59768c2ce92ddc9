"""Where this dashboard is really reachable: Streamlit's own bind address and listening sockets.

``[dashboard] host`` is only what ``cxpulse dashboard`` passes to Streamlit. ``streamlit run dashboards/app.py
--server.address 0.0.0.0`` (or no ``--server.address`` at all: Streamlit then binds every interface) serves the
same app while that setting still says 127.0.0.1. So the login gate asks the server it runs in: the address
Streamlit binds (``server.address``, from the command line, ``STREAMLIT_SERVER_ADDRESS`` or
``.streamlit/config.toml``) and, on Linux, the sockets this process really listens on at ``server.port``.
Any non-loopback answer means "beyond localhost"; an unreadable one means nothing was learnt, never "safe".
"""

from __future__ import annotations

import ipaddress
import os
import sys
from functools import cache
from pathlib import Path

import streamlit as st
from streamlit import runtime

from cxpulse.settings import DashboardSettings

__all__ = ["WILDCARD", "beyond_loopback", "is_loopback", "listening_hosts", "served_hosts"]

#: What Streamlit binds when ``server.address`` is unset: every interface.
WILDCARD = "0.0.0.0"
_PROC = Path("/proc")
#: ``st`` column of /proc/net/tcp for a listening socket.
_TCP_LISTEN = "0A"
_IPV4_BYTES = 4
_WORD_BYTES = 4


def is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _decode_address(hex_address: str) -> str:
    """An address as /proc/net/tcp{,6} prints it: 32-bit words in the host's byte order."""
    raw = bytes.fromhex(hex_address)
    if sys.byteorder == "little":
        raw = b"".join(raw[i : i + _WORD_BYTES][::-1] for i in range(0, len(raw), _WORD_BYTES))
    address = ipaddress.IPv4Address(raw) if len(raw) == _IPV4_BYTES else ipaddress.IPv6Address(raw)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)  # a dual-stack socket bound to ::ffff:127.0.0.1 is IPv4 loopback
    return str(address)


def listening_hosts(port: int, *, proc: Path = _PROC) -> tuple[str, ...] | None:
    """The local addresses of this process's TCP sockets listening on ``port``; None where /proc is unreadable.

    :param proc: the proc file system (tests point it elsewhere only to prove the fallback; defaults to /proc).
    """
    fd_dir = proc / "self" / "fd"
    try:
        inodes = set()
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(fd_dir / fd)
            except OSError:  # closed between listdir and readlink
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
        tables = [(proc / "self" / "net" / name).read_text().splitlines()[1:] for name in ("tcp", "tcp6")]
    except OSError:
        return None
    hosts: list[str] = []
    for line in (line for table in tables for line in table):
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        address, _, port_hex = local.rpartition(":")
        if state == _TCP_LISTEN and inode in inodes and int(port_hex, 16) == port:
            hosts.append(_decode_address(address))
    return tuple(hosts)


@cache
def _listening_hosts_once(port: int) -> tuple[str, ...] | None:
    """:func:`listening_hosts` per process: Streamlit binds before the first session, and reading /proc costs
    about 10 ms, which every rerun of every session would otherwise pay twice (router and page)."""
    return listening_hosts(port)


def served_hosts() -> tuple[str, ...]:
    """Every address the Streamlit server of this process binds or listens on.

    The configured ``server.address`` counts whenever it is set (it is what a server started with this
    configuration binds). Unset, Streamlit binds every interface: the listening sockets then tell whether a
    server runs in this process at all (under ``AppTest`` none does). Without /proc (not Linux) a running
    Streamlit runtime is assumed to listen everywhere.
    """
    configured = st.get_option("server.address") or ""
    listening = _listening_hosts_once(int(st.get_option("server.port")))
    hosts = [configured] if configured else []
    if listening is not None:
        hosts.extend(listening)
    elif not configured and runtime.exists():
        hosts.append(WILDCARD)
    return tuple(hosts)


def beyond_loopback(settings: DashboardSettings) -> bool:
    """Whether the dashboard is (or is configured to be) reachable from another machine."""
    return not is_loopback(settings.host) or any(not is_loopback(host) for host in served_hosts())
