"""Which secrets each kind of child process may inherit from the environment that starts it.

``cxpulse demo`` and ``cxpulse stack up`` start children with this process's environment. Handed on whole, the
Twilio auth token (which signs webhooks: anyone holding it can forge Twilio traffic) and the salts would reach
the dashboard, the Kafka broker and the ClickHouse front, none of which need them; a dashboard compromise would
then leak the token. So every child gets the environment minus the secrets its kind does not use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

__all__ = ["ProcessKind", "child_environment", "is_withheld"]

ProcessKind = Literal["service", "worker", "ingest", "dashboard"]

#: Twilio auth token(s) and anything else under ``CXPULSE_TWILIO_``: only ingest (``cxpulse ingest``, or the worker
#: serving ingest) verifies signatures.
_TWILIO_PREFIX = "CXPULSE_TWILIO_"
#: The pseudonym and QA salts: only the worker redacts and samples.
_WORKER_SECRETS = frozenset({"CXPULSE_REDACTION__PSEUDONYM_SALT", "CXPULSE_QA__RANDOM_SALT"})
#: The dashboard's own login secrets (password, OIDC client secret): only the dashboard checks logins.
_DASHBOARD_PREFIX = "CXPULSE_DASHBOARD__"
#: A Kafka identity handed to a process (``cxpulse/kafka_auth.py``): the worker's or ingest's; the dashboard reads
#: ClickHouse only.
_KAFKA_IDENTITY = frozenset({"CXPULSE_KAFKA__USERNAME", "CXPULSE_KAFKA__PASSWORD"})


def is_withheld(name: str, kind: ProcessKind) -> bool:
    """Whether environment variable ``name`` must not reach a child of ``kind``."""
    worker_only = name.startswith(_TWILIO_PREFIX) or name in _WORKER_SECRETS or name in _KAFKA_IDENTITY
    dashboard_only = name.startswith(_DASHBOARD_PREFIX)
    if kind == "worker":
        return dashboard_only
    if kind == "ingest":  # verifies signatures and produces raw events: it never redacts, samples or logs anyone in
        return dashboard_only or name in _WORKER_SECRETS
    if kind == "dashboard":
        return worker_only
    return worker_only or dashboard_only  # a stack service (broker, ClickHouse front) needs neither


def child_environment(
    kind: ProcessKind, extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) without what ``kind`` may not see, plus ``extra``.

    ``extra`` is filtered too: a caller that hands the demo's generated token to every child by mistake still
    only reaches the worker.
    """
    merged = {**(os.environ if base is None else base), **(extra or {})}
    return {name: value for name, value in merged.items() if not is_withheld(name, kind)}
