"""The record_feedback tool: what a user taught the agent, kept for a steward to review."""

from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from server.errors import InvalidArgumentsError, NotFoundError
from server.feedback.models import FeedbackKind
from server.feedback.review import new_item
from server.search.access import search_service
from server.tools.context import ToolContext
from server.tools.refs import resolve_ref
from server.tools.schemas import RecordFeedbackInput, RecordFeedbackOutput


def record_feedback(ctx: ToolContext, args: RecordFeedbackInput) -> RecordFeedbackOutput:
    kind = FeedbackKind(args.kind)
    _check_complete(kind, args)
    target = _target(ctx, args.target, metric_only=kind is FeedbackKind.CORRECT_ANSWER)
    value_id = None
    if kind is FeedbackKind.DEPRECATE and args.value:
        replacement = resolve_ref(ctx, args.value, kinds=[target.kind])
        if replacement.id == target.id:
            raise InvalidArgumentsError(f"{args.value!r} is the deprecated asset itself, not a replacement")
        value_id = replacement.id
    item = new_item(
        ctx.principal,
        kind,
        args.target,
        target.id,
        question=args.question,
        value=args.value.strip() if args.value else None,
        value_id=value_id,
        note=args.note,
    )
    with search_service(ctx) as service:
        service.feedback.add(item)
    return RecordFeedbackOutput(feedback_id=item.feedback_id)


def _target(ctx: ToolContext, ref: str, *, metric_only: bool) -> Node:
    """Feedback is mostly about metrics: a name a metric and its measure share means the metric."""
    try:
        return resolve_ref(ctx, ref, kinds=[NodeKind.METRIC])
    except NotFoundError:
        if metric_only:
            raise
        return resolve_ref(ctx, ref)


def _check_complete(kind: FeedbackKind, args: RecordFeedbackInput) -> None:
    if kind is FeedbackKind.CORRECT_ANSWER and not (args.question or "").strip():
        raise InvalidArgumentsError("kind correct_answer needs `question`: the question `target` answers")
    if kind is FeedbackKind.SYNONYM and not (args.value or "").strip():
        raise InvalidArgumentsError("kind synonym needs `value`: the other name of `target`")
    if kind is FeedbackKind.NOTE and not ((args.note or "").strip() or (args.value or "").strip()):
        raise InvalidArgumentsError("kind note needs `note`: the text for the reviewer")
