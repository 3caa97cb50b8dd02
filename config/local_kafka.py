"""A single-node Apache Kafka broker (KRaft, combined broker and controller) run from Maven jars.

Used by ``make kafka-up``, ``make run`` and the test suite. The jars come from Maven Central
through ``mvn`` (``config/kafka/pom.xml``) into ``<kafka_home>/<version>/libs``; the broker is
started with plain ``java -cp`` and described by a state file so that a second start, or a
stop, knows what is running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from config.errors import BrokerError

logger = logging.getLogger(__name__)

KAFKA_FILES = Path(__file__).parent / "kafka"


@dataclass(frozen=True)
class BrokerState:
    """What a running broker left in its state file."""

    pid: int
    port: int
    controller_port: int
    version: str
    log_file: str

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    """True when something listens on the port; connections of a stopped broker lingering in
    TIME_WAIT do not count (the JVM binds with SO_REUSEADDR too, so a restart can reuse it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _require(tool: str, what: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BrokerError(f"`{tool}` was not found on PATH: install {what} and try again")
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


class LocalKafka:
    """Fetch, start, wait for and stop one local broker."""

    def __init__(
        self,
        *,
        home: Path,
        version: str,
        port: int,
        controller_port: int,
        heap: str = "512m",
        run_dir: Path | None = None,
    ) -> None:
        self.home = home.resolve()
        self.version = version
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self.run_dir = (run_dir or self.home / "run").resolve()
        self.state_file = self.run_dir / "broker.json"
        self.log_dir = self.run_dir / "logs"
        self.data_dir = self.run_dir / "data"

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    @property
    def libs_dir(self) -> Path:
        return self.home / self.version / "libs"

    # -- jars ----------------------------------------------------------------------------------
    def fetch_jars(self) -> Path:
        """Copy the broker's runtime jars from Maven Central, once per version."""
        marker = self.libs_dir / ".complete"
        if marker.exists():
            return self.libs_dir
        _require("java", "a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)")
        mvn = _require("mvn", "Apache Maven (Debian: apt-get install maven)")
        self.libs_dir.mkdir(parents=True, exist_ok=True)
        command = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(KAFKA_FILES / "pom.xml"),
            f"-Dkafka.version={self.version}",
            f"-DoutputDirectory={self.libs_dir}",
            "dependency:copy-dependencies",
        ]
        if self.major < 4:
            command.insert(2, "-Pkafka3")
        logger.info("fetching Kafka %s jars with Maven into %s", self.version, self.libs_dir)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not any(self.libs_dir.glob("kafka_2.13-*.jar")):
            tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
            raise BrokerError(
                f"mvn could not fetch Kafka {self.version}; is the version on Maven Central "
                "and is the network reachable?\n" + "\n".join(tail)
            )
        marker.touch()
        return self.libs_dir

    # -- state ---------------------------------------------------------------------------------
    def running(self) -> BrokerState | None:
        """The broker this run directory describes, if its process is still alive."""
        try:
            state = BrokerState(**json.loads(self.state_file.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as exc:
            raise BrokerError(
                f"{self.state_file} is not a broker state file; remove it and try again"
            ) from exc
        if _pid_alive(state.pid):
            return state
        self.state_file.unlink(missing_ok=True)
        return None

    # -- start/stop ----------------------------------------------------------------------------
    def start(self) -> BrokerState:
        """Format the storage if needed and start the broker in the background."""
        existing = self.running()
        if existing is not None:
            raise BrokerError(
                f"a broker is already running from {self.run_dir} (pid {existing.pid}, "
                f"bootstrap {existing.bootstrap}); stop it with `make kafka-down` first"
            )
        for name, port in (("client", self.port), ("controller", self.controller_port)):
            if port_in_use(port):
                raise BrokerError(
                    f"the broker's {name} port {port} on 127.0.0.1 is already in use by another "
                    "process; free it or choose another with MEESEEKS_KAFKA_PORT / "
                    "MEESEEKS_KAFKA_CONTROLLER_PORT"
                )
        java = _require(
            "java", "a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)"
        )
        libs = self.fetch_jars()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        properties = self._write_properties()
        classpath = f"{libs}/*"
        if not (self.data_dir / "meta.properties").exists():
            self._format(java, classpath, properties)
        if self.major >= 4:
            log_option = f"-Dlog4j2.configurationFile={KAFKA_FILES / 'log4j2.properties'}"
        else:
            log_option = f"-Dlog4j.configuration=file:{KAFKA_FILES / 'log4j.properties'}"
        command = [
            java,
            "-Xms128m",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            f"-Dkafka.logs.dir={self.log_dir}",
            log_option,
            "-cp",
            classpath,
            "kafka.Kafka",
            str(properties),
        ]
        console = (self.log_dir / "console.log").open("ab")
        process = subprocess.Popen(
            command, stdout=console, stderr=subprocess.STDOUT, start_new_session=True
        )
        console.close()
        state = BrokerState(
            pid=process.pid,
            port=self.port,
            controller_port=self.controller_port,
            version=self.version,
            log_file=str(self.log_dir / "server.log"),
        )
        self.state_file.write_text(json.dumps(asdict(state)))
        logger.info("started Kafka %s (pid %d) on %s", self.version, state.pid, state.bootstrap)
        return state

    def _write_properties(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "4",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "8",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "min.insync.replicas": "1",
            "group.initial.rebalance.delay.ms": "0",
            "log.cleaner.dedupe.buffer.size": str(32 * 1024 * 1024),
            "auto.create.topics.enable": "true",
        }
        path = self.run_dir / "server.properties"
        path.write_text("".join(f"{key}={value}\n" for key, value in lines.items()))
        return path

    def _format(self, java: str, classpath: str, properties: Path) -> None:
        tool = [java, "-Xmx256m", "-cp", classpath, "kafka.tools.StorageTool"]
        cluster_id = subprocess.run(
            [*tool, "random-uuid"], capture_output=True, text=True, check=False
        )
        uuid = cluster_id.stdout.strip().splitlines()[-1] if cluster_id.stdout.strip() else ""
        if cluster_id.returncode != 0 or not uuid:
            raise BrokerError(f"kafka StorageTool random-uuid failed: {cluster_id.stderr.strip()}")
        result = subprocess.run(
            [*tool, "format", "-t", uuid, "-c", str(properties), "-g"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BrokerError(f"kafka StorageTool format failed: {result.stderr.strip()}")

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker described by the state file; False when none was running."""
        state = self.running()
        if state is None:
            return False
        os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid_alive(state.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _pid_alive(state.pid):
            logger.warning(
                "broker pid %d ignored SIGTERM for %.0fs; killing it", state.pid, timeout
            )
            os.kill(state.pid, signal.SIGKILL)
            while _pid_alive(state.pid):
                time.sleep(0.1)
        self.state_file.unlink(missing_ok=True)
        logger.info("stopped Kafka (pid %d)", state.pid)
        return True

    # -- readiness -----------------------------------------------------------------------------
    async def wait_ready(self, state: BrokerState, timeout: float = 90.0) -> None:
        """Return once an aiokafka metadata request succeeds; fail early if the JVM died."""
        await wait_for_kafka(
            state.bootstrap,
            timeout,
            alive=lambda: _pid_alive(state.pid),
            log_file=Path(state.log_file),
        )


async def wait_for_kafka(
    bootstrap: str,
    timeout: float,
    *,
    alive: Callable[[], bool] | None = None,
    log_file: Path | None = None,
) -> None:
    """Poll ``bootstrap`` with aiokafka until it answers a metadata request."""
    from aiokafka import AIOKafkaClient

    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    host, _, port = bootstrap.split(",", maxsplit=1)[0].strip().rpartition(":")
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise BrokerError(f"the broker process exited during start-up{_log_tail(log_file)}")
        if not _accepts_connections(host, int(port)):
            await asyncio.sleep(0.25)
            continue
        client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await client.bootstrap()
            metadata = await client.fetch_all_metadata()
            if metadata.brokers():
                return
        except Exception as exc:
            last_error = exc
        finally:
            await client.close()
        await asyncio.sleep(0.5)
    raise BrokerError(
        f"Kafka at {bootstrap} did not answer a metadata request within {timeout:.0f}s "
        f"(last error: {last_error}){_log_tail(log_file)}"
    )


def _accepts_connections(host: str, port: int) -> bool:
    """A plain TCP probe, so aiokafka does not log a connection error per poll."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _log_tail(log_file: Path | None, lines: int = 20) -> str:
    if log_file is None or not log_file.exists():
        return ""
    tail = log_file.read_text(errors="replace").splitlines()[-lines:]
    return f"; last lines of {log_file}:\n" + "\n".join(tail)
