"""`datagraph proposals list|show|approve|reject|export`: the change-proposal queue at a terminal.

approve and reject are governed review_proposal calls (transport `cli`) like an agent's, as the local
principal (--principal, DATAGRAPH_PRINCIPAL or the OS user) with the role the policy's `local.principals`
gives it; a proposer never reviews their own proposal. export writes an approved proposal as one commit on a
new branch of a local git repository (never pushed, no other branch touched) or as a patch file; every
export attempt is written to the audit log.
"""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer
from rich.console import Console
from rich.table import Table

from datagraph.commands.query import JsonOption, PrincipalOption
from datagraph.options import HomeOption, settings_for
from graph_schema.config import Settings
from graph_schema.errors import DatagraphError
from server.errors import ToolCallError
from server.governance.audit import AUDIT_FILE, open_audit_log
from server.governance.policy import load_policy
from server.proposals.export import ToBranch, ToPatch, export_proposal
from server.proposals.review import load, present
from server.proposals.store import proposal_store
from server.tools.names import ToolName
from server.tools.schemas.changes import Proposal, ProposalStatus
from server.governance.principal import local_principal_name

app = typer.Typer(
    help="Change proposals: list and read them, approve or reject them (reviewers), export approved ones.",
    no_args_is_help=True,
)

_STATUSES: tuple[str, ...] = ("pending_review", "approved", "rejected")
CommentOption = Annotated[
    str, typer.Option("--comment", "-m", help="The reviewer's reasoning, kept with the proposal.")
]


class ProposalArgumentError(DatagraphError):
    pass


class ReviewFailedError(DatagraphError):
    """The review was refused or failed; the message is the tool's, `[code]` first."""


@contextmanager
def _tool_errors() -> Iterator[None]:
    """A refusal prints as one plain line with its `[code]` intact, exit status 2 (SystemExit: typer.Exit would
    become status 0 under the entry point's non-standalone click)."""
    try:
        yield
    except (ToolCallError, ReviewFailedError) as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


@app.command("list")
def list_proposals(
    status: Annotated[str, typer.Option("--status", help="pending_review, approved, rejected or all.")] = "all",
    limit: Annotated[int, typer.Option("--limit", help="Most proposals, newest first.", min=1, max=10_000)] = 50,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Proposals, newest first."""
    wanted = _status(status)
    settings = settings_for(home)
    proposals: list[Proposal] = []
    if _stored(settings):
        with _tool_errors(), proposal_store(settings) as store:
            proposals = store.list(wanted, limit=limit)
    if as_json:
        typer.echo(json.dumps([_summary(p) for p in proposals], indent=2))
        return
    table = Table("id", "status", "model", "title", "by", "at", "breaking")
    for p in proposals:
        breaking = str(p.impact.summary.breaking) if p.impact is not None else "0"
        table.add_row(p.proposal_id, p.status, p.target_name, p.title, p.proposed_by,
                      f"{p.proposed_at:%Y-%m-%d %H:%M}", breaking)
    Console().print(table)


@app.command("show")
def show(
    proposal_id: Annotated[str, typer.Argument(help="The proposal's id (prop-...).")],
    diff_only: Annotated[bool, typer.Option("--diff", help="Print only the unified diff.")] = False,
    home: HomeOption = None,
) -> None:
    """One proposal as JSON: SQL diff, validation, impact, suggested tests, reviews and exports."""
    settings = settings_for(home)
    if not _stored(settings):
        raise ProposalArgumentError(f"no proposal {proposal_id!r}: nothing was proposed in {settings.home} yet")
    with _tool_errors(), proposal_store(settings) as store:
        proposal = present(load(store, proposal_id), load_policy(settings.policy))
    if diff_only:
        typer.echo(proposal.diff, nl=False)
        return
    typer.echo(json.dumps(proposal.model_dump(mode="json"), indent=2))


@app.command("approve")
def approve(
    proposal_id: Annotated[str, typer.Argument()],
    comment: CommentOption,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Approve a pending proposal (reviewer roles only; never your own)."""
    _review(proposal_id, "approve", comment, principal, home)


@app.command("reject")
def reject(
    proposal_id: Annotated[str, typer.Argument()],
    comment: CommentOption,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Reject a pending proposal (reviewer roles only; never your own)."""
    _review(proposal_id, "reject", comment, principal, home)


@app.command("export")
def export(
    proposal_id: Annotated[str, typer.Argument()],
    git: Annotated[
        Path | None,
        typer.Option("--git", help="The dbt project folder, in a git working tree: commit on a new branch there."),
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Name of the new branch (default datagraph/ID).")
    ] = None,
    base: Annotated[str, typer.Option("--base", help="Commit the branch starts from.")] = "HEAD",
    patch: Annotated[
        Path | None,
        typer.Option("--patch", help="Write a patch file instead (paths relative to the dbt project: patch -p1)."),
    ] = None,
    project: Annotated[
        Path | None, typer.Option("--project", help="With --patch: diff against the model file in this project.")
    ] = None,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Export an approved proposal as a commit on a new git branch, or as a patch file."""
    if (git is None) == (patch is None):
        raise ProposalArgumentError("give exactly one of --git DIR (a new branch) or --patch FILE")
    if project is not None and patch is None:
        raise ProposalArgumentError("--project goes with --patch")
    destination: ToBranch | ToPatch
    if git is not None:
        destination = ToBranch(git, branch, base)
    else:
        assert patch is not None
        destination = ToPatch(patch, project)
    settings = settings_for(home)
    policy = load_policy(settings.policy)
    exporter = policy.local_principal(local_principal_name(principal))
    with _tool_errors():
        audit = open_audit_log(settings)
        try:
            with proposal_store(settings) as store:
                record = export_proposal(store, audit, exporter, proposal_id, destination)
        finally:
            audit.close()
    if record.kind == "git":
        typer.echo(f"{proposal_id} exported to branch {record.branch} ({record.commit}) in {record.location}")
    else:
        typer.echo(f"{proposal_id} exported to {record.location}")


def _review(proposal_id: str, decision: Literal["approve", "reject"], comment: str, principal: str | None,
            home: Path | None) -> None:
    with _tool_errors():
        answer = _governed_review(settings_for(home), {"proposal_id": proposal_id, "decision": decision,
                                                       "comment": comment}, principal)
    waiting = answer.get("approvals_missing") or []
    line = f"{answer['proposal_id']} {answer['status']}"
    if answer["status"] == "pending_review" and waiting:
        owners = "; ".join(" or ".join(group["owners"]) for group in waiting)
        line += f" (waits for an approval from: {owners})"
    elif answer.get("reviewed_by"):
        line += f" by {answer['reviewed_by']}"
    typer.echo(line)


def _governed_review(settings: Settings, arguments: dict[str, Any], principal: str | None) -> dict[str, Any]:
    """One governed, audited review_proposal call as the local principal (no graph needed)."""
    import anyio
    from mcp_types import CallToolResult, TextContent

    from server.governed import governed
    from server.runtime import build_runtime
    from server.tools.registry import TOOL_SPECS

    spec = next(s for s in TOOL_SPECS if s.name is ToolName.REVIEW_PROPOSAL)
    runtime = build_runtime(settings)
    try:
        caller = runtime.policy.local_principal(local_principal_name(principal))
        result = anyio.run(governed(spec, runtime, "cli", lambda: caller), arguments)
    finally:
        runtime.close()
    if isinstance(result, CallToolResult):
        texts = [c.text for c in result.content if isinstance(c, TextContent)]
        raise ReviewFailedError(" ".join(texts) or "[failed] review_proposal failed")
    return result.model_dump(mode="json")


def _stored(settings: Settings) -> bool:
    """Whether there is a proposal store to read (reading never creates the SQLite file)."""
    return settings.audit_url is not None or (Path(settings.home) / AUDIT_FILE).exists()


def _summary(proposal: Proposal) -> dict[str, Any]:
    return {
        "proposal_id": proposal.proposal_id,
        "status": proposal.status,
        "target": proposal.target,
        "target_name": proposal.target_name,
        "title": proposal.title,
        "proposed_by": proposal.proposed_by,
        "proposed_at": proposal.proposed_at.isoformat(),
        "reviewed_by": proposal.reviewed_by,
        "breaking": proposal.impact.summary.breaking if proposal.impact is not None else 0,
        "exports": [e.model_dump(mode="json") for e in proposal.exports],
    }


def _status(text: str) -> ProposalStatus | None:
    if text == "all":
        return None
    if text not in _STATUSES:
        raise ProposalArgumentError(f"--status {text!r} is not one of {', '.join(_STATUSES)}, all")
    return cast(ProposalStatus, text)


