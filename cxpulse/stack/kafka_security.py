"""The local broker's authentication and authorization (``[stack] kafka_security = "scram"``).

Without it any local process could read raw PII from the raw topic and the redaction DLQ, or write
``redacted=true`` events straight into ``cx.events.redacted``, skipping signature checks and redaction. So:

- the client listener (``CLIENT``) takes SASL/SCRAM-SHA-512 only; the password of each principal (admin, worker,
  reader: :mod:`cxpulse.kafka_auth`) is generated once into the 0700 state dir and added to the cluster metadata
  when the storage is formatted;
- the controller listener takes SASL/PLAIN with the admin user from the 0600 ``server.properties`` (KRaft cannot
  check SCRAM there: the credentials live in the metadata log the controller serves). Left PLAINTEXT, its
  ``ANONYMOUS`` principal would have to be a super user, and a local process could create ACLs through it;
- the KRaft ``StandardAuthorizer`` denies whatever no ACL allows; only ``admin`` (also the broker's own
  inter-broker identity) is a super user; :mod:`streams.acls` grants the rest.

Passwords never appear on a command line (``/proc/<pid>/cmdline`` is world-readable): the storage tool reads its
arguments from a 0600 Java ``@argfile``; later changes go over the authenticated Kafka protocol.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from cxpulse.kafka_auth import LOCAL_MECHANISM, ROLES, Role, local_password, principal
from cxpulse.settings import Settings
from cxpulse.stack.process import StackError
from cxpulse.stack.secrets import private_dir

__all__ = [
    "broker_properties",
    "format_arguments",
    "is_provisioned",
    "java_with_argfile",
    "mark_provisioned",
    "new_local_password",
    "upsert_credentials",
    "write_private",
]

#: PBKDF2 rounds of the stored SCRAM credentials (Kafka accepts 4096 up to 16384).
SCRAM_ITERATIONS = 8192
_CLIENT = "CLIENT"
_CONTROLLER = "CONTROLLER"
_PLAINTEXT = "PLAINTEXT"
_CONTROLLER_MECHANISM = "PLAIN"
_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"
_PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
#: Which cluster's metadata holds our SCRAM credentials (a re-formatted storage has a new cluster id).
_PROVISIONED_MARKER = "scram.cluster-id"
_SECRET_BYTES = 32
_ADMIN_TIMEOUT_S = 30


def broker_properties(settings: Settings, host: str, port: int) -> dict[str, str]:
    """Listener and security properties of the local broker for ``[stack] kafka_security``."""
    controller = f"{host}:{settings.stack.controller_port}"
    if settings.stack.kafka_security == "none":
        return {
            "listeners": f"{_PLAINTEXT}://{host}:{port},{_CONTROLLER}://{controller}",
            "advertised.listeners": f"{_PLAINTEXT}://{host}:{port}",
            "listener.security.protocol.map": f"{_PLAINTEXT}:{_PLAINTEXT},{_CONTROLLER}:{_PLAINTEXT}",
        }
    admin = principal(settings, "admin")
    password = local_password(settings, "admin")
    scram = LOCAL_MECHANISM.lower()
    plain = _CONTROLLER_MECHANISM.lower()
    return {
        "listeners": f"{_CLIENT}://{host}:{port},{_CONTROLLER}://{controller}",
        "advertised.listeners": f"{_CLIENT}://{host}:{port}",
        "listener.security.protocol.map": f"{_CLIENT}:SASL_PLAINTEXT,{_CONTROLLER}:SASL_PLAINTEXT",
        "inter.broker.listener.name": _CLIENT,
        "sasl.mechanism.inter.broker.protocol": LOCAL_MECHANISM,
        "sasl.mechanism.controller.protocol": _CONTROLLER_MECHANISM,
        f"listener.name.{_CLIENT.lower()}.sasl.enabled.mechanisms": LOCAL_MECHANISM,
        f"listener.name.{_CONTROLLER.lower()}.sasl.enabled.mechanisms": _CONTROLLER_MECHANISM,
        # the broker's own client identity towards itself (inter-broker) and the controller
        f"listener.name.{_CLIENT.lower()}.{scram}.sasl.jaas.config": (
            f'{_SCRAM_LOGIN} required username="{admin}" password="{password}";'
        ),
        f"listener.name.{_CONTROLLER.lower()}.{plain}.sasl.jaas.config": (
            f'{_PLAIN_LOGIN} required username="{admin}" password="{password}" user_{admin}="{password}";'
        ),
        "authorizer.class.name": _AUTHORIZER,
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{admin}",
    }


def format_arguments(settings: Settings) -> list[str]:
    """``kafka-storage format`` arguments that add every principal's SCRAM credential (none without SCRAM)."""
    if settings.stack.kafka_security == "none":
        return []
    arguments: list[str] = []
    for role in ROLES:
        credential = (
            f"name={principal(settings, role)},iterations={SCRAM_ITERATIONS},password={local_password(settings, role)}"
        )
        arguments += ["--add-scram", f"{LOCAL_MECHANISM}=[{credential}]"]
    return arguments


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only (the broker config holds the admin password)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    path.chmod(0o600)


@contextlib.contextmanager
def _argfile(folder: Path, arguments: Sequence[str]) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(dir=private_dir(folder), prefix=".java-args.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            # the launcher's argfile syntax: one argument per line, quoted (backslashes escape inside quotes)
            out.writelines('"' + a.replace("\\", "\\\\").replace('"', '\\"') + '"\n' for a in arguments)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def java_with_argfile(
    java: str, arguments: Sequence[str], folder: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run ``java @argfile``: the JVM reads its class path, main class and arguments from a 0600 file in
    ``folder`` (deleted afterwards), so secrets among them never show in the process list."""
    with _argfile(folder, arguments) as path:
        return subprocess.run([java, f"@{path}"], capture_output=True, text=True, timeout=timeout)


def _cluster_id(data_dir: Path) -> str | None:
    try:
        lines = (data_dir / "meta.properties").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "cluster.id":
            return value.strip()
    return None


def is_provisioned(home: Path, data_dir: Path) -> bool:
    """Whether this storage's metadata holds our SCRAM credentials (formatted with them, or upgraded)."""
    cluster = _cluster_id(data_dir)
    marker = home / _PROVISIONED_MARKER
    return cluster is not None and marker.is_file() and marker.read_text(encoding="utf-8").strip() == cluster


def mark_provisioned(home: Path, data_dir: Path) -> None:
    cluster = _cluster_id(data_dir)
    if cluster is None:
        raise StackError(f"{data_dir} is not formatted")
    write_private(home / _PROVISIONED_MARKER, cluster + "\n")


def upsert_credentials(client_config: dict[str, Any], users: dict[str, str]) -> None:
    """Create or replace the SCRAM credential of each ``{principal: password}`` over the Kafka protocol."""
    from confluent_kafka.admin import AdminClient, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

    mechanism = ScramMechanism[LOCAL_MECHANISM.replace("-", "_")]
    admin = AdminClient(client_config)
    upserts = [
        UserScramCredentialUpsertion(name, ScramCredentialInfo(mechanism, SCRAM_ITERATIONS), password.encode())
        for name, password in users.items()
    ]
    for name, future in admin.alter_user_scram_credentials(upserts, request_timeout=_ADMIN_TIMEOUT_S).items():
        try:
            future.result()
        except Exception as exc:
            raise StackError(f"could not set the SCRAM credential of {name}: {exc}") from exc


def missing_credentials(client_config: dict[str, Any], users: dict[str, str]) -> dict[str, str]:
    """The ``{principal: password}`` of ``users`` that have no SCRAM credential on the broker yet."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(client_config)
    missing: dict[str, str] = {}
    for name, future in admin.describe_user_scram_credentials(list(users), request_timeout=_ADMIN_TIMEOUT_S).items():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.RESOURCE_NOT_FOUND:
                raise StackError(f"could not describe the SCRAM credential of {name}: {exc}") from exc
            missing[name] = users[name]
    return missing


def add_missing_credentials(client_config: dict[str, Any], users: dict[str, str]) -> list[str]:
    """Create the credentials of ``users`` the broker does not know (a role added by a newer cxpulse, such as
    ``ingest``, on storage formatted before it); existing ones are left alone. Returns the principals added."""
    missing = missing_credentials(client_config, users)
    if missing:
        upsert_credentials(client_config, missing)
    return sorted(missing)


def all_credentials(settings: Settings) -> dict[str, str]:
    """``{principal: password}`` of every role, from the state dir."""
    return {principal(settings, role): local_password(settings, role) for role in ROLES}


def new_local_password(settings: Settings, role: Role) -> tuple[str, Path]:
    """A fresh password for ``role`` and the secret file it must replace (the caller commits it with
    :func:`os.replace` only after the broker accepted it, so a failed rotation keeps the old password working)."""
    folder = private_dir(settings.stack.state_dir.expanduser().resolve() / "secrets")
    return secrets.token_urlsafe(_SECRET_BYTES), folder / f"kafka-{role}"
