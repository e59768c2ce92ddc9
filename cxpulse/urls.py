"""Two small URL rules shared by settings, the local stack and everything that prints an address.

* :func:`mask_url`: a URL may carry credentials (``http://user:secret@host``); wherever one is shown or logged the
  password must not be. One helper, so every printer masks the same way.
* :func:`is_loopback_host`: the local stack may listen on, and trust, loopback addresses only unless told
  otherwise. Decided from the literal name, without DNS: a name that merely resolves to 127.0.0.1 today is exactly
  what a DNS-rebinding attacker controls.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode

__all__ = ["LOOPBACK_NAMES", "MASK", "is_loopback_host", "mask_url"]

MASK = "***"
#: Host names that mean "this machine" by definition (RFC 6761 reserves ``localhost`` and its subdomains).
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_LOCALHOST_SUFFIX = ".localhost"
_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+._\-]*://")  # "_": SASL_SSL://, seen in Kafka configs
#: Query parameters that carry secrets in database/broker URLs.
_SECRET_PARAMS = frozenset({"password", "pass", "passwd", "secret", "token", "key", "sasl_plain_password"})


def mask_url(value: str) -> str:
    """``value`` with the password of each URL masked: ``http://u:***@h:8123/``, ``k1:9092,u:***@k2:9092``.

    Accepts one URL, or a comma-separated list without a scheme (a Kafka bootstrap string). The user name stays
    (it says *who*, not *how*); a userinfo without ``:`` is masked whole, since some schemes put a token there.
    The userinfo ends at the last ``@`` of the authority, so an unencoded ``@`` or ``,`` in a password (invalid, but
    typed by people) is still masked whole. Query parameters named like secrets (``password=…``) are masked too.
    """
    if _SCHEME.match(value) and value.count("://") == 1:
        return _mask_query(_mask_userinfo(value))
    return ",".join(_mask_query(_mask_userinfo(part)) for part in value.split(","))


def _mask_userinfo(url: str) -> str:
    scheme = _SCHEME.match(url)
    start = scheme.end() if scheme else len(url) - len(url.lstrip())
    end = next((i for i in range(start, len(url)) if url[i] in "/?#"), len(url))
    at = url.rfind("@", start, end)
    if at < 0:
        return url
    user, colon, _ = url[start:at].partition(":")
    return url[:start] + (f"{user}:{MASK}" if colon else MASK) + url[at:]


def _mask_query(url: str) -> str:
    base, question, rest = url.partition("?")
    query, hash_sign, fragment = rest.partition("#")
    params = parse_qsl(query, keep_blank_values=True)
    if not question or not any(name.lower() in _SECRET_PARAMS for name, _ in params):
        return url
    masked = [(name, MASK if name.lower() in _SECRET_PARAMS else value) for name, value in params]
    return f"{base}?{urlencode(masked, safe='*')}{hash_sign}{fragment}"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an IP literal, brackets allowed) names this machine's loopback interface."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name:
        return False
    if name in LOOPBACK_NAMES or name.endswith(_LOCALHOST_SUFFIX):
        return True
    try:
        address = ipaddress.ip_address(name.partition("%")[0])  # fe80::1%lo: drop the zone
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
