"""The propose_change tool: new SQL for a model, validated, with its impact, stored for review."""

from server.proposals.propose import propose
from server.tools.context import ToolContext
from server.tools.schemas import ProposeChangeInput, ProposeChangeOutput


def propose_change(ctx: ToolContext, args: ProposeChangeInput) -> ProposeChangeOutput:
    return propose(ctx, args)
