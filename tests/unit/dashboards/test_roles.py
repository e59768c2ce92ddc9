"""The OIDC allowlist and the role → pages table: who gets in, with what, and who does not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cxpulse.settings import DashboardSettings
from dashboards import roles
from dashboards.roles import AccessDenied, Viewer, oidc_viewer, password_viewer, roles_for_email

RULES = DashboardSettings(
    oidc_provider="okta",
    roles={
        "Alice@Example.com": ["compliance"],  # keys are normalised to lower case
        "@example.com": ["supervisor"],
        "partner.io": ["qa_reviewer"],  # a bare domain
    },
)


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("alice@example.com", {"compliance", "supervisor"}),  # her own roles and her domain's
        ("ALICE@EXAMPLE.COM", {"compliance", "supervisor"}),
        ("bob@example.com", {"supervisor"}),
        ("Bob@Example.COM ", {"supervisor"}),
        ("carol@partner.io", {"qa_reviewer"}),
        ("mallory@evilexample.com", set()),  # a suffix is not the domain
        ("mallory@example.com.evil.io", set()),
        ("mallory@eu.example.com", set()),  # nor is a subdomain
        ("mallory@example.co", set()),
        ("example.com", set()),
        ("@example.com", set()),
        ("", set()),
    ],
)
def test_roles_for_email(email: str, expected: set[str]) -> None:
    assert roles_for_email(email, RULES.roles) == expected


def test_allowlisted_user_gets_a_viewer_with_their_roles() -> None:
    viewer = oidc_viewer({"is_logged_in": True, "email": "Alice@Example.com", "email_verified": True}, RULES)
    assert viewer == Viewer(identity="alice@example.com", roles=frozenset({"compliance", "supervisor"}), method="oidc")


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"email": "mallory@evilexample.com"}, "mallory@evilexample.com is not allowed"),
        ({"email": "mallory@gmail.com"}, "is not allowed to use this dashboard"),
        ({"email": "bob@example.com", "email_verified": False}, "not verified"),
        ({"name": "Bob"}, "did not share an e-mail address"),
    ],
)
def test_other_users_are_refused_with_a_reason(claims: dict[str, object], message: str) -> None:
    with pytest.raises(AccessDenied, match=message):
        oidc_viewer({"is_logged_in": True, **claims}, RULES)


def test_role_keys_must_be_addresses_or_exact_domains() -> None:
    for key in ("*@example.com", "*.example.com", "alice@", "a@b@example.com", "@.example.com"):
        with pytest.raises(ValidationError, match="dashboard.roles key"):
            DashboardSettings(roles={key: ["supervisor"]})
    with pytest.raises(ValidationError, match="supervisor"):
        DashboardSettings(roles={"@example.com": ["superuser"]})  # an unknown role is a typo, not "no role"


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("supervisor", {roles.LIVE_SLA, roles.AT_RISK, roles.LIVE, roles.TRANSCRIPT}),
        ("qa_reviewer", {roles.QA, roles.TRANSCRIPT}),
        ("compliance", {roles.COMPLIANCE, roles.QUALITY}),
        ("admin", set(roles.ALL_PAGES)),
    ],
)
def test_role_to_pages(role: str, pages: set[str]) -> None:
    viewer = Viewer(identity="x@example.com", roles=frozenset({role}), method="oidc")
    assert viewer.pages == pages
    assert all(viewer.may_open(page) == (page in pages) for page in roles.ALL_PAGES)


def test_every_role_has_pages_and_every_page_a_role() -> None:
    assert set(roles.PAGES_BY_ROLE) == set(roles.ROLES)
    assert all(roles.PAGES_BY_ROLE[role] for role in roles.ROLES)
    assert frozenset().union(*(p for r, p in roles.PAGES_BY_ROLE.items() if r != roles.ADMIN)) == roles.ALL_PAGES


def test_password_user_has_the_configured_name_and_roles() -> None:
    viewer = password_viewer(
        DashboardSettings(password_user="night-shift", password_roles=("supervisor", "qa_reviewer"))
    )
    assert viewer == Viewer(identity="night-shift", roles=frozenset({"supervisor", "qa_reviewer"}), method="password")
    assert password_viewer(DashboardSettings()).roles == {"supervisor"}  # least privilege by default
