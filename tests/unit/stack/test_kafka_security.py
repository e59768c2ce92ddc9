"""The local broker's security configuration, and that its passwords never reach a command line."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from cxpulse.kafka_auth import local_password
from cxpulse.settings import Settings
from cxpulse.stack import kafka_security
from cxpulse.stack.kafka import KafkaService

pytestmark = pytest.mark.usefixtures("defaults_only_settings")


def _settings(tmp_path: Path, security: str) -> Settings:
    return Settings(
        kafka={"bootstrap_servers": "127.0.0.1:19092"},
        stack={"state_dir": tmp_path / "state", "controller_port": 19093, "kafka_security": security},
    )


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_without_security_the_broker_is_plaintext_and_has_no_authorizer(tmp_path: Path) -> None:
    props = _props(KafkaService(_settings(tmp_path, "none"))._server_properties())
    assert props["listener.security.protocol.map"] == "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    assert "authorizer.class.name" not in props


def test_with_scram_every_listener_authenticates_and_acls_deny_by_default(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "scram")
    props = _props(KafkaService(settings)._server_properties())
    assert props["listeners"] == "CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    # no PLAINTEXT listener at all: the controller port would otherwise be a way around the ACLs
    assert props["listener.security.protocol.map"] == "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    assert props["listener.name.client.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin"
    admin = local_password(settings, "admin")
    assert f'username="admin" password="{admin}"' in props["listener.name.client.scram-sha-512.sasl.jaas.config"]
    assert f'user_admin="{admin}"' in props["listener.name.controller.plain.sasl.jaas.config"]


def test_storage_is_formatted_with_every_principal_credential(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "scram")
    arguments = kafka_security.format_arguments(settings)
    credentials = arguments[1::2]
    assert arguments[0::2] == ["--add-scram"] * 4
    for role in ("admin", "worker", "reader", "ingest"):
        assert (
            f"SCRAM-SHA-512=[name={role},iterations={kafka_security.SCRAM_ITERATIONS},"
            f"password={local_password(settings, role)}]" in credentials
        )
    assert kafka_security.format_arguments(_settings(tmp_path, "none")) == []


def test_java_reads_secret_arguments_from_a_private_argfile_not_argv(tmp_path: Path) -> None:
    """A stand-in for java records its argv and the argfile (content and mode) as it saw them."""
    record = tmp_path / "seen.txt"
    fake_java = tmp_path / "java"
    fake_java.write_text(
        f"#!{sys.executable}\n"
        "import os, stat, sys\n"
        "path = sys.argv[1][1:]\n"
        f"with open({str(record)!r}, 'w') as out:\n"
        "    mode = oct(stat.S_IMODE(os.stat(path).st_mode))\n"
        "    out.write(repr(sys.argv[1:]) + '\\n' + mode + '\\n' + open(path).read())\n"
    )
    fake_java.chmod(0o700)
    folder = tmp_path / "kafka"
    secret = 'pw-"quoted"\\and spaced'
    result = kafka_security.java_with_argfile(
        str(fake_java),
        ["-cp", "/libs/*", "Main", "--add-scram", f"SCRAM-SHA-512=[name=a,password={secret}]"],
        folder,
        10,
    )
    assert result.returncode == 0, result.stderr
    argv, mode, content = record.read_text().split("\n", 2)
    assert secret not in argv and argv.startswith("['@")
    assert mode == "0o600"
    assert secret.replace("\\", "\\\\").replace('"', '\\"') in content
    assert list(folder.iterdir()) == [], "the argfile is removed afterwards"


def test_the_argfile_quoting_is_what_java_reads(tmp_path: Path) -> None:
    """Java itself parses the argfile back into the same arguments (skipped without a JDK)."""
    import shutil

    java = shutil.which("java")
    if java is None:
        pytest.skip("no java on PATH")
    source = tmp_path / "Echo.java"
    source.write_text(
        "public class Echo { public static void main(String[] a) { for (String s : a) System.out.println(s); } }"
    )
    arguments = ["plain", 'with "quotes"', "back\\slash", "two words", "SCRAM-SHA-512=[name=a,password=x_-Y]"]
    result = kafka_security.java_with_argfile(java, [str(source), *arguments], tmp_path / "args", 60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == arguments


def test_private_files_and_the_provisioning_marker(tmp_path: Path) -> None:
    home, data = tmp_path / "kafka", tmp_path / "kafka" / "data"
    kafka_security.write_private(home / "server.properties", "x=1\n")
    assert stat.S_IMODE((home / "server.properties").stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert not kafka_security.is_provisioned(home, data)
    data.mkdir()
    (data / "meta.properties").write_text("version=1\ncluster.id=abc\nnode.id=1\n")
    kafka_security.mark_provisioned(home, data)
    assert kafka_security.is_provisioned(home, data)
    (data / "meta.properties").write_text("version=1\ncluster.id=reformatted\nnode.id=1\n")
    assert not kafka_security.is_provisioned(home, data), "a re-formatted storage has none of our credentials"
