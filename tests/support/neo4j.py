"""A real Neo4j 5.26 for tests, found in this order:

1. a server named by DATAGRAPH_TEST_NEO4J_URI (with DATAGRAPH_TEST_NEO4J_USER / _PASSWORD / _DATABASE);
2. a testcontainers Neo4j container, when testcontainers is installed and a Docker engine answers;
3. Neo4j's own test harness run in a child JVM (the Maven project in tests/neo4j_harness), built once
   and cached under its target/ folder, keyed by the hash of its pom and sources.

When none works the tests that need Neo4j are skipped, or fail when DATAGRAPH_REQUIRE_NEO4J=1.
Run `python -m tests.support.neo4j build` to build the harness ahead of a run, or `... serve` to get a
server by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import neo4j

from .services import ServiceUnavailableError, flag_set, log_tail, skip_or_fail, stop_process

HARNESS_DIR = Path(__file__).resolve().parent.parent / "neo4j_harness"
LAUNCHER_CLASS = "datagraph.harness.HarnessLauncher"
URI_LINE_PREFIX = "BOLT_URI="
CONTAINER_IMAGE = "neo4j:5.26"
STARTUP_TIMEOUT_S = 180.0
BUILD_TIMEOUT_S = 900.0
DOCKER_PROBE_TIMEOUT_S = 10.0
# The harness runs with auth disabled and accepts any credentials; these are what clients send.
HARNESS_USER = "neo4j"
HARNESS_PASSWORD = "neo4j-test"
# The heap bounds how large one transaction (one ingestion run) may be; benchmarks load a million edges
# in one run and raise it with DATAGRAPH_TEST_NEO4J_HEAP.
HEAP_ENV = "DATAGRAPH_TEST_NEO4J_HEAP"
# Page cache in MiB; a graph that does not fit in it reads from disk on every traversal.
PAGECACHE_ENV = "DATAGRAPH_TEST_NEO4J_PAGECACHE_MB"
JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    # Neo4j reaches into these JDK internals for direct I/O; without the opens it logs warnings and slows.
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
)


@dataclass(frozen=True)
class Neo4jConnection:
    """How to reach the test Neo4j; `source` says which way it was found, for messages."""

    uri: str
    user: str
    password: str
    database: str
    source: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)


@contextlib.contextmanager
def neo4j_test_server() -> Iterator[Neo4jConnection]:
    """Body of the session fixture: a reachable Neo4j for the whole session, stopped at its end."""
    with contextlib.ExitStack() as stack:
        try:
            connection = start_neo4j(stack)
        except ServiceUnavailableError as error:
            skip_or_fail(error, required=flag_set("DATAGRAPH_REQUIRE_NEO4J"))
        yield connection


def start_neo4j(stack: contextlib.ExitStack) -> Neo4jConnection:
    """Find or start Neo4j; whatever was started is stopped when `stack` closes."""
    configured = _from_environment()
    if configured is not None:
        return configured
    tried: list[str] = ["DATAGRAPH_TEST_NEO4J_URI: not set"]
    for name, start in (("testcontainers", _start_container), ("neo4j-harness", _start_harness)):
        try:
            return start(stack)
        except ServiceUnavailableError as error:
            tried.append(f"{name}: {error}")
    raise ServiceUnavailableError("no Neo4j for tests; tried " + "; ".join(tried))


def wipe_neo4j(connection: Neo4jConnection) -> None:
    """Leave the database empty: no nodes, relationships, constraints or indexes."""
    database = connection.database
    with neo4j.GraphDatabase.driver(connection.uri, auth=connection.auth) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)
        constraints, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name", database_=database)
        # Schema names cannot be query parameters in Cypher; these come from the server, quoted as identifiers.
        for record in constraints:
            driver.execute_query(f"DROP CONSTRAINT {_identifier(record['name'])} IF EXISTS", database_=database)
        # Token lookup indexes are built in and cannot be dropped.
        indexes, _, _ = driver.execute_query(
            "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name", database_=database
        )
        for record in indexes:
            driver.execute_query(f"DROP INDEX {_identifier(record['name'])} IF EXISTS", database_=database)


def _identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _from_environment() -> Neo4jConnection | None:
    uri = os.environ.get("DATAGRAPH_TEST_NEO4J_URI", "").strip()
    if not uri:
        return None
    return Neo4jConnection(
        uri=uri,
        user=os.environ.get("DATAGRAPH_TEST_NEO4J_USER", "neo4j"),
        password=os.environ.get("DATAGRAPH_TEST_NEO4J_PASSWORD", ""),
        database=os.environ.get("DATAGRAPH_TEST_NEO4J_DATABASE", "neo4j"),
        source="DATAGRAPH_TEST_NEO4J_URI",
    )


def _start_container(stack: contextlib.ExitStack) -> Neo4jConnection:
    if importlib.util.find_spec("testcontainers") is None:
        raise ServiceUnavailableError("testcontainers is not installed")
    if not _docker_answers():
        raise ServiceUnavailableError("no Docker engine answers `docker info`")
    from testcontainers.neo4j import Neo4jContainer

    try:
        container = stack.enter_context(Neo4jContainer(CONTAINER_IMAGE))
    except Exception as error:  # noqa: BLE001 - any Docker failure means: try the next way
        raise ServiceUnavailableError(f"container {CONTAINER_IMAGE} did not start: {error}") from error
    return Neo4jConnection(
        uri=container.get_connection_url(),
        user=container.username,
        password=container.password,
        database="neo4j",
        source=f"testcontainers {CONTAINER_IMAGE}",
    )


def _docker_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        probe = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=DOCKER_PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _start_harness(stack: contextlib.ExitStack) -> Neo4jConnection:
    java = _java()
    classpath = ensure_harness_built()
    work_dir = Path(tempfile.mkdtemp(prefix="datagraph-neo4j-"))
    stack.callback(shutil.rmtree, work_dir, ignore_errors=True)
    log_path = work_dir / "launcher.log"
    log = stack.enter_context(log_path.open("w", encoding="utf-8"))
    process = subprocess.Popen(
        [java, f"-Xmx{os.environ.get(HEAP_ENV, '2g')}",
         f"-Ddatagraph.pagecache.mb={int(os.environ.get(PAGECACHE_ENV, '256'))}", *JVM_OPTIONS,
         "-cp", classpath, LAUNCHER_CLASS,
         str(work_dir / "store")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=work_dir,
    )
    stack.callback(_stop_harness, process)
    uri = _wait_for_uri(process, log, log_path)
    return Neo4jConnection(
        uri=uri, user=HARNESS_USER, password=HARNESS_PASSWORD, database="neo4j", source="neo4j-harness"
    )


def _stop_harness(process: subprocess.Popen[bytes]) -> None:
    # The launcher shuts Neo4j down cleanly when its standard input ends.
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    stop_process(process)


def _wait_for_uri(process: subprocess.Popen[bytes], log: IO[str], log_path: Path) -> str:
    uris: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    # The reader drains stdout for the server's whole life, so a chatty server never blocks on a full pipe.
    threading.Thread(target=_read_stdout, args=(process.stdout, log, uris), daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            return uris.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                log.flush()
                raise ServiceUnavailableError(
                    f"harness JVM exited with code {process.returncode} before Bolt was up: {log_tail(log_path)}"
                ) from None
    log.flush()
    raise ServiceUnavailableError(
        f"harness did not print its Bolt URI within {STARTUP_TIMEOUT_S:.0f} s: {log_tail(log_path)}"
    )


def _read_stdout(stdout: IO[bytes], log: IO[str], uris: queue.Queue[str]) -> None:
    for raw in stdout:
        line = raw.decode("utf-8", errors="replace").rstrip()
        if line.startswith(URI_LINE_PREFIX):
            uris.put(line.removeprefix(URI_LINE_PREFIX))
        elif not log.closed:
            with contextlib.suppress(ValueError):
                log.write(line + "\n")


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise ServiceUnavailableError("no `java` on PATH and no JAVA_HOME")
    return java


def ensure_harness_built() -> str:
    """Build the launcher if its pom or sources changed since the last build; return its Java classpath."""
    target = HARNESS_DIR / "target"
    stamp = target / f"launcher-{_build_key()}.classpath"
    cached = _read_stamp(stamp)
    if cached is not None:
        return cached
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".build.lock").open("w") as lock:
        # Two sessions starting at once build once; the second reads the first one's stamp.
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = _read_stamp(stamp)
        if cached is not None:
            return cached
        dependencies = target / "dependencies.classpath"
        _run_maven(dependencies)
        classpath = os.pathsep.join([str(target / "classes"), dependencies.read_text(encoding="utf-8").strip()])
        for old in target.glob("launcher-*.classpath"):
            old.unlink()
        partial = stamp.with_suffix(".partial")
        partial.write_text(classpath, encoding="utf-8")
        partial.replace(stamp)
        return classpath


def _build_key() -> str:
    digest = hashlib.sha256()
    sources = [HARNESS_DIR / "pom.xml", *sorted((HARNESS_DIR / "src").rglob("*.java"))]
    for path in sources:
        digest.update(path.relative_to(HARNESS_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _read_stamp(stamp: Path) -> str | None:
    if not stamp.is_file():
        return None
    classpath = stamp.read_text(encoding="utf-8").strip()
    if not all(Path(entry).exists() for entry in classpath.split(os.pathsep)):
        return None
    return classpath


def _run_maven(dependencies: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServiceUnavailableError("no `mvn` on PATH to build the harness launcher")
    goals = [
        "-B",
        "-q",
        "-f",
        str(HARNESS_DIR / "pom.xml"),
        "compile",
        "dependency:build-classpath",
        f"-Dmdep.outputFile={dependencies}",
    ]
    # Offline first: once the local repository is warm this needs no network and is quicker.
    failure = ""
    for extra in (["-o"], []):
        try:
            build = subprocess.run(
                [mvn, *extra, *goals], capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            raise ServiceUnavailableError(
                f"Maven build of {HARNESS_DIR.name} took over {BUILD_TIMEOUT_S:.0f} s"
            ) from None
        if build.returncode == 0:
            return
        lines = [line for line in (build.stdout + build.stderr).splitlines() if line.strip()]
        failure = " | ".join(lines[-8:])
    raise ServiceUnavailableError(f"Maven could not build {HARNESS_DIR.name}: {failure}")


def _main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "build":
        started = time.monotonic()
        ensure_harness_built()
        print(f"neo4j harness launcher built in {time.monotonic() - started:.1f} s")
        return 0
    if command == "serve":
        with contextlib.ExitStack() as stack:
            connection = start_neo4j(stack)
            print(f"{connection.uri} (from {connection.source}); press Ctrl-D to stop", flush=True)
            sys.stdin.read()
        return 0
    print("usage: python -m tests.support.neo4j build|serve", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
