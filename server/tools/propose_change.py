"""The propose_change tool."""

from server.tools.context import ToolContext
from server.tools.schemas import ProposeChangeInput, ProposeChangeOutput


def propose_change(ctx: ToolContext, args: ProposeChangeInput) -> ProposeChangeOutput:
    # Plan: validate args.new_sql, diff against the model SQL, run impact, store the proposal with
    #   proposed_by=ctx.principal.name.
    raise NotImplementedError("propose_change needs the GraphStore read API")
