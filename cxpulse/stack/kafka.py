"""A single-node Apache Kafka broker (KRaft, no ZooKeeper) for the local stack.

The broker is the real Apache Kafka, not an emulator: its jars come from Maven Central through
``cxpulse/stack/pom.xml`` (``mvn dependency:copy-dependencies``) into a cache outside the repo, shared by every
clone and CI run on the machine. Storage is formatted on first start; data and logs live in the state dir.
"""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import uuid
from importlib import resources
from pathlib import Path

from cxpulse.kafka_auth import Role, confluent_config, principal
from cxpulse.settings import Settings
from cxpulse.stack import kafka_security as security
from cxpulse.stack.process import ManagedProcess, StackError, port_open, wait_until
from cxpulse.stack.secrets import private_dir

__all__ = ["KafkaService", "split_host_port"]

log = logging.getLogger(__name__)

_COMPLETE_MARKER = ".complete"
_MAVEN_TIMEOUT_S = 900
_FORMAT_TIMEOUT_S = 120
#: ``[stack] kafka_security`` the running broker was started with (a later `up` with other settings says so).
_RUNNING_SECURITY = "running-security"
#: A health probe waits this long for the broker's metadata answer.
_PROBE_TIMEOUT_S = 3


def _cluster_id() -> str:
    """Kafka cluster ids are 16 random bytes in URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def split_host_port(address: str, default_port: int) -> tuple[str, int]:
    """``"127.0.0.1:9092"`` → ``("127.0.0.1", 9092)``; the first of a comma-separated list."""
    first = address.split(",")[0].strip()
    first = first.removeprefix("kafka://").removeprefix("PLAINTEXT://")
    host, _, port = first.rpartition(":")
    if not host:
        return first, default_port
    return host.strip("[]"), int(port)


class KafkaService:
    """Fetch, format, start, health-check and stop the local broker."""

    name = "kafka"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.host, self.port = split_host_port(settings.kafka.bootstrap_servers, 9092)
        self.home = settings.state_path("kafka")
        self.process = ManagedProcess(
            name=self.name,
            command=self._command(),
            run_dir=settings.state_path("run"),
            log_dir=settings.state_path("logs"),
            env={"KAFKA_HEAP_OPTS": f"-Xmx{settings.stack.kafka_heap}"},
        )

    # -- jars ---------------------------------------------------------------------------------------------
    @property
    def libs_dir(self) -> Path:
        return self._settings.stack.jar_cache.expanduser() / self._settings.stack.kafka_version / "libs"

    def ensure_jars(self, *, verify: bool = True) -> Path:
        """Resolve the broker's jars from Maven Central once (strict checksums); later calls reuse the cache.
        Either way the jars must match their pinned SHA-512s (:mod:`cxpulse.stack.jars`) before they are used."""
        from cxpulse.stack.jars import verify_jars

        libs = self.libs_dir
        version = self._settings.stack.kafka_version
        if (libs / _COMPLETE_MARKER).is_file():
            if verify:
                verify_jars(libs, version)
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise StackError("Maven (mvn) is needed once to fetch the Kafka broker jars: apt-get install maven")
        staging = libs.with_name(f"libs.partial-{uuid.uuid4().hex[:8]}")
        pom = resources.files("cxpulse.stack") / "pom.xml"
        with resources.as_file(pom) as pom_path:
            cmd = [
                mvn,
                "-q",
                "-B",
                "-C",  # --strict-checksums: a jar whose checksum does not match Maven Central's fails the fetch
                "-f",
                str(pom_path),
                "dependency:copy-dependencies",
                f"-Dkafka.version={self._settings.stack.kafka_version}",
                f"-DoutputDirectory={staging}",
                "-DincludeScope=runtime",
            ]
            log.info("fetching Apache Kafka %s jars from Maven Central", self._settings.stack.kafka_version)
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=_MAVEN_TIMEOUT_S)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise StackError(f"mvn could not fetch the Kafka jars:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        (staging / _COMPLETE_MARKER).write_text(self._settings.stack.kafka_version)
        if verify:
            try:
                verify_jars(staging, version)
            except StackError:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
        return libs

    # -- configuration ------------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    def _server_properties(self, settings: Settings | None = None) -> str:
        """The broker's configuration; ``settings`` (default: this service's) choose its security."""
        controller = self._settings.stack.controller_port
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{self.host}:{controller}",
            "controller.listener.names": "CONTROLLER",
            # listeners, SASL and the ACL authorizer (cxpulse/stack/kafka_security.py)
            **security.broker_properties(settings or self._settings, self.host, self.port),
            "log.dirs": str(self.data_dir),
            # One node: internal topics cannot have more replicas than brokers.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Consumers in tests and the demo should not wait for a rebalance that never gets more members.
            "group.initial.rebalance.delay.ms": "0",
            # Topics are created explicitly with their partition counts (ARCHITECTURE.md "Scaling out").
            "auto.create.topics.enable": "false",
            "num.partitions": str(self._settings.kafka.partitions),
        }
        return "".join(f"{k}={v}\n" for k, v in props.items())

    def _command(self) -> list[str]:
        java = shutil.which("java") or "java"
        log4j = resources.files("cxpulse.stack") / "log4j2.yaml"
        return [
            java,
            f"-Xmx{self._settings.stack.kafka_heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j}",
            "-cp",
            f"{self.libs_dir}/*",
            "kafka.Kafka",
            str(self.config_file),
        ]

    def _format_storage(self) -> None:
        """Format KRaft storage once (a single standalone controller); skip when already formatted. With SCRAM
        the principals' credentials go into the initial metadata (arguments from a 0600 argfile, never argv)."""
        if (self.data_dir / "meta.properties").is_file():
            return
        self.home.mkdir(parents=True, exist_ok=True)
        arguments = [
            "-cp",
            f"{self.libs_dir}/*",
            "kafka.tools.StorageTool",
            "format",
            "-t",
            _cluster_id(),
            "-c",
            str(self.config_file),
            "--standalone",
            *security.format_arguments(self._settings),
        ]
        java = shutil.which("java") or "java"
        result = security.java_with_argfile(java, arguments, self.home, _FORMAT_TIMEOUT_S)
        if result.returncode != 0:
            # stdout is left out: it lists the metadata records, SCRAM salts and keys among them
            raise StackError(f"formatting Kafka storage failed:\n{result.stderr[-2000:]}")
        if self._settings.stack.kafka_security == "scram":
            security.mark_provisioned(self.home, self.data_dir)

    def _provision_existing_storage(self) -> None:
        """Add the SCRAM credentials to storage formatted without them (a state dir from before
        ``kafka_security = "scram"``): start the broker once as it was (PLAINTEXT, open as before), upsert every
        principal's credential, stop it. The next start then requires them."""
        log.info("adding SCRAM credentials to the existing Kafka storage in %s (one PLAINTEXT start)", self.data_dir)
        plaintext = self._settings.model_copy(
            update={
                "stack": self._settings.stack.model_copy(update={"kafka_security": "none"}),
                "kafka": self._settings.kafka.model_copy(update={"security_protocol": "PLAINTEXT"}),
            }
        )
        security.write_private(self.config_file, self._server_properties(plaintext))
        self.process.start()
        try:
            client = confluent_config(plaintext, "admin")
            if not wait_until(lambda: self._answers(client), self._settings.stack.start_timeout_s, poll=0.5):
                raise StackError(f"Kafka did not start to take SCRAM credentials; log tail:\n{self.process.log_tail()}")
            security.upsert_credentials(client, security.all_credentials(self._settings))
        finally:
            self.process.stop()
        security.mark_provisioned(self.home, self.data_dir)

    # -- lifecycle ----------------------------------------------------------------------------------------
    def is_healthy(self) -> bool:
        """The broker answers a metadata request as the admin principal (not merely an open port): a broker that
        speaks another security protocol than the settings say is not healthy for us."""
        return self._answers(confluent_config(self._settings, "admin"))

    def _running_security(self) -> str | None:
        try:
            return (self.home / _RUNNING_SECURITY).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None  # started by a cxpulse from before this marker

    def _answers(self, client: dict[str, object]) -> bool:
        if not port_open(self.host, self.port):
            return False
        from confluent_kafka.admin import AdminClient

        try:
            admin = AdminClient({**client, "socket.timeout.ms": _PROBE_TIMEOUT_S * 1000})
            metadata = admin.list_topics(timeout=_PROBE_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - any failure means "not healthy yet"
            return False
        return bool(metadata.brokers)

    def up(self) -> str:
        """Start (or reuse) the broker and wait until it is healthy. Returns how it is running."""
        if self.process.pid() is None and port_open(self.host, self.port):
            if self.is_healthy():
                return "reused (not started by cxpulse)"
            raise StackError(
                f"{self.host}:{self.port} is taken by something that does not answer as a Kafka broker with "
                f"kafka_security={self._settings.stack.kafka_security!r} (and the client settings of [kafka])"
            )
        self.ensure_jars()
        private_dir(self.home)
        wanted = self._settings.stack.kafka_security
        if self.process.pid() is not None:
            # started by an earlier `up`: never stop what this call did not start (another session may use it)
            running = self._running_security()
            if running not in (None, wanted):
                raise StackError(
                    f"the running Kafka (pid {self.process.pid()}) was started with kafka_security={running!r}, "
                    f"the settings say {wanted!r}: run `cxpulse stack down`, then `up` again (data is kept)"
                )
            if wait_until(self.is_healthy, self._settings.stack.start_timeout_s, poll=0.5):
                self._add_missing_credentials()
                return "running"
            raise StackError(
                f"the running Kafka (pid {self.process.pid()}) does not answer on {self.host}:{self.port} with "
                f"kafka_security={self._settings.stack.kafka_security!r}; if it was started with other settings, "
                "run `cxpulse stack down`, then `up` again"
            )
        security.write_private(self.config_file, self._server_properties())
        self._format_storage()
        if self._settings.stack.kafka_security == "scram" and not security.is_provisioned(self.home, self.data_dir):
            self._provision_existing_storage()
            security.write_private(self.config_file, self._server_properties())
        security.write_private(self.home / _RUNNING_SECURITY, wanted + "\n")
        self.process.start()
        if not wait_until(self.is_healthy, self._settings.stack.start_timeout_s, poll=0.5):
            tail = self.process.log_tail()
            self.process.stop()
            raise StackError(f"Kafka did not become healthy on {self.host}:{self.port}; log tail:\n{tail}")
        self._add_missing_credentials()
        return "started"

    def _add_missing_credentials(self) -> None:
        """Give every role a credential on this broker: storage formatted by an older cxpulse lacks the roles added
        since (``ingest``), and ``up`` is what operators and CI already run."""
        if self._settings.stack.kafka_security != "scram":
            return
        added = security.add_missing_credentials(
            confluent_config(self._settings, "admin"), security.all_credentials(self._settings)
        )
        if added:
            log.info("added SCRAM credentials to the running broker for %s", ", ".join(added))

    def rotate_password(self, role: Role) -> str:
        """Give ``role``'s principal a new password: set it on the broker (as admin), then in the state dir.
        Connections already open keep working; clients pick up the new password when they restart. The admin
        password is also the broker's own, so the broker is restarted when cxpulse runs it."""
        if self._settings.stack.kafka_security != "scram":
            raise StackError('the local broker runs without SCRAM ([stack] kafka_security = "none")')
        if not self.is_healthy():
            raise StackError("the local broker is not running: `cxpulse stack up` first")
        password, path = security.new_local_password(self._settings, role)
        security.upsert_credentials(
            confluent_config(self._settings, "admin"), {principal(self._settings, role): password}
        )
        staged = path.with_name(f".{path.name}.new")
        security.write_private(staged, password + "\n")
        staged.replace(path)
        if role != "admin":
            return f"new password for {principal(self._settings, role)}; restart its processes to use it"
        if self.process.pid() is None:
            return "new admin password set; restart the broker so it uses it for itself"
        self.process.stop()
        security.write_private(self.config_file, self._server_properties())
        self.up()
        return "new admin password set; the broker was restarted with it"

    def down(self) -> bool:
        return self.process.stop()

    def status(self) -> dict[str, str]:
        pid = self.process.pid()
        healthy = self.is_healthy()
        if pid is None:
            state = "external" if healthy else "stopped"
        else:
            state = "healthy" if healthy else "starting/unhealthy"
        return {
            "service": self.name,
            "state": state,
            "address": f"{self.host}:{self.port}",
            "pid": str(pid or "-"),
            "log": str(self.process.log_file),
            "version": f"Apache Kafka {self._settings.stack.kafka_version} (KRaft, "
            + ("SCRAM + ACLs)" if self._settings.stack.kafka_security == "scram" else "no authentication)"),
        }
