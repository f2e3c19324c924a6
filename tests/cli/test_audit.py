"""`datagraph audit tail|query|verify|export` as a person runs them (child processes), over an audit log
written by real governed calls; verify names the first entry an attacker with file access changed."""

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from graph_schema.config import Settings
from graph_schema.store import open_store
from server.governance.audit import AUDIT_FILE
from server.governance.audit_sql import TABLE
from server.governance.principal import Principal
from server.runtime import build_runtime
from server.tools.names import ToolName
from tests.cli.serve_process import cli_command, cli_env
from tests.server.calls import call
from tests.server.conftest import url_with_schema
from tests.server.estate import build_estate

pytestmark = pytest.mark.timeout(300)

ANN = Principal(name="ann", role="analyst")
GINA = Principal(name="gina", role="governance")


def datagraph(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args, "--home", str(home)),
        env=cli_env(**env),
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def audited_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose audit log holds five real calls: allowed, failed and denied."""
    home = tmp_path_factory.mktemp("audit") / "home"
    build_estate(home)
    settings = Settings(home=home)
    with open_store(settings, read_only=True) as store:
        runtime = build_runtime(settings, store=store)
        call(runtime, ToolName.SEARCH_ASSETS, {"query": "orders", "limit": 2}, ANN)
        call(runtime, ToolName.GET_ASSET, {"ref": "stg_orders"}, ANN)
        call(runtime, ToolName.GET_ASSET, {"ref": "no_such_thing"}, ANN)
        call(runtime, ToolName.AUDIT_LOG, {"limit": 1}, ANN)
        call(runtime, ToolName.AUDIT_LOG, {"limit": 1}, GINA)
        runtime.close()
    return home


def copy_of(home: Path, tmp_path: Path) -> Path:
    """Another home with a copy of the audit log, to tamper with."""
    target = tmp_path / "copy"
    target.mkdir()
    shutil.copy(home / AUDIT_FILE, target / AUDIT_FILE)
    return target


def tamper(home: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    """What an attacker with the file can do: drop the append-only triggers, then change rows."""
    conn = sqlite3.connect(home / AUDIT_FILE, isolation_level=None)
    try:
        conn.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
        conn.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")
        conn.execute(sql, params)
    finally:
        conn.close()


def test_tail_shows_the_latest_entries_oldest_first(audited_home: Path) -> None:
    result = datagraph(audited_home, "audit", "tail", "-n", "2")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.split()[0] == "4" and "ann (analyst) via stdio  audit_log" in first
    assert "allowed" not in first.split("}")[-1] and "denied/denied" in first
    assert "[permission_denied] role 'analyst' may not call 'audit_log'" in first
    assert second.split()[0] == "5" and "gina (governance)" in second and "allowed/ok" in second


def test_query_filters_newest_first(audited_home: Path) -> None:
    result = datagraph(audited_home, "audit", "query", "--principal", "ann", "--tool", "get_asset", "--json")
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["seq"], e["arguments"]["ref"], e["outcome"]) for e in entries] == [
        (3, "no_such_thing", "error"),
        (2, "stg_orders", "ok"),
    ]
    future = datagraph(audited_home, "audit", "query", "--since", "2999-01-01T00:00:00Z")
    assert future.returncode == 0 and future.stdout == ""
    bad = datagraph(audited_home, "audit", "query", "--since", "last tuesday")
    assert bad.returncode == 2 and "--since 'last tuesday' is not an ISO 8601 time" in bad.stderr


def test_export_jsonl_and_csv(audited_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "audit.jsonl"
    jsonl = datagraph(audited_home, "audit", "export", "--format", "jsonl", "-o", str(target))
    assert jsonl.returncode == 0, jsonl.stderr
    assert "exported 5 entries" in jsonl.stderr
    entries = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[1]["tool"] == "get_asset" and entries[1]["prev_hash"] == entries[0]["hash"]
    assert [p.name for p in tmp_path.iterdir()] == ["audit.jsonl"]  # no temporary file left behind

    as_csv = datagraph(audited_home, "audit", "export", "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["seq"], r["principal"], r["tool"], r["decision"]) for r in rows] == [
        (str(e["seq"]), e["principal"], e["tool"], e["decision"]) for e in entries
    ]
    assert json.loads(rows[0]["arguments"]) == {"limit": 2, "query": "orders"}
    assert rows[4]["hash"] == entries[4]["hash"]


def test_verify_passes_an_intact_log_and_prints_its_head(audited_home: Path) -> None:
    result = datagraph(audited_home, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("audit log intact: 5 entries, head 5:")


def test_verify_names_an_edited_entry(audited_home: Path, tmp_path: Path) -> None:
    home = copy_of(audited_home, tmp_path)
    tamper(home, f'UPDATE {TABLE} SET "arguments" = ? WHERE "seq" = 2', ('{"ref":"fct_orders"}',))
    result = datagraph(home, "audit", "verify")
    assert result.returncode == 1
    assert result.stdout.strip() == (
        "audit log TAMPERED: first bad entry is 2: entry 2 was altered or moved: its hash does not match its contents"
    )
    report = json.loads(datagraph(home, "audit", "verify", "--json").stdout)
    assert (report["ok"], report["first_bad_seq"], report["checked"]) == (False, 2, 2)


def test_verify_names_a_deleted_entry(audited_home: Path, tmp_path: Path) -> None:
    home = copy_of(audited_home, tmp_path)
    tamper(home, f'DELETE FROM {TABLE} WHERE "seq" = 3')
    result = datagraph(home, "audit", "verify")
    assert result.returncode == 1
    assert "first bad entry is 3: entry 3 is missing: seq jumps from 2 to 4" in result.stdout


def test_verify_names_reordered_entries(audited_home: Path, tmp_path: Path) -> None:
    home = copy_of(audited_home, tmp_path)
    # Entries 2 and 3 trade places: each row moves whole, only its position (seq) changes.
    tamper(home, f'UPDATE {TABLE} SET "seq" = 100 WHERE "seq" = 2')
    tamper(home, f'UPDATE {TABLE} SET "seq" = 2 WHERE "seq" = 3')
    tamper(home, f'UPDATE {TABLE} SET "seq" = 3 WHERE "seq" = 100')
    result = datagraph(home, "audit", "verify")
    assert result.returncode == 1
    assert "first bad entry is 2: entry 2 was altered or moved" in result.stdout


def test_an_anchor_catches_a_cut_tail(audited_home: Path, tmp_path: Path) -> None:
    head = datagraph(audited_home, "audit", "verify").stdout.strip().rsplit(" ", 1)[-1]
    home = copy_of(audited_home, tmp_path)
    tamper(home, f'DELETE FROM {TABLE} WHERE "seq" = 5')
    assert datagraph(home, "audit", "verify").returncode == 0  # a shorter chain is still a chain...
    anchored = datagraph(home, "audit", "verify", "--anchor", head)
    assert anchored.returncode == 1  # ...but not the one that was recorded
    assert "first bad entry is 5: entries 5..5 are missing: the log ends before the recorded head" in anchored.stdout
    malformed = datagraph(home, "audit", "verify", "--anchor", "five")
    assert malformed.returncode == 2 and "must be SEQ:HASH" in malformed.stderr


def test_reading_a_home_without_a_log_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "empty"
    home.mkdir()
    assert datagraph(home, "audit", "tail").stdout == ""
    assert datagraph(home, "audit", "verify").stdout.startswith("audit log intact: 0 entries, empty")
    assert list(home.iterdir()) == []


@pytest.fixture
def postgres_audit(postgres_url: str) -> Iterator[str]:
    schema = f"audit_cli_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield url_with_schema(postgres_url, schema)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.postgres
def test_verify_a_postgres_log(postgres_audit: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    settings = Settings(home=home, audit_url=postgres_audit)
    runtime = build_runtime(settings)
    call(runtime, ToolName.AUDIT_LOG, {}, GINA)
    call(runtime, ToolName.AUDIT_LOG, {}, ANN)
    runtime.close()
    assert datagraph(home, "audit", "verify", DATAGRAPH_AUDIT_URL=postgres_audit).returncode == 0
    with psycopg.connect(postgres_audit, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        conn.execute(f'UPDATE {TABLE} SET "decision" = %s WHERE "seq" = 2', ("allowed",))
    result = datagraph(home, "audit", "verify", DATAGRAPH_AUDIT_URL=postgres_audit)
    assert result.returncode == 1 and "first bad entry is 2:" in result.stdout
