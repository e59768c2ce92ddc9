"""Who may do what on Kafka: the ACL set of one deployment (its topic prefix and app id), and applying it.

The broker denies whatever is not granted (``allow.everyone.if.no.acl.found=false``), so this list *is* the
access model (docs/security.md "Kafka"):

- worker: read and write every topic of the deployment (it is the pipeline: ingest, redaction, stages, sink),
  create/read/write faust's own topics (``<app_id>-…`` changelogs, the assignor topic), its consumer group
  ``<app_id>`` and throwaway groups ``<app_id>.…`` (``cxpulse dlq replay`` runs as the worker);
- reader: read every topic except the restricted ones (raw text), groups ``<app_id>.…``; writes nothing;
- ingest (``cxpulse ingest``): write the raw topic, nothing else: it cannot read raw text back, write any ``cx.*``
  topic or join a group. Its idempotent producer needs no more (Kafka ≥ 3.0 allows ``InitProducerId`` to a principal
  with WRITE on any topic, KIP-679);
- admin: a super user on the broker (``super.users``), so it needs no ACL.

Only the worker can read the raw topic or the redaction DLQ, and only the worker can write ``cx.events.redacted``:
a local process without the worker's password can neither read raw PII nor slip unredacted events past redaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

from cxpulse.kafka_auth import identity, principal
from cxpulse.settings import Settings
from schemas import topics as names
from streams.topics import topic_configs

__all__ = ["Grant", "acl_set", "ensure_acls", "restricted_topics", "should_apply_acls"]

log = logging.getLogger(__name__)

_ADMIN_TIMEOUT_S = 30
#: A created ACL reaches the broker's authorizer through the metadata log a moment later; a worker started right
#: after ``ensure_topics`` was refused its raw topic in that moment, so ``ensure_acls`` waits until it is applied.
_APPLIED_TIMEOUT_S = 30
_APPLIED_POLL_S = 0.2
#: faust names its changelog and assignor topics ``<app_id>-<name>``.
_FAUST_TOPIC_SEPARATOR = "-"
#: Consumer groups of short-lived tools are ``<app_id>.<tool>.<random>`` (``cxpulse dlq replay``).
_TOOL_GROUP_SEPARATOR = "."

Operation = Literal["READ", "WRITE", "CREATE"]


@dataclass(frozen=True, order=True)
class Grant:
    """One ALLOW ACL: ``principal`` may ``operation`` on the topic or group ``name`` (or names starting with it)."""

    principal: str
    resource: Literal["TOPIC", "GROUP"]
    name: str
    prefixed: bool
    operation: Operation


def restricted_topics(settings: Settings) -> frozenset[str]:
    """Topics that may hold raw text: the raw topic and the redaction DLQ (full names)."""
    return frozenset({settings.topic(names.RAW), settings.topic(names.REDACTION_DLQ)})


def acl_set(settings: Settings) -> list[Grant]:
    """Every ACL this deployment needs, sorted (admin needs none: it is a super user)."""
    worker = f"User:{principal(settings, 'worker')}"
    reader = f"User:{principal(settings, 'reader')}"
    ingest = f"User:{principal(settings, 'ingest')}"
    app_id = settings.worker.app_id
    topics = sorted(topic_configs(settings))
    restricted = restricted_topics(settings)
    grants = [Grant(worker, "TOPIC", t, False, op) for t in topics for op in ("READ", "WRITE")]
    grants += [Grant(worker, "TOPIC", app_id + _FAUST_TOPIC_SEPARATOR, True, op) for op in ("CREATE", "READ", "WRITE")]
    grants += [
        Grant(worker, "GROUP", app_id, False, "READ"),
        Grant(worker, "GROUP", app_id + _TOOL_GROUP_SEPARATOR, True, "READ"),
        Grant(reader, "GROUP", app_id + _TOOL_GROUP_SEPARATOR, True, "READ"),
    ]
    grants += [Grant(reader, "TOPIC", t, False, "READ") for t in topics if t not in restricted]
    grants.append(Grant(ingest, "TOPIC", settings.topic(names.RAW), False, "WRITE"))
    return sorted(grants)


def should_apply_acls(settings: Settings) -> bool:
    """Whether this process can and should apply the ACL set: SASL is on and it is the admin principal (a worker
    of a deployment, with its own identity, leaves ACLs to ``cxpulse kafka setup`` run as admin)."""
    who = identity(settings, "admin")
    return who.sasl and who.username == principal(settings, "admin")


def ensure_acls(settings: Settings) -> int:
    """Create the ACL set on the broker as the admin principal (creating an existing ACL is a no-op in Kafka)
    and wait until the broker applies it. Returns how many bindings there are."""
    from confluent_kafka.admin import (
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        AdminClient,
        ResourcePatternType,
        ResourceType,
    )

    from cxpulse.kafka_auth import confluent_config

    bindings = [
        AclBinding(
            ResourceType[grant.resource],
            grant.name,
            ResourcePatternType.PREFIXED if grant.prefixed else ResourcePatternType.LITERAL,
            grant.principal,
            "*",
            AclOperation[grant.operation],
            AclPermissionType.ALLOW,
        )
        for grant in acl_set(settings)
    ]
    admin = AdminClient(confluent_config(settings, "admin"))
    for binding, future in admin.create_acls(bindings, request_timeout=_ADMIN_TIMEOUT_S).items():
        try:
            future.result()
        except Exception as exc:
            raise RuntimeError(f"could not create ACL {binding}: {exc}") from exc
    everything = AclBindingFilter(
        ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
    )

    def applied() -> bool:
        described = admin.describe_acls(everything, request_timeout=_ADMIN_TIMEOUT_S).result()
        return set(bindings) <= set(described)

    deadline = time.monotonic() + _APPLIED_TIMEOUT_S
    while not applied():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the broker did not apply the ACL set within {_APPLIED_TIMEOUT_S} s")
        time.sleep(_APPLIED_POLL_S)
    log.info("kafka ACLs in place bindings=%d app_id=%s", len(bindings), settings.worker.app_id)
    return len(bindings)
