"""Several processes writing one audit log never fork the chain, and a log that cannot be written fails closed."""

import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from server.errors import AuditUnavailableError
from server.governance.audit import AuditLog
from server.governance.audit_models import AuditRecord
from server.governance.audit_postgres import PostgresAuditStore
from server.governance.audit_sqlite import SqliteAuditStore
from tests.support.services import free_loopback_port

REPO = Path(__file__).resolve().parents[2]
PER_WRITER = 40


def run_writers(backend: str, location: str, names: list[str]) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.server.audit_writer", backend, location, str(PER_WRITER), name], cwd=REPO
        )
        for name in names
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0


def assert_one_unbroken_chain(log: AuditLog, names: list[str]) -> None:
    report = log.verify()
    assert report.ok, report.problem
    assert report.checked == PER_WRITER * len(names)
    entries = list(log.entries())
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert {e.principal for e in entries} == set(names)


def test_concurrent_sqlite_writers_share_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    SqliteAuditStore(path).close()
    names = ["w1", "w2", "w3"]
    run_writers("sqlite", str(path), names)
    log = AuditLog(SqliteAuditStore(path))
    assert_one_unbroken_chain(log, names)
    log.close()


@pytest.mark.postgres
def test_concurrent_postgres_replicas_share_one_chain(postgres_audit_url: str) -> None:
    PostgresAuditStore(postgres_audit_url).close()
    names = ["replica-a", "replica-b", "replica-c"]
    run_writers("postgres", postgres_audit_url, names)
    log = AuditLog(PostgresAuditStore(postgres_audit_url))
    assert_one_unbroken_chain(log, names)
    log.close()


def a_record() -> AuditRecord:
    return AuditRecord(principal="p", role="r", transport="stdio", tool="t", decision="allowed", outcome="ok")


def test_sqlite_write_fails_closed_when_locked(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    log = AuditLog(SqliteAuditStore(path, busy_timeout_s=0.2))
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(AuditUnavailableError, match=r"^\[audit_unavailable\] cannot write the audit log"):
            log.append(a_record())
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert log.append(a_record()).seq == 1
    log.close()


def test_sqlite_that_cannot_be_created_fails_closed(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(AuditUnavailableError, match="cannot open the audit log"):
        SqliteAuditStore(not_a_folder / "audit.sqlite")


def test_unreachable_postgres_fails_closed() -> None:
    url = f"postgresql://nobody:secret@127.0.0.1:{free_loopback_port()}/none"
    with pytest.raises(AuditUnavailableError) as caught:
        PostgresAuditStore(url, connect_timeout_s=2)
    assert "secret" not in str(caught.value)


@pytest.mark.postgres
def test_postgres_write_fails_closed_after_its_connection_dies(postgres_audit_url: str) -> None:
    name = f"audit-test-{uuid.uuid4().hex[:8]}"
    log = AuditLog(PostgresAuditStore(f"{postgres_audit_url}&application_name={name}"))
    log.append(a_record())
    with psycopg.connect(postgres_audit_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (name,))
    with pytest.raises(AuditUnavailableError):
        log.append(a_record())
    # The next call reconnects; the chain goes on unbroken.
    assert log.append(a_record()).seq == 2
    assert log.verify().ok
    log.close()
