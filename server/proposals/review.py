"""Deciding on a proposal.

Only a role with the review_proposal permission reviews (the governed tool call checks it), never the
proposer, and a decided proposal stays decided. With the policy's owner rule, an approval must come from an
owner of at least one broken asset still waiting for one; the proposal is approved once every set of owners
has approved. A rejection by any reviewer is final.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

from server.governance.audit_models import utc_now
from server.governance.policy import Policy
from server.governance.principal import Principal
from server.proposals.errors import OwnerApprovalError, ProposalNotFoundError, ProposalReviewError, SelfReviewError
from server.proposals.store import Event, ProposalStore
from server.tools.schemas.changes import OwnerApproval, Proposal, ProposalStatus

Decision = Literal["approve", "reject"]
MAX_LISTED = 3


def review(
    store: ProposalStore,
    policy: Policy,
    reviewer: Principal,
    proposal_id: str,
    decision: Decision,
    comment: str,
    now: Callable[[], datetime] = utc_now,
) -> Proposal:
    proposal = load(store, proposal_id)
    if proposal.proposed_by == reviewer.name:
        raise SelfReviewError(f"{reviewer.name} proposed {proposal_id} and may not review it; another reviewer must")
    if proposal.status != "pending_review":
        raise ProposalReviewError(f"{proposal_id} was {proposal.status} by {proposal.reviewed_by} already")
    approvers = [r.reviewer for r in proposal.reviews if r.decision == "approve"]
    if decision == "approve" and reviewer.name in approvers:
        raise ProposalReviewError(f"{reviewer.name} approved {proposal_id} already; it waits for "
                                  + _listing(missing_approvals(proposal, policy, approvers)))
    status: ProposalStatus = "rejected"
    if decision == "approve":
        waiting = missing_approvals(proposal, policy, approvers)
        still = missing_approvals(proposal, policy, [*approvers, reviewer.name])
        if waiting and len(still) == len(waiting):
            raise OwnerApprovalError(
                f"{proposal_id} needs an approval from an owner of each asset it breaks; {reviewer.name} owns none "
                f"of those still waiting: {_listing(waiting)}"
            )
        status = "pending_review" if still else "approved"
    event = Event(proposal_id, decision, reviewer.name, reviewer.role, now(), comment)
    if not store.decide(event, status, expected_version=len(proposal.reviews)):
        raise ProposalReviewError(f"{proposal_id} was reviewed by someone else meanwhile; read it again")
    return present(load(store, proposal_id), policy)


def load(store: ProposalStore, proposal_id: str) -> Proposal:
    proposal = store.get(proposal_id)
    if proposal is None:
        raise ProposalNotFoundError(f"no proposal {proposal_id!r}; list them with `datagraph proposals list`")
    return proposal


def missing_approvals(proposal: Proposal, policy: Policy, approvers: Iterable[str]) -> list[OwnerApproval]:
    """The owner groups none of `approvers` belongs to, when the policy wants owners to approve."""
    if not policy.spec.proposals.require_owner_approval:
        return []
    names = {a.casefold() for a in approvers}
    return [g for g in proposal.owner_approvals if not names & {o.casefold() for o in g.owners}]


def present(proposal: Proposal, policy: Policy) -> Proposal:
    """The proposal with the owner approvals it still waits for under the policy in force."""
    if proposal.status != "pending_review":
        return proposal
    approvers = [r.reviewer for r in proposal.reviews if r.decision == "approve"]
    return proposal.model_copy(update={"approvals_missing": missing_approvals(proposal, policy, approvers)})


def _listing(groups: list[OwnerApproval]) -> str:
    if not groups:
        return "nothing (a reviewer's decision)"
    shown = [f"{' or '.join(g.owners)} (for {g.assets[0]}{' and more' if len(g.assets) > 1 else ''})"
             for g in groups[:MAX_LISTED]]
    more = len(groups) - MAX_LISTED
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
