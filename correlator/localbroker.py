"""A local single-node Apache Kafka broker (KRaft: broker and controller in one JVM).

The jars come from Maven Central through ``deploy/kafka/pom.xml`` into a cache outside the
repository (``<cache_dir>/kafka-<version>/libs``), so a second start needs no network. The
broker's data, generated configuration, pid file and log live in ``<state_dir>/broker``. It
listens on loopback only.

Lifecycle: :meth:`LocalBroker.start` fetches if needed, formats the storage once, starts the
JVM in its own process group and waits until the broker answers a Kafka ApiVersions request;
:meth:`LocalBroker.stop` sends SIGTERM (a controlled shutdown) and SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from correlator.errors import BrokerError
from correlator.settings import Settings

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy" / "kafka"

_API_VERSIONS_KEY = 18


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    version: str | None
    bootstrap: str
    answering: bool

    def describe(self) -> str:
        if not self.running:
            return f"broker: stopped ({self.bootstrap})"
        state = "answering" if self.answering else "NOT answering"
        where = f"{self.bootstrap} {state}"
        return f"broker: running, Apache Kafka {self.version}, pid {self.pid}, {where}"


class LocalBroker:
    """Fetch, format, start, stop and report on the local broker described by settings."""

    def __init__(self, settings: Settings) -> None:
        self.version = settings.kafka_version
        self.port = settings.broker_port
        self.controller_port = settings.broker_controller_port
        self.heap = settings.broker_heap
        self.libs = settings.cache_dir / f"kafka-{self.version}" / "libs"
        self.home = settings.state_dir / "broker"
        self.data = self.home / "data"
        self.pid_file = self.home / "broker.pid"
        self.log_file = self.home / "broker.log"
        self.bootstrap = f"127.0.0.1:{self.port}"
        # The JVM outlives this object when started from the CLI; when the same object stops
        # it (tests, the demo), we reap it through this handle.
        self._process: subprocess.Popen[bytes] | None = None

    # -- fetching ---------------------------------------------------------------------------

    def fetched(self) -> bool:
        return (self.libs / ".complete").exists()

    def fetch(self) -> None:
        """Download Kafka and its runtime dependencies with Maven, once per version."""
        if self.fetched():
            return
        pom = DEPLOY_DIR / "pom.xml"
        if not pom.exists():
            raise BrokerError(f"{pom} is missing: run from a source checkout of Correlator")
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError("Maven (mvn) is not on PATH: install Maven 3 and Java 17+")
        staging = self.libs.with_name("libs.partial")
        shutil.rmtree(staging, ignore_errors=True)
        command = [
            mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
            f"-Dkafka.version={self.version}", f"-DoutputDirectory={staging}",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
            raise BrokerError(
                f"fetching Apache Kafka {self.version} with Maven failed "
                f"(exit {result.returncode}):\n" + "\n".join(tail)
            )
        if not any(staging.glob(f"kafka_2.13-{self.version}.jar")):
            raise BrokerError(
                f"Maven finished but kafka_2.13-{self.version}.jar is not in {staging}"
            )
        (staging / ".complete").write_text(self.version + "\n")
        shutil.rmtree(self.libs, ignore_errors=True)
        staging.rename(self.libs)

    # -- configuration ----------------------------------------------------------------------

    def _write_config(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "server.properties"
        lines = [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={self.data}",
            "num.partitions=1",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "log.retention.hours=168",
            "log.segment.bytes=67108864",
            "num.network.threads=2",
            "num.io.threads=4",
        ]
        config.write_text("\n".join(lines) + "\n")
        return config

    def _java(self, main: str, *args: str, heap: str = "256m") -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise BrokerError("java is not on PATH: install a Java 17+ runtime")
        return [
            java, f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true", f"-Dkafka.logs.dir={self.home}",
            f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'log4j2.properties'}",
            "-cp", f"{self.libs}/*", main, *args,
        ]  # fmt: skip

    def _format(self, config: Path) -> None:
        if (self.data / "meta.properties").exists():
            return
        self.data.mkdir(parents=True, exist_ok=True)
        cluster_id = _kafka_uuid()
        command = self._java(
            "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)
        )
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BrokerError(f"formatting KRaft storage in {self.data} failed:\n{result.stderr}")

    # -- lifecycle --------------------------------------------------------------------------

    def pid(self) -> int | None:
        """Pid of our running broker, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        if not _alive(pid):
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def running_version(self) -> str | None:
        try:
            return self.pid_file.read_text().split()[1]
        except (FileNotFoundError, IndexError):
            return None

    def start(self, timeout: float = 90.0) -> BrokerStatus:
        """Start the broker (if not running) and wait until it answers."""
        if self.pid() is not None:
            return self.status()
        if _answers(self.bootstrap, 0.5):
            raise BrokerError(
                f"port {self.port} is already in use by another process: stop it or set "
                "CORRELATOR_BROKER_PORT to a free port"
            )
        self.fetch()
        config = self._write_config()
        self._format(config)
        log = self.log_file.open("ab")
        process = subprocess.Popen(
            self._java("kafka.Kafka", str(config), heap=self.heap),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        self._process = process
        self.pid_file.write_text(f"{process.pid} {self.version}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise BrokerError(
                    f"the broker exited with code {process.returncode} during start-up; "
                    f"see {self.log_file}:\n{_tail(self.log_file)}"
                )
            if _answers(self.bootstrap, 1.0):
                return self.status()
            time.sleep(0.25)
        self.stop()
        raise BrokerError(f"the broker did not answer on {self.bootstrap} within {timeout:.0f}s")

    def stop(self, grace: float = 30.0) -> bool:
        """Stop the broker; True when one was running."""
        pid = self.pid()
        if pid is None:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.1)
        if self._process is not None:
            self._process.wait()
            self._process = None
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> BrokerStatus:
        pid = self.pid()
        return BrokerStatus(
            running=pid is not None,
            pid=pid,
            version=self.running_version() if pid is not None else None,
            bootstrap=self.bootstrap,
            answering=pid is not None and _answers(self.bootstrap, 2.0),
        )

    def reset(self) -> None:
        """Delete the broker's data (it must be stopped)."""
        if self.pid() is not None:
            raise BrokerError("stop the broker before deleting its data")
        shutil.rmtree(self.data, ignore_errors=True)


def _kafka_uuid() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding."""
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _answers(bootstrap: str, timeout: float) -> bool:
    """True when a Kafka broker at ``bootstrap`` answers an ApiVersions (v0) request."""
    host, _, port = bootstrap.rpartition(":")
    client_id = b"correlator"
    body = struct.pack(">hhih", _API_VERSIONS_KEY, 0, 1, len(client_id)) + client_id
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(body)) + body)
            header = _recv_exact(sock, 10)
    except OSError:
        return False
    if header is None:
        return False
    _size, correlation_id, error_code = struct.unpack(">iih", header)
    return bool(correlation_id == 1 and error_code == 0)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    buf = b""
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
