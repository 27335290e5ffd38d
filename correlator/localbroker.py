"""A local single-node Apache Kafka broker (KRaft: broker and controller in one JVM).

The jars come from Maven Central through ``deploy/kafka/pom.xml`` into a cache outside the
repository (``<cache_dir>/kafka-<version>/libs``), so a second start needs no network. The
broker's data, generated configuration, pid file and log live in ``<state_dir>/broker``. It
listens on loopback only.

Secured (``secure=True``, ``CORRELATOR_BROKER_SECURE``, ``correlator broker start --secure``),
its client listener is SASL_SSL: SCRAM-SHA-256 and -512, with the user
``CORRELATOR_KAFKA_USERNAME``/``CORRELATOR_KAFKA_PASSWORD`` created when the storage is formatted,
and TLS with a certificate for ``localhost`` signed by a CA generated in
``<state_dir>/broker/tls`` (:mod:`correlator.brokertls`). The KRaft controller listener then
requires mutual TLS with that CA, so no port of the broker accepts an unauthenticated client.
Storage formatted in one mode is not reused in the other: ``reset`` first.

Lifecycle: :meth:`LocalBroker.start` fetches if needed, formats the storage once, starts the
JVM in its own process group and waits until the broker answers a Kafka ApiVersions request;
:meth:`LocalBroker.stop` sends SIGTERM (a controlled shutdown) and SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from correlator.brokertls import HOSTNAME, BrokerTls, check_username, scram_credential
from correlator.errors import BrokerError
from correlator.settings import Settings

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy" / "kafka"

_API_VERSIONS_KEY = 18
_BROKER_USER = "correlator-broker"
"""The broker's own SCRAM user (inter-broker listener); its password is generated."""


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

    def __init__(self, settings: Settings, *, secure: bool | None = None) -> None:
        self.secure = settings.broker_secure if secure is None else secure
        self.version = settings.kafka_version
        self.port = settings.broker_port
        self.controller_port = settings.broker_controller_port
        self.heap = settings.broker_heap
        self.libs = settings.cache_dir / f"kafka-{self.version}" / "libs"
        self.home = settings.state_dir / "broker"
        self.data = self.home / "data"
        self.pid_file = self.home / "broker.pid"
        self.log_file = self.home / "broker.log"
        self.mode_file = self.home / "listener"
        self.tls = BrokerTls(self.home / "tls")
        # TLS clients check the name in the certificate, which holds "localhost" only.
        self.bootstrap = f"{HOSTNAME if self.secure else '127.0.0.1'}:{self.port}"
        self._username = settings.kafka_username
        self._password = settings.kafka_password
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
            *(self._secure_listeners() if self.secure else self._plain_listeners()),
            "controller.listener.names=CONTROLLER",
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
        # The secured configuration holds the broker's own SCRAM password.
        config.touch(mode=0o600, exist_ok=True)
        config.chmod(0o600)
        config.write_text("\n".join(lines) + "\n")
        return config

    def _plain_listeners(self) -> list[str]:
        port, controller = self.port, self.controller_port
        return [
            f"controller.quorum.voters=1@127.0.0.1:{controller}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
        ]

    def _secure_listeners(self) -> list[str]:
        port, controller = self.port, self.controller_port
        login = "org.apache.kafka.common.security.scram.ScramLoginModule required"
        jaas = f'{login} username="{_BROKER_USER}" password="{self._broker_password()}";'
        return [
            f"controller.quorum.voters=1@{HOSTNAME}:{controller}",
            f"listeners=SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
            f"advertised.listeners=SASL_SSL://{HOSTNAME}:{port}",
            "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL",
            "inter.broker.listener.name=SASL_SSL",
            "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
            f"listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config={jaas}",
            f"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={jaas}",
            "listener.name.controller.ssl.client.auth=required",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={self.tls.keystore}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self.tls.ca}",
            "ssl.endpoint.identification.algorithm=https",
            "ssl.enabled.protocols=TLSv1.3,TLSv1.2",
        ]

    def _broker_password(self) -> str:
        """The broker's own SCRAM password: generated once, kept beside its certificate."""
        path = self.tls.directory / "broker-scram-password"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(24))
        return path.read_text().strip()

    def _client_credentials(self) -> tuple[str, str]:
        password = self._password.get_secret_value() if self._password else ""
        if not self._username or not password:
            raise BrokerError(
                "a secured local broker creates its SCRAM user from the settings: set "
                "CORRELATOR_KAFKA_USERNAME and CORRELATOR_KAFKA_PASSWORD"
            )
        check_username(self._username)
        return self._username, password

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

    def _mode(self) -> str:
        return "SASL_SSL" if self.secure else "PLAINTEXT"

    def _format(self, config: Path) -> None:
        if (self.data / "meta.properties").exists():
            formatted = self.formatted_mode()
            if formatted != self._mode():
                raise BrokerError(
                    f"the broker storage in {self.data} was formatted for a {formatted} "
                    f"listener, not {self._mode()}: run 'correlator broker reset' (deletes "
                    "its data), then start again"
                )
            return
        self.data.mkdir(parents=True, exist_ok=True)
        cluster_id = _kafka_uuid()
        users: list[str] = []
        if self.secure:
            username, password = self._client_credentials()
            for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
                users += ["--add-scram", scram_credential(mechanism, username, password)]
                users += [
                    "--add-scram",
                    scram_credential(mechanism, _BROKER_USER, self._broker_password()),
                ]
        command = self._java(
            "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config), *users
        )
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BrokerError(f"formatting KRaft storage in {self.data} failed:\n{result.stderr}")
        self.mode_file.write_text(self._mode() + "\n")

    def formatted_mode(self) -> str:
        """The listener the storage was formatted for (storage from before modes: PLAINTEXT)."""
        try:
            return self.mode_file.read_text().strip() or "PLAINTEXT"
        except FileNotFoundError:
            return "PLAINTEXT"

    def _probe_context(self) -> ssl.SSLContext | None:
        """TLS for the readiness probe of a secured broker (verifying its certificate)."""
        if not self.secure:
            return None
        return ssl.create_default_context(cafile=str(self.tls.ca))

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
            if self.formatted_mode() != self._mode():
                raise BrokerError(
                    f"the broker already runs with a {self.formatted_mode()} listener, not "
                    f"{self._mode()}: 'correlator broker stop' first"
                )
            return self.status()
        if _port_open(self.port):
            raise BrokerError(
                f"port {self.port} is already in use by another process: stop it or set "
                "CORRELATOR_BROKER_PORT to a free port"
            )
        self.fetch()
        if self.secure:
            self._client_credentials()
            self.tls.ensure()
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
            if _answers(self.bootstrap, 1.0, self._probe_context()):
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
            answering=pid is not None and _answers(self.bootstrap, 2.0, self._probe_context()),
        )

    def reset(self) -> None:
        """Delete the broker's data (it must be stopped)."""
        if self.pid() is not None:
            raise BrokerError("stop the broker before deleting its data")
        shutil.rmtree(self.data, ignore_errors=True)
        self.mode_file.unlink(missing_ok=True)


def _kafka_uuid(draw: Callable[[], uuid.UUID] = uuid.uuid4) -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.

    One id in 64 would start with ``-``, which ``kafka-storage format -t`` reads as an option
    (and refuses the command): drawn again then, as Kafka's own ``Uuid.randomUuid`` does."""
    import base64

    while True:
        text = base64.urlsafe_b64encode(draw().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


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


def _port_open(port: int) -> bool:
    """True when something accepts connections on ``127.0.0.1:port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _answers(bootstrap: str, timeout: float, context: ssl.SSLContext | None = None) -> bool:
    """True when a Kafka broker at ``bootstrap`` answers an ApiVersions (v0) request.

    With ``context``, over TLS (Kafka answers ApiVersions before SASL authentication).
    """
    host, _, port = bootstrap.rpartition(":")
    client_id = b"correlator"
    body = struct.pack(">hhih", _API_VERSIONS_KEY, 0, 1, len(client_id)) + client_id
    try:
        with contextlib.ExitStack() as closing:
            sock = closing.enter_context(socket.create_connection((host, int(port)), timeout))
            if context is not None:
                sock = closing.enter_context(context.wrap_socket(sock, server_hostname=host))
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
