"""The audit log's hash chain on SQLite and PostgreSQL: appends verify, and tampering is caught and named."""

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from server.governance.audit import AuditLog
from server.governance.audit_models import GENESIS_HASH, AuditQuery, AuditRecord
from server.governance.audit_sql import TABLE
from server.governance.chain import entry_hash
from tests.server.conftest import RawAudit


def record(i: int, *, principal: str = "alice", tool: str = "search_assets") -> AuditRecord:
    return AuditRecord(
        principal=principal,
        role="analyst",
        transport="stdio",
        tool=tool,
        arguments={"query": f"q{i}", "nested": {"api_key": "k", "depth": i}},
        decision="allowed",
        outcome="ok",
        result_size=10 * i,
        latency_ms=1.5 + i,
    )


def fill(log: AuditLog, count: int = 6) -> None:
    for i in range(1, count + 1):
        log.append(record(i, principal="alice" if i % 2 else "bob"))


def test_appends_chain_and_verify(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, _ = audit_backend
    first = log.append(record(1))
    second = log.append(record(2))

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert second.hash == entry_hash(second.model_dump(mode="json"), first.hash)
    report = log.verify()
    assert report.ok and report.checked == 2 and report.head is not None and report.head.hash == second.hash


def test_secrets_are_redacted_before_storage(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, raw = audit_backend
    log.append(record(1).model_copy(update={"arguments": {"Authorization": "Bearer x", "sql": "s" * 2000}}))

    stored = json.loads(raw.execute(f'SELECT "arguments" FROM {TABLE}')[0][0])
    assert stored["Authorization"] == "[redacted]"
    assert len(stored["sql"]) < 700 and "sha256=" in stored["sql"]
    assert log.verify().ok


def test_edited_entry_is_named(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, raw = audit_backend
    fill(log)
    raw.execute(f'UPDATE {TABLE} SET "principal" = %s WHERE "seq" = %s', ("mallory", 3))

    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "altered" in (report.problem or "")


def test_deleted_entry_is_named(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, raw = audit_backend
    fill(log)
    raw.execute(f'DELETE FROM {TABLE} WHERE "seq" = %s', (3,))

    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "missing" in (report.problem or "")


def test_swapped_entries_are_named(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, raw = audit_backend
    fill(log)
    raw.execute(f'UPDATE {TABLE} SET "seq" = -1 WHERE "seq" = %s', (3,))
    raw.execute(f'UPDATE {TABLE} SET "seq" = 3 WHERE "seq" = %s', (4,))
    raw.execute(f'UPDATE {TABLE} SET "seq" = 4 WHERE "seq" = %s', (-1,))

    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == 3


def test_resealed_entry_is_named_by_its_successor(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, raw = audit_backend
    fill(log)
    third = next(e for e in log.entries() if e.seq == 3)
    forged = third.model_copy(update={"principal": "mallory"})
    new_hash = entry_hash(forged.model_dump(mode="json"), forged.prev_hash)
    raw.execute(f'UPDATE {TABLE} SET "principal" = %s, "hash" = %s WHERE "seq" = %s', ("mallory", new_hash, 3))

    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "replaced" in (report.problem or "")


def test_cut_tail_is_caught_against_a_recorded_head(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, raw = audit_backend
    fill(log, 4)
    head = log.verify().head
    assert head is not None
    raw.execute(f'DELETE FROM {TABLE} WHERE "seq" = %s', (4,))

    assert log.verify().ok  # a chain alone cannot see its own end cut off
    report = log.verify(anchor=head)
    assert not report.ok and report.first_bad_seq == 4


def test_append_only_at_the_database(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, raw = audit_backend
    fill(log, 2)
    if raw.backend == "sqlite":
        conn = sqlite3.connect(raw.location)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(f'DELETE FROM {TABLE} WHERE "seq" = 1')
        conn.close()
    else:
        with psycopg.connect(raw.location, autocommit=True) as conn, pytest.raises(psycopg.Error, match="append-only"):
            conn.execute(f'UPDATE {TABLE} SET "principal" = %s', ("x",))
    assert log.verify().ok


def test_query_filters_and_pages(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, _ = audit_backend
    fill(log, 7)
    log.append(record(8, principal="carol", tool="audit_log"))

    assert [e.seq for e in log.query(AuditQuery(principal="bob", limit=10)).entries] == [6, 4, 2]
    assert [e.seq for e in log.query(AuditQuery(tool="audit_log")).entries] == [8]

    page = log.query(AuditQuery(limit=3))
    assert [e.seq for e in page.entries] == [8, 7, 6] and page.next_cursor == 6
    page = log.query(AuditQuery(limit=3, cursor=page.next_cursor))
    assert [e.seq for e in page.entries] == [5, 4, 3]
    last = log.query(AuditQuery(limit=3, cursor=3))
    assert [e.seq for e in last.entries] == [2, 1] and last.next_cursor is None

    future = datetime.now(UTC) + timedelta(hours=1)
    assert log.query(AuditQuery(since=future)).entries == []
    assert len(log.query(AuditQuery(since=datetime.now(UTC) - timedelta(hours=1))).entries) == 8


def test_query_values_are_parameters_not_sql(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, _ = audit_backend
    fill(log, 2)
    hostile = "x' OR '1'='1"
    assert log.query(AuditQuery(principal=hostile)).entries == []
    assert log.verify().checked == 2


def test_exports_hold_every_entry(audit_backend: tuple[AuditLog, RawAudit]) -> None:
    log, _ = audit_backend
    fill(log, 3)

    jsonl = io.StringIO()
    assert log.export_jsonl(jsonl) == 3
    lines = [json.loads(line) for line in jsonl.getvalue().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3]
    assert lines[2]["hash"] == entry_hash(lines[2], lines[2]["prev_hash"])

    table = io.StringIO()
    assert log.export_csv(table) == 3
    rows = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert [r["principal"] for r in rows] == ["alice", "bob", "alice"]
    assert json.loads(rows[0]["arguments"])["nested"]["api_key"] == "[redacted]"
