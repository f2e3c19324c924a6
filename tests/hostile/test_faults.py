"""Faults under a real deployment: an ingest killed mid-run, the audit database gone, Neo4j gone.

- `datagraph ingest dbt` killed with SIGKILL at several moments of its run, on both backends: the graph is
  whole and equals the last good run (or, killed after its commit, the new one), and the next ingest works.
- The audit database unavailable under `datagraph serve`: every call is refused with a clear tool error (no
  answer without its audit entry), the server keeps serving, and once the database is back calls succeed and
  the one chain verifies. PostgreSQL (database closed to connections, table renamed away) and SQLite (file
  moved away, file deleted and restored from a backup).
- Neo4j crashed under a serving `datagraph serve`: calls fail with a clear tool error in bounded time, and
  answer again once Neo4j is back, with no restart of the server.
"""

import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import neo4j
import psycopg
import pytest
from mcp_types import CallToolResult

from graph_schema.config import Settings
from graph_schema.store import open_store
from server.governance.audit import AUDIT_FILE, AuditLog
from server.governance.audit_postgres import PostgresAuditStore
from server.governance.audit_sql import TABLE
from server.governance.audit_sqlite import SqliteAuditStore
from tests.cli.serve_process import cli_env, http_server_process
from tests.conftest import open_neo4j_store
from tests.hostile.conftest import HostileTally
from tests.hostile.deploy import (
    ShopVersions,
    Step,
    call_in_session,
    call_tools,
    copy_sqlite,
    graph_state,
    ingest,
    ingest_command,
    neo4j_env,
    new_home,
    settings_for,
    shop_versions,
    token_policy,
)
from tests.hostile.graphs import copy_graph
from tests.server.calls import structured, text_of
from tests.hostile.neo4j_process import restartable_neo4j
from tests.server.estate import build_estate
from tests.support.neo4j import Neo4jConnection, wipe_neo4j

__all__ = ["shop_versions"]  # the session fixture, imported so pytest finds it

pytestmark = pytest.mark.timeout(600)

POLL_S = 0.001
MOMENTS = 3  # each watch below names three
ATTEMPTS = 5  # ingests started per moment before the test gives up catching it


# ---- kill -9 of an ingest ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """When to kill: as soon as `reached` says so; `before_commit` says which run must then be current."""

    name: str
    reached: Callable[[], bool]
    before_commit: bool | None  # None: the kill may land either side of the commit


class EmbeddedWatch:
    """What an embedded ingest has done so far, read from its graph folder (see graph_schema/store/embedded)."""

    def __init__(self, home: Path) -> None:
        self.graph = home / "graph"
        self.snapshots = self._names("snapshots")
        self.runs = self._names("runs")
        self.pointer = (self.graph / "CURRENT").read_text(encoding="utf-8")

    def _names(self, folder: str) -> set[str]:
        return {p.name for p in (self.graph / folder).iterdir()}

    def moments(self) -> list[Moment]:
        return [
            Moment("writing the snapshot", lambda: bool(self._names("snapshots") - self.snapshots), True),
            # The run's record is the last thing written before CURRENT names the run: either side may win.
            Moment("writing the run record", self._recording, None),
            Moment("indexing after the commit", self._committed, False),
        ]

    def _recording(self) -> bool:
        return any(name.endswith(".changes.jsonl") for name in self._names("runs") - self.runs)

    def _committed(self) -> bool:
        return (self.graph / "CURRENT").read_text(encoding="utf-8") != self.pointer


class Neo4jWatch:
    """What a Neo4j ingest has done so far: its run's transaction as Neo4j lists it, and the current run."""

    def __init__(self, connection: Neo4jConnection) -> None:
        self.database = connection.database
        self.driver = neo4j.GraphDatabase.driver(connection.uri, auth=connection.auth)
        self.current = self._current_run()

    def _current_run(self) -> str | None:
        records, _, _ = self.driver.execute_query(
            "MATCH (m:DatagraphMeta {key: 'state'}) RETURN m.current_run", database_=self.database
        )
        return records[0][0] if records else None

    def _running(self, fragment: str) -> bool:
        """Some transaction is executing a query containing `fragment` (text only a run's transaction sends)."""
        with self.driver.session(database=self.database) as session:
            rows = session.run("SHOW TRANSACTIONS YIELD currentQuery").data()
        return any(fragment in row["currentQuery"] for row in rows)

    def moments(self) -> list[Moment]:
        return [
            Moment("reading under the run's lock", lambda: self._running("UNWIND $refs AS r MATCH (a:Asset"), True),
            Moment("writing nodes", lambda: self._running("UNWIND $rows AS r MATCH (n:Asset"), True),
            Moment("indexing after the commit", lambda: self._current_run() != self.current, False),
        ]

    def close(self) -> None:
        self.driver.close()


@dataclass
class Estate:
    home: Path
    settings: Settings
    env: dict[str, str]
    watch: Callable[[], EmbeddedWatch | Neo4jWatch]


@pytest.fixture(params=("embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)))
def estate(request: pytest.FixtureRequest, tmp_path: Path, shop_versions: ShopVersions) -> Iterator[Estate]:
    """The shop's v1 ingested with the CLI into a fresh graph of the backend."""
    home = new_home(tmp_path / "home", shop_versions)
    if request.param == "embedded":
        state = Estate(home, settings_for(home, None), {}, lambda: EmbeddedWatch(home))
    else:
        server: Neo4jConnection = request.getfixturevalue("neo4j_server")
        wipe_neo4j(server)
        state = Estate(home, settings_for(home, server), neo4j_env(server), lambda: Neo4jWatch(server))
    ingest(shop_versions.v1, home, state.env)
    yield state


def kill_at(target: Path, estate: Estate, index: int) -> Moment | None:
    """Start `datagraph ingest dbt target` and SIGKILL it at the watch's moment `index`: that moment, or None
    when the ingest finished (successfully) before the watch saw the moment."""
    watch = estate.watch()
    moment = watch.moments()[index]
    process = subprocess.Popen(
        ingest_command(target, estate.home), env=cli_env(**estate.env), cwd=estate.home.parent,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        while not moment.reached():
            if process.poll() is not None:
                # A moment lasts milliseconds and the watch polls: a fast ingest can slip past it.
                assert process.returncode == 0, f"the ingest failed: {process.stderr.read()[-1000:]!r}"
                return None
            time.sleep(POLL_S)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert process.returncode == -signal.SIGKILL, f"the ingest was not killed at '{moment.name}'"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
        if isinstance(watch, Neo4jWatch):
            watch.close()
    return moment


def test_a_killed_cli_ingest_leaves_the_last_good_run(
    estate: Estate, shop_versions: ShopVersions, hostile: HostileTally
) -> None:
    target = shop_versions.v2
    for index in range(MOMENTS):
        for _ in range(ATTEMPTS):
            before = graph_state(estate.settings)
            moment = kill_at(target, estate, index)
            if moment is not None:
                break
            target = shop_versions.other(target)  # that ingest committed; the next attempt changes the graph again
        else:
            pytest.fail(f"in {ATTEMPTS} ingests the watch never caught moment {index}")
        killed = graph_state(estate.settings)
        ingest(target, estate.home, estate.env)  # the following ingest succeeds
        after = graph_state(estate.settings)
        assert not after.same_content(before), "the following ingest did not change the graph"
        kept_old = killed == before
        if not kept_old:
            assert killed.run_id != before.run_id and killed.same_content(after), (
                f"killed while {moment.name}: the graph is neither the last good run nor the new one whole"
            )
        if moment.before_commit is not None:
            assert kept_old == moment.before_commit, (
                f"killed while {moment.name}: expected the {'last good' if moment.before_commit else 'new'} run"
            )
        print(f"killed while {moment.name}: {'last good' if kept_old else 'new'} run")
        hostile.tried("faults")
        target = shop_versions.other(target)


# ---- the audit database unavailable ----------------------------------------------------------------


@dataclass
class Served:
    """`datagraph serve --transport http` over the server test estate, with an analyst and an auditor."""

    url: str
    process: subprocess.Popen[bytes]
    tokens: dict[str, str]
    answered: list[tuple[str, str]]  # (principal, tool) of every call that got an answer, in order

    def alive(self) -> bool:
        return self.process.poll() is None and httpx.get(f"{self.url}/healthz", timeout=30).status_code == 200

    def ask(self) -> list[tuple[str, CallToolResult]]:
        """A round of calls, as the analyst and the auditor; each answered call is noted."""
        results = [("ann", r) for r in call_tools(self.url, self.tokens["ann"], *ANALYST_CALLS)]
        results += [("gina", r) for r in call_tools(self.url, self.tokens["gina"], *AUDITOR_CALLS)]
        steps = [*ANALYST_CALLS, *AUDITOR_CALLS]
        for (who, result), (tool, _) in zip(results, steps, strict=True):
            if not result.is_error:
                self.answered.append((who, tool))
        return results


ANALYST_CALLS = (
    ("get_asset", {"ref": "stg_orders"}),
    ("search_assets", {"query": "orders"}),
    ("trace_lineage", {"ref": "stg_orders", "direction": "both"}),
    ("impact_analysis", {"ref": "stg_orders", "change": {"type": "drop_column", "column": "status"}}),
)
AUDITOR_CALLS = (("audit_log", {"limit": 5}),)


@contextmanager
def served(tmp_path: Path, **env: str) -> Iterator[Served]:
    home = tmp_path / "home"
    build_estate(home)
    policy, tokens = token_policy(tmp_path, {"ann": "analyst", "gina": "governance"})
    with http_server_process(home, tmp_path / "serve.log", DATAGRAPH_POLICY=str(policy), **env) as (url, process):
        yield Served(url, process, tokens, [])


def assert_all_answered(served: Served) -> None:
    for who, result in served.ask():
        assert not result.is_error, f"{who}: {text_of(result)}"


def assert_all_refused(served: Served, hostile: HostileTally) -> None:
    """Every call is refused for want of its audit entry, and the server goes on serving."""
    results = served.ask()
    for who, result in results:
        assert result.is_error, f"{who} got an answer that has no audit entry"
        assert text_of(result).startswith("[audit_unavailable] cannot "), text_of(result)
        assert "\n" not in text_of(result)
    assert served.alive(), "the server stopped serving when its audit log went away"
    hostile.tried("faults", len(results))


def assert_one_chain_of_the_answers(log: AuditLog, served: Served) -> None:
    """The chain verifies and holds exactly the answered calls: none unaudited, none refused yet recorded."""
    try:
        report = log.verify()
        assert report.ok, report.problem
        assert [(e.principal, e.tool) for e in log.entries()] == served.answered
        assert report.checked == len(served.answered)
    finally:
        log.close()


@pytest.fixture
def audit_database(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of this test's own (the test closes it to connections); its name."""
    name = f"audit_faults_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def database_url(postgres_url: str, database: str) -> str:
    return f"{postgres_url.rsplit('/', 1)[0]}/{database}"


@pytest.mark.postgres
def test_postgres_audit_unavailable_refuses_every_call_until_it_is_back(
    tmp_path: Path, postgres_url: str, audit_database: str, hostile: HostileTally
) -> None:
    url = database_url(postgres_url, audit_database)
    with served(tmp_path, DATAGRAPH_AUDIT_URL=url) as server:
        assert_all_answered(server)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            # The database goes down for maintenance: its sessions end and it takes no new ones.
            admin.execute(f"ALTER DATABASE {audit_database} ALLOW_CONNECTIONS false")
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (audit_database,)
            )
            assert_all_refused(server, hostile)
            admin.execute(f"ALTER DATABASE {audit_database} ALLOW_CONNECTIONS true")
        assert_all_answered(server)
        with psycopg.connect(url, autocommit=True) as owner:
            # The table is renamed away under a live connection.
            owner.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_away")
            assert_all_refused(server, hostile)
            owner.execute(f"ALTER TABLE {TABLE}_away RENAME TO {TABLE}")
        assert_all_answered(server)
    assert_one_chain_of_the_answers(AuditLog(PostgresAuditStore(url)), server)


SQLITE_FILES = (AUDIT_FILE, f"{AUDIT_FILE}-wal", f"{AUDIT_FILE}-shm")


def test_sqlite_audit_gone_refuses_every_call_until_it_is_back(tmp_path: Path, hostile: HostileTally) -> None:
    with served(tmp_path) as server:
        home = tmp_path / "home"
        assert_all_answered(server)
        # The log's files are moved away (a clean-up job, a mistaken mv) and later moved back.
        away = tmp_path / "away"
        away.mkdir()
        for name in SQLITE_FILES:
            (home / name).rename(away / name)
        assert_all_refused(server, hostile)
        for name in SQLITE_FILES:
            (away / name).rename(home / name)
        assert_all_answered(server)
        # The log is deleted, then restored from a backup taken just before.
        copy_sqlite(home / AUDIT_FILE, tmp_path / "backup.sqlite")
        for name in SQLITE_FILES:
            (home / name).unlink(missing_ok=True)
        assert_all_refused(server, hostile)
        assert not (home / AUDIT_FILE).exists(), "the server made a new, empty audit log in place of the lost one"
        copy_sqlite(tmp_path / "backup.sqlite", home / AUDIT_FILE)
        assert_all_answered(server)
    assert_one_chain_of_the_answers(AuditLog(SqliteAuditStore(home / AUDIT_FILE)), server)


# ---- Neo4j lost and back ---------------------------------------------------------------------------

# Bounds a hang, not a latency target: a call while Neo4j is down must come back with an error.
DOWN_CALL_BOUND_S = 120


@pytest.mark.neo4j
def test_the_server_rides_out_neo4j_going_down_and_coming_back(tmp_path: Path, hostile: HostileTally) -> None:
    with restartable_neo4j() as neo4j_server:
        home = tmp_path / "home"
        build_estate(home)
        with open_store(Settings(home=home), read_only=True) as embedded:
            target = open_neo4j_store(neo4j_server.connection)
            copy_graph(embedded, target)
            target.close()
        policy, tokens = token_policy(tmp_path, {"ann": "analyst"})
        env = neo4j_env(neo4j_server.connection)
        with http_server_process(home, tmp_path / "serve.log", DATAGRAPH_POLICY=str(policy), **env) as (url, process):
            before = call_tools(url, tokens["ann"], *ANALYST_CALLS)
            for result in before:
                structured(result)

            neo4j_server.crash()
            for step in ANALYST_CALLS:
                started = time.monotonic()
                [result] = timed_calls(url, tokens["ann"], step)
                print(f"{step[0]} with Neo4j down: {time.monotonic() - started:.1f} s: {text_of(result)[:200]}")
                assert result.is_error, f"{step[0]} answered with Neo4j down"
                assert text_of(result).startswith("[store_unavailable] Neo4j at "), text_of(result)
                assert "\n" not in text_of(result)
            health = httpx.get(f"{url}/healthz", timeout=30)
            assert health.status_code == 503 and health.json()["status"] == "unavailable"
            assert process.poll() is None
            hostile.tried("faults", len(ANALYST_CALLS))

            neo4j_server.start()
            after = call_tools(url, tokens["ann"], *ANALYST_CALLS)
            assert [structured(r) for r in after] == [structured(r) for r in before]
            assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200
            assert process.poll() is None

            # Down and up again between two calls: the server's pooled connections are all dead ones.
            neo4j_server.crash()
            neo4j_server.start()
            again = call_tools(url, tokens["ann"], *ANALYST_CALLS)
            assert [structured(r) for r in again] == [structured(r) for r in before]
            assert process.poll() is None
            hostile.tried("faults")


def timed_calls(url: str, token: str, *steps: Step) -> list[CallToolResult]:
    async def bounded() -> list[CallToolResult]:
        with anyio.fail_after(DOWN_CALL_BOUND_S):
            return await call_in_session(url, token, steps)

    return anyio.run(bounded)
