"""Who may see the dashboard: nobody beyond localhost without a login.

Supervisor dashboards show conversation metadata and redacted transcripts; that is still customer data.
On a loopback address the dashboard is open (a developer's machine). Anywhere else it needs either a shared
password (``CXPULSE_DASHBOARD__PASSWORD``) or an OIDC provider through Streamlit's own ``st.login``, and
``cxpulse dashboard`` refuses to start without one.
"""

from __future__ import annotations

import hmac
import ipaddress

from cxpulse.errors import CxpulseError
from cxpulse.settings import DashboardSettings

__all__ = ["AccessError", "check_listen_address", "is_loopback", "password_matches"]


class AccessError(CxpulseError):
    """The dashboard would be reachable beyond localhost without a login."""


def is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listen_address(settings: DashboardSettings) -> None:
    """Refuse to serve beyond localhost unless a login is configured."""
    if not is_loopback(settings.host) and not settings.auth_configured:
        raise AccessError(
            f"refusing to serve the dashboard on {settings.host}: beyond localhost it needs a login. "
            "Set CXPULSE_DASHBOARD__PASSWORD, or CXPULSE_DASHBOARD__OIDC_PROVIDER with an [auth] section in "
            ".streamlit/secrets.toml"
        )


def password_matches(settings: DashboardSettings, attempt: str) -> bool:
    """Constant-time comparison, so response time says nothing about the password."""
    if settings.password is None:
        return False
    return hmac.compare_digest(attempt.encode(), settings.password.get_secret_value().encode())
