"""A real Neo4j server that a test can crash and start again on the same port and the same data.

The session's Neo4j (tests/support/neo4j.py) cannot do that: the test harness picks a new port and a
fresh store on every start. This runs Neo4j's own server entry point (`CommunityEntryPoint`, what the
`neo4j` script starts) from the harness's classpath, with a neo4j.conf of a fixed loopback port and a data
folder kept across restarts. Usage data reporting is off: nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import neo4j

from tests.support.neo4j import HARNESS_PASSWORD, HARNESS_USER, JVM_OPTIONS, Neo4jConnection, ensure_harness_built
from tests.support.neo4j import _java as java_binary
from tests.support.services import ServiceUnavailableError, flag_set, free_loopback_port, log_tail, skip_or_fail

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
PR_SET_PDEATHSIG = 1
STARTUP_TIMEOUT_S = 120.0
CONFIG = """\
server.default_listen_address=127.0.0.1
server.bolt.listen_address=127.0.0.1:{port}
server.http.enabled=false
server.https.enabled=false
dbms.security.auth_enabled=false
dbms.usage_report.enabled=false
server.directories.data={data}
server.directories.logs={logs}
server.directories.run={run}
server.memory.pagecache.size=64m
db.tx_log.preallocate=false
"""


class RestartableNeo4j:
    """One Neo4j server process at a time, all on one port and one data folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_loopback_port()
        self._classpath = ensure_harness_built()
        self._java = java_binary()
        self._process: subprocess.Popen[bytes] | None = None
        for folder in ("conf", "home", "data", "logs", "run"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        (root / "conf" / "neo4j.conf").write_text(
            CONFIG.format(port=self.port, data=root / "data", logs=root / "logs", run=root / "run"), encoding="utf-8"
        )

    @property
    def connection(self) -> Neo4jConnection:
        return Neo4jConnection(
            uri=f"bolt://127.0.0.1:{self.port}", user=HARNESS_USER, password=HARNESS_PASSWORD,
            database="neo4j", source="restartable neo4j",
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and wait until the `neo4j` database answers a query."""
        assert not self.running, "Neo4j is already running"
        log = (self.root / "console.log").open("ab")
        self._process = subprocess.Popen(
            [self._java, "-Xmx512m", *JVM_OPTIONS, "-cp", self._classpath, ENTRY_POINT,
             f"--home-dir={self.root / 'home'}", f"--config-dir={self.root / 'conf'}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.root,
            preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        connection = self.connection
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServiceUnavailableError(
                    f"Neo4j exited with code {self._process.returncode}: {log_tail(self.root / 'logs' / 'neo4j.log')}"
                )
            try:
                # A plain session: execute_query would retry a refused connection for half a minute.
                with neo4j.GraphDatabase.driver(connection.uri, auth=connection.auth, connection_timeout=2) as driver:
                    with driver.session(database=connection.database) as session:
                        session.run("RETURN 1").consume()
                return
            except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError):
                time.sleep(0.2)
        self.crash()
        raise ServiceUnavailableError(
            f"Neo4j did not answer within {STARTUP_TIMEOUT_S:.0f} s: {log_tail(self.root / 'logs' / 'neo4j.log')}"
        )

    def crash(self) -> None:
        """kill -9: the server dies mid-whatever; its committed transactions are recovered on the next start."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=30)
        self._process = None


def _die_with_parent() -> None:
    """In the child before exec: Linux kills the server when the test process dies, however it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@contextlib.contextmanager
def restartable_neo4j() -> Iterator[RestartableNeo4j]:
    """A started server, crashed and deleted at exit; skipped (or failed when Neo4j is required) without Java."""
    root = Path(tempfile.mkdtemp(prefix="datagraph-neo4j-restartable-"))
    try:
        try:
            server = RestartableNeo4j(root)
            server.start()
        except ServiceUnavailableError as error:
            skip_or_fail(error, required=flag_set("DATAGRAPH_REQUIRE_NEO4J"))
        try:
            yield server
        finally:
            server.crash()
    finally:
        shutil.rmtree(root, ignore_errors=True)
