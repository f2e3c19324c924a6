"""The record_feedback tool."""

from server.tools.context import ToolContext
from server.tools.schemas import RecordFeedbackInput, RecordFeedbackOutput


def record_feedback(ctx: ToolContext, args: RecordFeedbackInput) -> RecordFeedbackOutput:
    # Plan: store the feedback as pending_review with ctx.principal.name.
    raise NotImplementedError("record_feedback needs the GraphStore read API")
