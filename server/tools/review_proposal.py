"""The review_proposal tool: approve or reject a pending proposal (never one's own)."""

from server.proposals.review import review
from server.proposals.store import proposal_store
from server.tools.context import ToolContext
from server.tools.schemas import ReviewProposalInput, ReviewProposalOutput


def review_proposal(ctx: ToolContext, args: ReviewProposalInput) -> ReviewProposalOutput:
    with proposal_store(ctx.settings) as store:
        proposal = review(store, ctx.policy, ctx.principal, args.proposal_id, args.decision, args.comment)
    return ReviewProposalOutput(**proposal.model_dump())
