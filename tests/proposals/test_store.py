"""The proposal store on SQLite and PostgreSQL: proposals survive restarts, decisions are made once, and a
write that fails leaves nothing half done."""

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from graph_schema.config import Settings
from server.governance.audit import AUDIT_FILE, open_audit_log
from server.governance.audit_models import AuditRecord
from server.proposals.errors import ProposalsUnavailableError
from server.proposals.sql import EVENTS
from server.proposals.store import Event, ProposalStore, open_proposal_store
from server.proposals.store_sqlite import SqliteDatabase
from server.tools.schemas.changes import Proposal, Validation

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def make_proposal(proposal_id: str, target: str = "dataset:duckdb://shop/shop.staging.stg_orders",
                  by: str = "agent", minutes: int = 0) -> Proposal:
    return Proposal(
        proposal_id=proposal_id, target=target, title=f"title of {proposal_id}", rationale="why", new_sql="select 1",
        diff="diff --git a/x b/x\n", status="pending_review", proposed_by=by,
        proposed_at=T0 + timedelta(minutes=minutes),
        validation=Validation(parses=True, columns_removed=["shipping_amount"]), target_name="stg_orders",
        base_sql="select 2", file_path="models/staging/stg_orders.sql",
    )


def approve(proposal_id: str, who: str = "bob", minutes: int = 5) -> Event:
    return Event(proposal_id, "approve", who, "reviewer", T0 + timedelta(minutes=minutes), "looks right")


def test_proposals_are_kept_whole_and_survive_a_restart(store_opener: Callable[[], ProposalStore]) -> None:
    first = store_opener()
    first.add(make_proposal("prop-1", minutes=0))
    first.add(make_proposal("prop-2", target="dataset:duckdb://shop/shop.analytics.fct_orders", minutes=1))
    first.close()

    again = store_opener()  # a new process, the same database
    stored = again.get("prop-1")
    assert stored == make_proposal("prop-1")
    assert again.get("prop-404") is None
    assert [p.proposal_id for p in again.list()] == ["prop-2", "prop-1"]
    assert [p.proposal_id for p in again.list(target="dataset:duckdb://shop/shop.analytics.fct_orders")] == ["prop-2"]
    assert [p.proposal_id for p in again.list(limit=1)] == ["prop-2"]


def test_a_decision_is_made_once_and_folded_into_the_proposal(store_opener: Callable[[], ProposalStore]) -> None:
    one, other = store_opener(), store_opener()
    one.add(make_proposal("prop-1"))

    assert one.decide(approve("prop-1"), "approved", expected_version=0)
    # another reviewer who read the proposal before that decision cannot decide it again
    late = Event("prop-1", "reject", "carol", "reviewer", T0 + timedelta(minutes=6), "no")
    assert not other.decide(late, "rejected", expected_version=0)

    decided = other.get("prop-1")
    assert decided is not None and decided.status == "approved"
    assert [(r.decision, r.reviewer, r.comment) for r in decided.reviews] == [("approve", "bob", "looks right")]
    assert (decided.reviewed_by, decided.reviewed_at, decided.review_comment) == (
        "bob", T0 + timedelta(minutes=5), "looks right"
    )
    assert [p.proposal_id for p in other.list("approved")] == ["prop-1"]
    assert other.list("pending_review") == []

    other.record(Event("prop-1", "export", "bob", "reviewer", T0 + timedelta(minutes=7), None,
                       {"kind": "git", "location": "/repo", "branch": "datagraph/prop-1", "commit": "abc"}))
    exported = one.get("prop-1")
    assert exported is not None and exported.status == "approved"
    assert [(e.kind, e.branch, e.by) for e in exported.exports] == [("git", "datagraph/prop-1", "bob")]


def test_a_decision_whose_event_cannot_be_written_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    store = ProposalStore(SqliteDatabase(path))
    store.add(make_proposal("prop-1"))
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute(f"DROP TABLE {EVENTS}")
    raw.close()

    with pytest.raises(ProposalsUnavailableError, match=r"cannot write the proposal store .*no such table"):
        store.decide(approve("prop-1"), "approved", expected_version=0)
    rows = sqlite3.connect(path).execute('SELECT "status", "version" FROM datagraph_proposals').fetchall()
    assert rows == [("pending_review", 0)]
    store.close()


def test_a_second_proposal_with_the_same_id_is_refused_and_the_first_stands(tmp_path: Path) -> None:
    store = ProposalStore(SqliteDatabase(tmp_path / "audit.sqlite"))
    store.add(make_proposal("prop-1"))
    with pytest.raises(ProposalsUnavailableError, match="UNIQUE"):
        store.add(make_proposal("prop-1", by="mallory"))
    stored = store.get("prop-1")
    assert stored is not None and stored.proposed_by == "agent"
    store.close()


def test_proposals_live_in_the_audit_database_beside_the_log(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    audit = open_audit_log(settings)
    audit.append(AuditRecord(principal="a", role="r", transport="cli", tool="t", decision="allowed", outcome="ok"))
    store = open_proposal_store(settings)
    store.add(make_proposal("prop-1"))
    assert store.location == str(tmp_path / AUDIT_FILE)
    assert audit.verify().ok
    store.close()
    audit.close()
    tables = {r[0] for r in sqlite3.connect(tmp_path / AUDIT_FILE).execute("SELECT name FROM sqlite_master")}
    assert {"datagraph_audit_log", "datagraph_proposals", "datagraph_proposal_events"} <= tables


@pytest.mark.postgres
def test_with_an_audit_url_proposals_live_in_postgresql(tmp_path: Path, postgres_schema_url: str) -> None:
    settings = Settings(home=tmp_path, audit_url=postgres_schema_url)
    store = open_proposal_store(settings)
    store.add(make_proposal("prop-1"))
    store.close()
    again = open_proposal_store(settings)
    assert [p.proposal_id for p in again.list()] == ["prop-1"]
    again.close()
    assert not (tmp_path / AUDIT_FILE).exists()
