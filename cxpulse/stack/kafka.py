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

from cxpulse.settings import Settings
from cxpulse.stack.process import ManagedProcess, StackError, port_open, wait_until

__all__ = ["KafkaService", "split_host_port"]

log = logging.getLogger(__name__)

_COMPLETE_MARKER = ".complete"
_MAVEN_TIMEOUT_S = 900
_FORMAT_TIMEOUT_S = 120


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

    def ensure_jars(self) -> Path:
        """Resolve the broker's jars from Maven Central once; later calls reuse the cache."""
        libs = self.libs_dir
        if (libs / _COMPLETE_MARKER).is_file():
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

    def _server_properties(self) -> str:
        controller = self._settings.stack.controller_port
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{self.host}:{controller}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{controller}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
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
        """Format KRaft storage once (a single standalone controller); skip when already formatted."""
        if (self.data_dir / "meta.properties").is_file():
            return
        self.home.mkdir(parents=True, exist_ok=True)
        cmd = [
            shutil.which("java") or "java",
            "-cp",
            f"{self.libs_dir}/*",
            "kafka.tools.StorageTool",
            "format",
            "-t",
            _cluster_id(),
            "-c",
            str(self.config_file),
            "--standalone",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=_FORMAT_TIMEOUT_S)
        if result.returncode != 0:
            raise StackError(f"formatting Kafka storage failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")

    # -- lifecycle ----------------------------------------------------------------------------------------
    def is_healthy(self) -> bool:
        """The broker answers a metadata request (not merely an open port)."""
        if not port_open(self.host, self.port):
            return False
        from confluent_kafka.admin import AdminClient

        try:
            admin = AdminClient({"bootstrap.servers": f"{self.host}:{self.port}", "socket.timeout.ms": 3000})
            metadata = admin.list_topics(timeout=3)
        except Exception:  # noqa: BLE001 - any failure means "not healthy yet"
            return False
        return bool(metadata.brokers)

    def up(self) -> str:
        """Start (or reuse) the broker and wait until it is healthy. Returns how it is running."""
        if self.process.pid() is None and port_open(self.host, self.port):
            if self.is_healthy():
                return "reused (not started by cxpulse)"
            raise StackError(f"{self.host}:{self.port} is taken by something that is not a Kafka broker")
        self.ensure_jars()
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self._server_properties())
        self._format_storage()
        already = self.process.pid() is not None
        self.process.start()
        if not wait_until(self.is_healthy, self._settings.stack.start_timeout_s, poll=0.5):
            tail = self.process.log_tail()
            self.process.stop()
            raise StackError(f"Kafka did not become healthy on {self.host}:{self.port}; log tail:\n{tail}")
        return "running" if already else "started"

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
            "version": f"Apache Kafka {self._settings.stack.kafka_version} (KRaft)",
        }
