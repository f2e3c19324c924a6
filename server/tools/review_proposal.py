"""The review_proposal tool."""

from server.tools.context import ToolContext
from server.tools.schemas import ReviewProposalInput, ReviewProposalOutput


def review_proposal(ctx: ToolContext, args: ReviewProposalInput) -> ReviewProposalOutput:
    # Plan: load the proposal; refuse when ctx.principal.name is its proposer; set the status.
    raise NotImplementedError("review_proposal needs the GraphStore read API")
