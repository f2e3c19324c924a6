"""propose_change: validate new SQL for a model, work out what it changes and breaks, store it for review.

Nothing is stored unless every check passes; what is stored is one row, written whole.
"""

import uuid
from collections.abc import Callable
from datetime import datetime

from graph_schema.models import Node
from server.errors import InvalidArgumentsError
from server.governance.audit_models import utc_now
from server.proposals.diff import as_file, same_sql, unified_diff
from server.proposals.impact import impact_of, owner_approvals, planned_changes
from server.proposals.store import proposal_store
from server.proposals.suggest import suggest_tests
from server.proposals.target import proposal_target
from server.proposals.validate import check
from server.tools.context import ToolContext
from server.tools.schemas.changes import Proposal, ProposeChangeInput, ProposeChangeOutput


def new_proposal_id() -> str:
    return f"prop-{uuid.uuid4().hex[:12]}"


def _everything(_: Node) -> bool:
    return True


def propose(ctx: ToolContext, args: ProposeChangeInput, now: Callable[[], datetime] = utc_now) -> ProposeChangeOutput:
    target = proposal_target(ctx, args.ref)
    if same_sql(target.old_sql, args.new_sql):
        raise InvalidArgumentsError(f"the new SQL is {target.node.name}'s current SQL: there is nothing to propose")
    checked = check(ctx, target, args.new_sql)
    changes = planned_changes(checked.diff)
    impact = impact_of(ctx, target, changes, ctx.visible)
    # Who must approve is decided on everything the change breaks, seen or not by the proposer.
    full = impact if ctx.policy.sees_everything(ctx.principal) else impact_of(ctx, target, changes, _everything)
    suggested = suggest_tests(ctx, target, checked.new, checked.diff, checked.read)
    diff = unified_diff(as_file(target.old_sql), as_file(args.new_sql), target.file_path)
    proposal = Proposal(
        proposal_id=new_proposal_id(),
        target=target.node.id,
        title=args.title.strip(),
        rationale=args.rationale.strip(),
        new_sql=args.new_sql,
        diff=diff,
        status="pending_review",
        proposed_by=ctx.principal.name,
        proposed_role=ctx.principal.role,
        proposed_at=now(),
        validation=checked.validation,
        target_name=target.node.name,
        target_kind=target.kind,
        file_path=target.file_path,
        dialect=target.dialect,
        base_sql=target.old_sql,
        changes=changes,
        impact=impact,
        suggested_tests=suggested,
        owner_approvals=owner_approvals(full),
    )
    with proposal_store(ctx.settings) as store:
        store.add(proposal)
    return ProposeChangeOutput(
        proposal_id=proposal.proposal_id,
        diff=diff,
        validation=checked.validation,
        impact=impact,
        suggested_tests=suggested,
        target=target.node.id,
        changes=changes,
    )
