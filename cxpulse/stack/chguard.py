"""Who may talk to the local ClickHouse front, and from where.

The front runs as the operator and serves the operator's data, so it must not answer:

* any process on the machine: every query needs the configured user and password, compared in constant time,
  sent the ways ClickHouse accepts them (HTTP Basic, which clickhouse-connect sends; ``X-ClickHouse-User`` +
  ``X-ClickHouse-Key``; ``user`` + ``password`` URL parameters), one way per request;
* a web page the operator visits: a page may POST ``text/plain`` to ``http://127.0.0.1:8123`` without a CORS
  preflight, or point its own host name at 127.0.0.1 (DNS rebinding) to read the answers too. The ``Host`` header
  must name this server (its bind address, a loopback name, or a configured name) with its port, and requests
  carrying browser-only headers (``Origin``, ``Sec-Fetch-*``) are refused: no ClickHouse client sends them;
* the network, unless the operator says so: :func:`check_bind_host` refuses a non-loopback listen address.

``/ping`` stays unauthenticated, as on a ClickHouse server (health checks), but still checks ``Host``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cxpulse.stack.cherrors import ACCESS_DENIED, AUTHENTICATION_FAILED, REQUIRED_PASSWORD, ClickHouseError
from cxpulse.urls import is_loopback_host

__all__ = ["PASSWORD_ENV", "AccessConfig", "AccessGuard", "Credentials", "check_bind_host", "split_host_header"]

#: The environment variable the stack hands the front its password in: never on the command line, which any local
#: user can read in ``ps``.
PASSWORD_ENV = "CHSERVER_PASSWORD"

#: Listen addresses that mean "every interface": never a name a client legitimately puts in ``Host``.
_UNSPECIFIED = frozenset({"", "0.0.0.0", "::", "*"})
#: Headers only browsers send (fetch metadata and CORS): a ClickHouse client never does.
_BROWSER_HEADERS = ("Origin", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest")
_BASIC = "basic"


@dataclass(frozen=True)
class Credentials:
    """The one user of the front and its password (per-user grants come with a later governance change)."""

    user: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.user or not self.password:
            raise ValueError("the ClickHouse front needs a user name and a non-empty password")


@dataclass(frozen=True)
class AccessConfig:
    """How the front is reached: its credentials, extra ``Host`` names, and whether it may listen beyond loopback."""

    credentials: Credentials
    host_names: tuple[str, ...] = ()
    allow_remote_bind: bool = False


def check_bind_host(host: str, *, allow_remote: bool) -> None:
    """Refuse to listen beyond loopback unless explicitly allowed: the front has the operator's file access."""
    if allow_remote or is_loopback_host(host):
        return
    raise ValueError(
        f"refusing to listen on {host or 'every interface'}: the local ClickHouse front serves the operator's data "
        "and listens on loopback addresses only. Use a 127.0.0.1/localhost URL, or set [stack] "
        "clickhouse_allow_remote_bind = true (CXPULSE_STACK__CLICKHOUSE_ALLOW_REMOTE_BIND=1) on a trusted network"
    )


def split_host_header(value: str) -> tuple[str, int | None]:
    """``Host`` → (lower-cased name without IPv6 brackets, port or None); a malformed port gives port -1."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            return name, -1
    else:
        name, colon, port_text = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
        port_text = port_text if colon else None
    if port_text is None:
        return name, None
    return name, int(port_text) if port_text.isdigit() else -1


class AccessGuard:
    """The checks every request passes, in the order the handler applies them."""

    def __init__(self, credentials: Credentials, host_names: Iterable[str], port: int) -> None:
        self._user = _digest(credentials.user)
        self._password = _digest(credentials.password)
        self._names = frozenset(
            name.strip().strip("[]").lower() for name in host_names if name.strip() not in _UNSPECIFIED
        )
        self._port = port

    def check_host(self, headers: Mapping[str, str]) -> None:
        """The ``Host`` header names this server: a loopback name or a configured one, with the listening port."""
        value = headers.get("Host")
        name, port = split_host_header(value or "")
        if value and port == self._port and (name in self._names or is_loopback_host(name)):
            return
        raise ClickHouseError(
            ACCESS_DENIED,
            f"Host header {value!r} does not name this server (expected a loopback or configured name with port "
            f"{self._port}); requests through other names, as DNS rebinding makes them, are refused",
        )

    def check_not_browser(self, headers: Mapping[str, str]) -> None:
        """Web pages must not reach the front, not even with a request they cannot read the answer of."""
        sent = [name for name in _BROWSER_HEADERS if headers.get(name) is not None]
        if sent:
            raise ClickHouseError(
                ACCESS_DENIED,
                f"requests from web browsers are refused (they carry {', '.join(sent)}); use a ClickHouse client",
            )

    def authenticate(self, headers: Mapping[str, str], params: Sequence[tuple[str, str]]) -> str:
        """The authenticated user name, or ClickHouse's 194 (nothing sent, 401) / 516 (wrong or ambiguous, 403)."""
        offered = _offered_credentials(headers, params)
        if not offered:
            raise ClickHouseError(
                REQUIRED_PASSWORD,
                "Authentication required: send a user and password (HTTP Basic auth, X-ClickHouse-User and "
                "X-ClickHouse-Key headers, or user and password URL parameters)",
            )
        if len(offered) > 1:
            raise ClickHouseError(
                AUTHENTICATION_FAILED, "Use one authentication method per request (headers, Basic auth or parameters)"
            )
        user, password = offered[0]
        # both comparisons always run, on digests of equal length: the time taken says nothing about which one
        # failed, nor about the password's length
        user_ok = hmac.compare_digest(_digest(user), self._user)
        password_ok = hmac.compare_digest(_digest(password), self._password)
        if user_ok and password_ok:
            return user
        raise ClickHouseError(
            AUTHENTICATION_FAILED,
            f"{user}: Authentication failed: password is incorrect, or there is no user with such name",
        )


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _offered_credentials(headers: Mapping[str, str], params: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each authentication method the request used, as (user, password); more than one is an error."""
    offered: list[tuple[str, str]] = []
    header_user, header_key = headers.get("X-ClickHouse-User"), headers.get("X-ClickHouse-Key")
    if header_user is not None or header_key is not None:
        offered.append((header_user or "default", header_key or ""))
    authorization = headers.get("Authorization")
    if authorization is not None:
        scheme, _, encoded = authorization.strip().partition(" ")
        if scheme.lower() != _BASIC:
            raise ClickHouseError(AUTHENTICATION_FAILED, f"Unsupported authorization scheme {scheme!r}; use Basic")
        try:
            user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ClickHouseError(AUTHENTICATION_FAILED, "Malformed Basic authorization header") from None
        offered.append((user or "default", password))
    named = dict(params)
    if "user" in named or "password" in named:
        offered.append((named.get("user") or "default", named.get("password", "")))
    return offered
