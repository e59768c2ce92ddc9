"""Secrets with no safe default: the worker refuses to start without them, the demo makes local ones.

A public default salt is worse than none: pseudonyms of phone numbers (``cust_…``) can be reversed by
enumerating numbers with the published salt, and a known QA salt lets agents compute which of their
conversations will be reviewed. So these settings have no default; a deployment sets them once (and keeps them:
a new pseudonym salt makes every customer a new customer), and ``cxpulse worker --demo`` / ``cxpulse demo``
generate random ones kept in the local stack's 0700 state directory (:mod:`cxpulse.stack.secrets`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pydantic import SecretStr

from cxpulse.errors import CxpulseError
from cxpulse.settings import Settings
from cxpulse.stack.secrets import local_secret

__all__ = [
    "REQUIRED_SECRETS",
    "MissingSecretsError",
    "RequiredSecret",
    "missing_secrets",
    "refusal",
    "require_secrets",
    "with_local_secrets",
]


@dataclass(frozen=True)
class RequiredSecret:
    """One secret setting: where it lives, the variable that sets it, and why it may not be public."""

    section: str
    field: str
    why: str

    @property
    def env_var(self) -> str:
        return f"CXPULSE_{self.section.upper()}__{self.field.upper()}"

    def value(self, settings: Settings) -> SecretStr | None:
        return getattr(getattr(settings, self.section), self.field)


REQUIRED_SECRETS: tuple[RequiredSecret, ...] = (
    RequiredSecret("redaction", "pseudonym_salt", "keys the HMAC pseudonyms of customer addresses"),
    RequiredSecret("qa", "random_salt", "decides which conversations the random QA sample reviews"),
)


class MissingSecretsError(CxpulseError):
    """The worker was asked to run without secrets that have no safe default."""


def missing_secrets(settings: Settings) -> list[RequiredSecret]:
    """The required secrets not set (env, TOML or init), in :data:`REQUIRED_SECRETS` order."""
    return [secret for secret in REQUIRED_SECRETS if not _is_set(secret.value(settings))]


def refusal(missing: list[RequiredSecret]) -> str:
    """What to do, doctor-style: each variable, why it matters, and how to make a value."""
    lines = ["refusing to start: secrets with no safe default are not set:"]
    lines += [f"  {secret.env_var}  ({secret.why})" for secret in missing]
    lines += [
        "set each to its own random value and keep it (a new pseudonym salt makes every customer a new one), e.g.",
        "  export " + " ".join(f'{s.env_var}="$(openssl rand -base64 32)"' for s in missing),
        "or, for a local trial only, run `cxpulse worker --demo` (random values kept in the stack's state dir).",
    ]
    return "\n".join(lines)


def require_secrets(settings: Settings) -> None:
    """Raise :class:`MissingSecretsError` with the doctor message when any required secret is unset."""
    missing = missing_secrets(settings)
    if missing:
        raise MissingSecretsError(refusal(missing))


def with_local_secrets(settings: Settings, env: dict[str, str] | None = None) -> Settings:
    """Settings with every unset required secret taken from the local stack's state dir (created once).

    The value is also written to ``env`` (default: this process's environment), because processes that load the
    settings themselves — the redaction pool's fork server, the demo's children — must see the same secret.
    """
    target = os.environ if env is None else env
    state_dir = settings.stack.state_dir.expanduser().resolve()
    for secret in missing_secrets(settings):
        value = local_secret(state_dir, f"{secret.section}-{secret.field}")
        target[secret.env_var] = value
        section = getattr(settings, secret.section).model_copy(update={secret.field: SecretStr(value)})
        settings = settings.model_copy(update={secret.section: section})
    return settings


def _is_set(value: SecretStr | None) -> bool:
    return value is not None and bool(value.get_secret_value().strip())
