"""Who may see the dashboard: nobody beyond localhost without a login, and no login that is easy to pass.

Supervisor dashboards show conversation metadata and redacted transcripts; that is still customer data.
On a loopback address the dashboard is open (a developer's machine). Anywhere else it needs either a shared
password (``CXPULSE_DASHBOARD__PASSWORD``, at least ``password_min_length`` characters) or an OIDC provider
through Streamlit's own ``st.login`` with an allowlist (``[dashboard.roles]``). ``cxpulse dashboard`` refuses
to start otherwise, and the login gate (``dashboards/login.py``) refuses to serve, whatever started Streamlit.
"""

from __future__ import annotations

import hashlib
import hmac

from cxpulse.errors import CxpulseError
from cxpulse.settings import DashboardSettings
from dashboards.exposure import is_loopback

__all__ = [
    "AccessError",
    "check_listen_address",
    "check_startup",
    "is_loopback",
    "login_config_errors",
    "password_matches",
]


class AccessError(CxpulseError):
    """The dashboard would be reachable without a sound login."""


def login_config_errors(settings: DashboardSettings) -> list[str]:
    """What is wrong with the login configuration, as messages for the operator (empty = nothing).

    Checked here rather than by a settings validator: pydantic prints a model's input with a model-level error,
    and that input holds the password.
    """
    errors = []
    password = settings.password.get_secret_value() if settings.password else ""
    if password and len(password) < settings.password_min_length:
        errors.append(
            f"the dashboard password (CXPULSE_DASHBOARD__PASSWORD) has {len(password)} characters; at least "
            f"{settings.password_min_length} are required. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`"
        )
    if settings.oidc_provider and not settings.roles:
        errors.append(
            "dashboard.oidc_provider is set but dashboard.roles is empty, so nobody could log in: allow people "
            'with e.g. [dashboard.roles] "@acme.com" = ["supervisor"]'
        )
    return errors


def check_listen_address(settings: DashboardSettings) -> None:
    """Refuse to serve beyond localhost unless a login is configured."""
    if not is_loopback(settings.host) and not settings.auth_configured:
        raise AccessError(
            f"refusing to serve the dashboard on {settings.host}: beyond localhost it needs a login. "
            "Set CXPULSE_DASHBOARD__PASSWORD, or CXPULSE_DASHBOARD__OIDC_PROVIDER with an [auth] section in "
            ".streamlit/secrets.toml"
        )


def check_startup(settings: DashboardSettings) -> None:
    """Everything ``cxpulse dashboard`` checks before it starts Streamlit."""
    errors = login_config_errors(settings)
    if errors:
        raise AccessError("refusing to start the dashboard: " + "; ".join(errors))
    check_listen_address(settings)


def password_matches(settings: DashboardSettings, attempt: str) -> bool:
    """Constant-time comparison of digests, so response time says nothing about the password, its length included."""
    if settings.password is None:
        return False
    expected = hashlib.sha256(settings.password.get_secret_value().encode()).digest()
    return hmac.compare_digest(hashlib.sha256(attempt.encode()).digest(), expected)
