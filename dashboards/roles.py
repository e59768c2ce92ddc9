"""Who sees which page: dashboard roles, the viewer of a session, and the OIDC allowlist.

Pages show different kinds of customer data to different people: supervisors need the live queues, QA
reviewers the transcripts of sampled conversations, compliance staff the redaction audit. An identity provider
knows everyone in the company (often more: guests, contractors, personal accounts), so knowing a person is not a
reason to show them anything: only the addresses and domains in ``[dashboard.roles]`` get in, with the roles
listed there. Everything here is pure, so the policy is tested without Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from cxpulse.errors import CxpulseError
from cxpulse.settings import DashboardRole, DashboardSettings

__all__ = [
    "ADMIN",
    "ALL_PAGES",
    "AT_RISK",
    "COMPLIANCE",
    "LIVE",
    "LIVE_SLA",
    "LOCAL_IDENTITY",
    "PAGES_BY_ROLE",
    "QA",
    "QUALITY",
    "ROLES",
    "TRANSCRIPT",
    "AccessDenied",
    "Viewer",
    "oidc_viewer",
    "password_viewer",
    "roles_for_email",
]

ROLES: tuple[str, ...] = get_args(DashboardRole)
ADMIN = "admin"

# Page keys: the ``url_path`` of each ``st.Page`` in ``dashboards/app.py``.
LIVE_SLA = "live_sla"
AT_RISK = "at_risk"
LIVE = "live"
QA = "qa"
COMPLIANCE = "compliance"
QUALITY = "quality"
TRANSCRIPT = "transcript"
ALL_PAGES = frozenset({LIVE_SLA, AT_RISK, LIVE, QA, COMPLIANCE, QUALITY, TRANSCRIPT})

#: What each role may open. Transcripts (redacted) go with the pages that link to them.
PAGES_BY_ROLE: Mapping[str, frozenset[str]] = {
    "supervisor": frozenset({LIVE_SLA, AT_RISK, LIVE, TRANSCRIPT}),
    "qa_reviewer": frozenset({QA, TRANSCRIPT}),
    "compliance": frozenset({COMPLIANCE, QUALITY}),
    ADMIN: ALL_PAGES,
}

#: The viewer on a loopback address with no login configured (a developer's own machine).
LOCAL_IDENTITY = "local"


class AccessDenied(CxpulseError):
    """A logged-in identity that may not use the dashboard; the message is shown to that person."""


@dataclass(frozen=True)
class Viewer:
    """The person behind a session, as the login established them.

    :param identity: what their QA reviews are signed with (an OIDC e-mail, ``password_user``, or ``local``).
    :param roles: their dashboard roles; never empty for a viewer that got past the gate.
    :param method: how they logged in (``local`` = no login: loopback without a password or OIDC).
    """

    identity: str
    roles: frozenset[str]
    method: Literal["oidc", "password", "local"]

    @property
    def pages(self) -> frozenset[str]:
        return frozenset().union(*(PAGES_BY_ROLE.get(role, frozenset()) for role in self.roles))

    def may_open(self, page: str) -> bool:
        return page in self.pages


def roles_for_email(email: str, rules: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    """The roles of ``email`` under ``rules`` (keys as normalised by settings: ``a@b.com`` or ``@b.com``).

    The domain is everything after the last ``@`` and must equal a key's domain exactly: ``@acme.com`` admits
    neither ``bob@evilacme.com`` nor ``bob@acme.com.evil.io`` nor ``bob@eu.acme.com``.
    """
    address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return frozenset()
    return frozenset((*rules.get(address, ()), *rules.get(f"@{domain}", ())))


def oidc_viewer(claims: Mapping[str, object], settings: DashboardSettings) -> Viewer:
    """The viewer for a logged-in OIDC user (``st.user``), or :class:`AccessDenied` with a message for them."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise AccessDenied(
            "Your identity provider did not share an e-mail address, and this dashboard admits people by e-mail. "
            "Ask your administrator to add the email scope."
        )
    # Providers that let users type any address (social logins, self-service sign-up) say so here.
    if claims.get("email_verified") in (False, "false"):
        raise AccessDenied(f"{email} is not verified at your identity provider, so it cannot open this dashboard.")
    roles = roles_for_email(email, settings.roles)
    if not roles:
        raise AccessDenied(
            f"{email} is not allowed to use this dashboard. Ask an administrator to add you to [dashboard.roles]."
        )
    return Viewer(identity=email.strip().lower(), roles=roles, method="oidc")


def password_viewer(settings: DashboardSettings) -> Viewer:
    """Whoever typed the shared password: one configured name and role set for everyone who knows it."""
    return Viewer(identity=settings.password_user, roles=frozenset(settings.password_roles), method="password")
