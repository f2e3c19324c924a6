"""Exporting an approved proposal: a commit on a new git branch, or a patch file; anything else is refused.

Every attempt is one audit entry (tool `export_proposal`), like a tool call. If that entry cannot be written
the export is undone (the branch deleted, the patch file removed) and the error stands: nothing leaves
unaudited.
"""

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from server.errors import AuditUnavailableError, DeniedError, ToolCallError
from server.governance.audit import AuditLog
from server.governance.audit_models import AuditRecord, utc_now
from server.governance.principal import Principal
from server.proposals.diff import as_file, same_sql, unified_diff
from server.proposals.errors import ExportError, NotApprovedError
from server.proposals.export_git import GitExport, export_to_branch, remove_branch
from server.proposals.review import load
from server.proposals.store import Event, ProposalStore
from server.tools.schemas.changes import ExportRecord, Proposal

EXPORT_AUDIT_TOOL = "export_proposal"


@dataclass(frozen=True)
class ToBranch:
    project_dir: Path  # the dbt project folder, inside a git working tree
    branch: str | None = None
    base: str = "HEAD"


@dataclass(frozen=True)
class ToPatch:
    output: Path
    project_dir: Path | None = None  # diff against the model file there instead of the SQL the graph had


Destination = ToBranch | ToPatch


def export_proposal(store: ProposalStore, audit: AuditLog, exporter: Principal, proposal_id: str,
                    destination: Destination, *, transport: str = "cli",
                    now: Callable[[], datetime] = utc_now) -> ExportRecord:
    started = time.perf_counter()
    arguments = _arguments(proposal_id, destination)
    try:
        proposal = approved(store, proposal_id)
        record, undo = _export(proposal, destination, exporter, now)
    except ToolCallError as exc:
        outcome: Literal["denied", "error"] = "denied" if isinstance(exc, DeniedError) else "error"
        _audit(audit, exporter, transport, arguments, outcome, str(exc), started)
        raise
    try:
        _audit(audit, exporter, transport, arguments, "ok", None, started)
    except AuditUnavailableError:
        undo()
        raise
    details = record.model_dump(mode="json", exclude={"by", "at"})
    store.record(Event(proposal_id, "export", exporter.name, exporter.role, record.at, None, details))
    return record


def approved(store: ProposalStore, proposal_id: str) -> Proposal:
    proposal = load(store, proposal_id)
    if proposal.status != "approved":
        raise NotApprovedError(f"{proposal_id} is {proposal.status}: only an approved proposal can be exported")
    return proposal


def _export(proposal: Proposal, destination: Destination, exporter: Principal,
            now: Callable[[], datetime]) -> tuple[ExportRecord, Callable[[], None]]:
    if isinstance(destination, ToBranch):
        if proposal.target_kind != "dbt_model":
            raise ExportError(f"{proposal.target_name} is a warehouse view with no file in a repository; "
                              "export it as a patch")
        done: GitExport = export_to_branch(proposal, destination.project_dir, exporter.name, destination.branch,
                                           destination.base)
        record = ExportRecord(kind="git", by=exporter.name, at=now(), location=str(done.worktree),
                              branch=done.branch, commit=done.commit)
        return record, lambda: remove_branch(done)
    write_patch(proposal, destination.output, destination.project_dir)
    record = ExportRecord(kind="patch", by=exporter.name, at=now(), location=str(destination.output))
    return record, lambda: destination.output.unlink(missing_ok=True)


def write_patch(proposal: Proposal, output: Path, project_dir: Path | None = None) -> None:
    """The proposal as a unified diff in `output` (a new file, written whole), paths relative to the project."""
    before = as_file(proposal.base_sql)
    if project_dir is not None:
        model = project_dir / proposal.file_path
        try:
            before = model.read_text(encoding="utf-8")
        except OSError as exc:
            raise ExportError(f"cannot read {model}: {exc.strerror or exc}") from None
        if not same_sql(before, proposal.base_sql):
            raise ExportError(f"{model} is not the SQL {proposal.proposal_id} was proposed against: the model "
                              "changed since; propose the change again on its current SQL")
    after = as_file(proposal.new_sql)
    if not before.endswith("\n"):
        after = after.rstrip("\n")
    patch = unified_diff(before, after, proposal.file_path)
    folder = output.resolve().parent
    if not folder.is_dir():
        raise ExportError(f"{output}: folder {folder} does not exist")
    if output.exists():
        raise ExportError(f"{output} exists already; an export never overwrites a file")
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(patch)
        # link, unlike rename, fails if the name was taken meanwhile
        os.link(temporary, output)
    except FileExistsError:
        raise ExportError(f"{output} exists already; an export never overwrites a file") from None
    except OSError as exc:
        raise ExportError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def _arguments(proposal_id: str, destination: Destination) -> dict[str, str | None]:
    if isinstance(destination, ToBranch):
        return {"proposal_id": proposal_id, "to": "git", "project_dir": str(destination.project_dir),
                "branch": destination.branch, "base": destination.base}
    return {"proposal_id": proposal_id, "to": "patch", "output": str(destination.output),
            "project_dir": str(destination.project_dir) if destination.project_dir else None}


def _audit(audit: AuditLog, exporter: Principal, transport: str, arguments: dict[str, str | None],
           outcome: Literal["ok", "error", "denied"], error: str | None, started: float) -> None:
    audit.append(
        AuditRecord(
            principal=exporter.name,
            role=exporter.role,
            transport=transport,
            tool=EXPORT_AUDIT_TOOL,
            arguments=dict(arguments),
            decision="denied" if outcome == "denied" else "allowed",
            outcome=outcome,
            error=error,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
    )
