"""Fixtures for the server tests: audit logs on both backends, policy files, tokens."""

import hashlib
import secrets
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from opentelemetry.trace import Tracer

from graph_schema.config import Settings
from graph_schema.store import GraphStore, open_store
from server.governance.audit import AuditLog
from server.governance.audit_postgres import PostgresAuditStore
from server.governance.audit_sql import TABLE
from server.governance.audit_sqlite import SqliteAuditStore
from server.governance.policy import Policy, load_policy
from server.runtime import Runtime, build_runtime
from tests.server.estate import build_estate

AUDIT_BACKENDS = ("sqlite", pytest.param("postgres", marks=pytest.mark.postgres))


def url_with_schema(url: str, schema: str) -> str:
    """The same database with `schema` first on the search path, so each test has its own audit table."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def postgres_audit_url(postgres_url: str) -> Iterator[str]:
    """The session's PostgreSQL (tests/conftest.py) with a schema of this test's own first on the search path."""
    schema = f"audit_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield url_with_schema(postgres_url, schema)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


class RawAudit:
    """Direct SQL on an audit table, append-only triggers removed: what an attacker with DB access can do."""

    def __init__(self, backend: str, location: str) -> None:
        self.backend = backend
        self.location = location

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.location, isolation_level=None)
            try:
                conn.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
                conn.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                conn.close()
        with psycopg.connect(self.location, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(params=AUDIT_BACKENDS)
def audit_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[AuditLog, RawAudit]]:
    if request.param == "sqlite":
        path = tmp_path / "audit.sqlite"
        log = AuditLog(SqliteAuditStore(path))
        raw = RawAudit("sqlite", str(path))
    else:
        url = request.getfixturevalue("postgres_audit_url")
        log = AuditLog(PostgresAuditStore(url))
        raw = RawAudit("postgres", url)
    yield log, raw
    log.close()


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(24)
    return token, hashlib.sha256(token.encode()).hexdigest()


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "policy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    made: list[Runtime] = []

    def make(policy: Policy | None = None, **settings: Any) -> Runtime:
        runtime = build_runtime(Settings(home=tmp_path / "home", **settings), policy=policy)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()


def policy_from(write_policy: Callable[[str], Path], text: str) -> Policy:
    return load_policy(write_policy(text))


@pytest.fixture(scope="session")
def estate_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding the test estate (tests/server/estate.py); tests must not write to it."""
    home = tmp_path_factory.mktemp("estate")
    build_estate(home)
    return home


@pytest.fixture(scope="session")
def estate_store(estate_home: Path) -> Iterator[GraphStore]:
    with open_store(Settings(home=estate_home), read_only=True) as store:
        yield store


@pytest.fixture
def graph_runtime(tmp_path: Path, estate_store: GraphStore) -> Iterator[Callable[..., Runtime]]:
    """Runtimes over the shared estate, each with its own audit log in this test's folder."""
    made: list[Runtime] = []

    def make(policy: Policy | None = None, tracer: Tracer | None = None, **settings: Any) -> Runtime:
        home = Settings(home=tmp_path / "home", **settings)
        runtime = build_runtime(home, store=estate_store, policy=policy, tracer=tracer)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()
