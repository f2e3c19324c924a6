"""Exporting proposals: only approved ones; a commit on a new branch that moves nothing else in the repository,
or a patch file `git apply` takes; every attempt audited, and an export that cannot be audited undone."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph_schema.config import Settings
from server.errors import AuditUnavailableError
from server.governance.audit import AuditLog, open_audit_log
from server.governance.policy import Policy
from server.governance.policy_defaults import builtin_policy
from server.governance.principal import Principal
from server.proposals.errors import ExportError, NotApprovedError
from server.proposals.export import ToBranch, ToPatch, export_proposal
from server.proposals.review import review
from server.proposals.store import ProposalStore
from server.tools.propose_change import propose_change
from server.tools.schemas import ProposeChangeInput
from tests.proposals.conftest import ContextFactory
from tests.proposals.gitrepo import git, make_repo, state
from tests.proposals.sql_edits import MODEL_FILES, without_shipping_amount

BOB = Principal(name="bob", role="steward")
MODEL = MODEL_FILES["stg_orders"]


@pytest.fixture
def proposal_id(context: ContextFactory) -> str:
    out = propose_change(context(), ProposeChangeInput(ref="stg_orders", new_sql=without_shipping_amount(),
                                                       title="Drop shipping_amount", rationale="Nobody reads it."))
    return out.proposal_id


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[AuditLog]:
    log = open_audit_log(Settings(home=tmp_path / "home"))
    yield log
    log.close()


def approve(store: ProposalStore, proposal_id: str, policy: Policy | None = None) -> None:
    review(store, Policy(builtin_policy()) if policy is None else policy, BOB, proposal_id, "approve", "fine by me")


def test_an_approved_proposal_becomes_one_commit_on_a_new_branch_and_nothing_else_moves(
    tmp_path: Path, proposal_id: str, home_store: Callable[[], ProposalStore], audit: AuditLog
) -> None:
    repo = tmp_path / "repo"
    project = make_repo(repo)
    git(repo, "branch", "release")
    (project / "scratch.sql").write_text("-- work in progress, not committed\n")
    store = home_store()
    approve(store, proposal_id)
    before = state(repo)

    record = export_proposal(store, audit, BOB, proposal_id, ToBranch(project))

    assert (record.kind, record.branch, record.location) == ("git", f"datagraph/{proposal_id}", str(repo))
    after = state(repo)
    assert after[:3] == before[:3]  # same branch checked out, same HEAD, same working tree and index
    new_ref = f"refs/heads/datagraph/{proposal_id} {record.commit}"
    assert set(after[3].splitlines()) == set(before[3].splitlines()) | {new_ref}  # one new branch, the rest as was
    assert git(repo, "rev-parse", f"{record.commit}^").strip() == before[1]
    changed = git(repo, "diff", "--name-only", before[1], record.commit).split()
    assert changed == [f"analytics/shop/{MODEL}"]
    assert git(repo, "show", f"{record.commit}:analytics/shop/{MODEL}") == without_shipping_amount()
    assert git(repo, "log", "-1", "--format=%an|%cn|%s", record.commit).strip() == "ada|bob|Drop shipping_amount"
    message = git(repo, "log", "-1", "--format=%B", record.commit)
    assert f"Proposal-Id: {proposal_id}" in message and "Approved-By: bob" in message
    assert "Nobody reads it." in message

    exported = home_store().get(proposal_id)
    assert exported is not None and [(e.kind, e.commit, e.by) for e in exported.exports] == [
        ("git", record.commit, "bob")
    ]
    [entry] = [e for e in audit.entries() if e.tool == "export_proposal"]
    assert (entry.principal, entry.outcome, entry.arguments["to"]) == ("bob", "ok", "git")


def test_an_unapproved_proposal_is_never_exported(
    tmp_path: Path, proposal_id: str, home_store: Callable[[], ProposalStore], audit: AuditLog
) -> None:
    repo = tmp_path / "repo"
    project = make_repo(repo)
    before = state(repo)
    store = home_store()
    with pytest.raises(NotApprovedError, match=f"{proposal_id} is pending_review: only an approved proposal"):
        export_proposal(store, audit, BOB, proposal_id, ToBranch(project))
    review(store, Policy(builtin_policy()), BOB, proposal_id, "reject", "no")
    with pytest.raises(NotApprovedError, match=f"{proposal_id} is rejected"):
        export_proposal(store, audit, BOB, proposal_id, ToPatch(tmp_path / "change.patch"))
    assert state(repo) == before and not (tmp_path / "change.patch").exists()
    assert [(e.tool, e.outcome) for e in audit.entries()] == [("export_proposal", "error")] * 2
    stored = store.get(proposal_id)
    assert stored is not None and stored.exports == []


def test_an_export_never_moves_a_branch_nor_applies_to_a_model_that_changed(
    tmp_path: Path, proposal_id: str, home_store: Callable[[], ProposalStore], audit: AuditLog
) -> None:
    repo = tmp_path / "repo"
    project = make_repo(repo)
    store = home_store()
    approve(store, proposal_id)
    git(repo, "branch", "taken")
    before = state(repo)
    with pytest.raises(ExportError, match="branch taken exists already"):
        export_proposal(store, audit, BOB, proposal_id, ToBranch(project, branch="taken"))
    with pytest.raises(ExportError, match="is not a valid branch name"):
        export_proposal(store, audit, BOB, proposal_id, ToBranch(project, branch="bad..name"))
    with pytest.raises(ExportError, match="is not a commit"):
        export_proposal(store, audit, BOB, proposal_id, ToBranch(project, base="no-such-rev"))
    with pytest.raises(ExportError, match=f"{tmp_path / 'elsewhere'} is not in a git working tree"):
        (tmp_path / "elsewhere").mkdir()
        export_proposal(store, audit, BOB, proposal_id, ToBranch(tmp_path / "elsewhere"))
    assert state(repo) == before

    (project / MODEL).write_text((project / MODEL).read_text() + "where status is not null\n")
    git(repo, "commit", "-q", "-am", "someone else changed the model")
    with pytest.raises(ExportError, match=f"analytics/shop/{MODEL} at HEAD is not the SQL {proposal_id} was proposed "
                                          "against: the model changed since"):
        export_proposal(store, audit, BOB, proposal_id, ToBranch(project))
    # from the commit before that change it still applies
    record = export_proposal(store, audit, BOB, proposal_id, ToBranch(project, branch="from-before", base="HEAD~1"))
    assert record.branch == "from-before"
    assert [e.outcome for e in audit.entries()] == ["error"] * 5 + ["ok"]


def test_a_patch_file_is_written_whole_and_applies(
    tmp_path: Path, proposal_id: str, home_store: Callable[[], ProposalStore], audit: AuditLog
) -> None:
    repo = tmp_path / "repo"
    project = make_repo(repo)
    store = home_store()
    approve(store, proposal_id)
    patch = tmp_path / "change.patch"

    record = export_proposal(store, audit, BOB, proposal_id, ToPatch(patch, project))
    assert (record.kind, record.location) == ("patch", str(patch))
    assert patch.read_text().startswith(f"diff --git a/{MODEL} b/{MODEL}\n")
    # paths are relative to the dbt project: `patch -p1` there, or git apply with the project's folder
    git(repo, "apply", "--check", "--directory=analytics/shop", str(patch))
    git(repo, "apply", "--directory=analytics/shop", str(patch))
    assert (project / MODEL).read_text() == without_shipping_amount()

    with pytest.raises(ExportError, match="exists already; an export never overwrites a file"):
        export_proposal(store, audit, BOB, proposal_id, ToPatch(patch))
    with pytest.raises(ExportError, match="the model changed since"):
        export_proposal(store, audit, BOB, proposal_id, ToPatch(tmp_path / "again.patch", project))
    assert not (tmp_path / "again.patch").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_an_export_that_cannot_be_audited_is_undone(
    tmp_path: Path, proposal_id: str, home_store: Callable[[], ProposalStore], audit: AuditLog
) -> None:
    repo = tmp_path / "repo"
    project = make_repo(repo)
    store = home_store()
    approve(store, proposal_id)
    before = state(repo)
    audit.close()  # the audit database is gone from under the exporter
    with pytest.raises(AuditUnavailableError):
        export_proposal(store, audit, BOB, proposal_id, ToBranch(project))
    with pytest.raises(AuditUnavailableError):
        export_proposal(store, audit, BOB, proposal_id, ToPatch(tmp_path / "change.patch"))
    assert state(repo) == before and not (tmp_path / "change.patch").exists()
    stored = store.get(proposal_id)
    assert stored is not None and stored.exports == []
