"""Recording feedback and deciding on it.

Anyone allowed `record_feedback` may submit; an item changes answers only once a reviewer approves it.
Reviewing needs the reviewer permission of the policy (`review_proposal`, which stewards hold), and nobody
reviews their own item. Every review, allowed or refused, is one audit entry like a tool call.
"""

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from server.errors import PermissionDeniedError, ToolCallError
from server.feedback.errors import FeedbackNotFoundError, FeedbackReviewError
from server.feedback.models import FeedbackItem, FeedbackKind, FeedbackStatus, Review
from server.feedback.store import FeedbackStore
from server.governance.audit import AuditLog
from server.governance.audit_models import AuditRecord, utc_now
from server.governance.policy import Policy
from server.governance.principal import Principal
from server.tools.names import ToolName

# The policy permission that lets a role decide on feedback, as it decides on change proposals.
REVIEW_PERMISSION = ToolName.REVIEW_PROPOSAL
# How a review appears in the audit log.
REVIEW_AUDIT_TOOL = "review_feedback"

Decision = Literal["approve", "reject"]


def new_feedback_id() -> str:
    return f"fb-{uuid.uuid4().hex[:12]}"


def new_item(
    principal: Principal,
    kind: FeedbackKind,
    target: str,
    target_id: str,
    *,
    question: str | None = None,
    value: str | None = None,
    value_id: str | None = None,
    note: str | None = None,
    now: Callable[[], datetime] = utc_now,
) -> FeedbackItem:
    return FeedbackItem(
        feedback_id=new_feedback_id(),
        kind=kind,
        target=target,
        target_id=target_id,
        question=question,
        value=value,
        value_id=value_id,
        note=note,
        submitted_by=principal.name,
        submitted_role=principal.role,
        submitted_at=now(),
    )


def review_feedback(
    store: FeedbackStore,
    policy: Policy,
    audit: AuditLog,
    reviewer: Principal,
    feedback_id: str,
    decision: Decision,
    comment: str | None = None,
    *,
    transport: str = "cli",
    now: Callable[[], datetime] = utc_now,
) -> FeedbackItem:
    """Approve or reject a pending item; the decision (or its refusal) is audited before anything returns."""
    started = time.perf_counter()
    arguments = {"feedback_id": feedback_id, "decision": decision, "comment": comment}
    try:
        item = _decide(store, policy, reviewer, feedback_id, decision, comment, now)
    except ToolCallError as exc:
        denied = isinstance(exc, PermissionDeniedError)
        _audit(audit, reviewer, transport, arguments, "denied" if denied else "allowed",
               "denied" if denied else "error", str(exc), started)
        raise
    _audit(audit, reviewer, transport, arguments, "allowed", "ok", None, started)
    return item


def _decide(
    store: FeedbackStore,
    policy: Policy,
    reviewer: Principal,
    feedback_id: str,
    decision: Decision,
    comment: str | None,
    now: Callable[[], datetime],
) -> FeedbackItem:
    if not policy.check(reviewer, REVIEW_PERMISSION).allowed:
        raise PermissionDeniedError(
            f"role '{reviewer.role}' may not review feedback; it needs the '{REVIEW_PERMISSION}' permission"
        )
    item = store.get(feedback_id)
    if item is None:
        raise FeedbackNotFoundError(f"no feedback item {feedback_id!r}; list them with `datagraph feedback list`")
    if item.submitted_by == reviewer.name:
        raise FeedbackReviewError(f"{reviewer.name} submitted {feedback_id} and cannot review it; ask another steward")
    if item.status is not FeedbackStatus.PENDING_REVIEW:
        raise FeedbackReviewError(f"{feedback_id} was {item.status.value} by {item.reviewed_by} already")
    status = FeedbackStatus.APPROVED if decision == "approve" else FeedbackStatus.REJECTED
    review = Review(feedback_id=feedback_id, status=status, reviewer=reviewer.name, at=now(), comment=comment)
    if not store.review(review):
        raise FeedbackReviewError(f"{feedback_id} was decided by someone else meanwhile")
    decided = store.get(feedback_id)
    if decided is None:  # removed under us: the store is not what it claims
        raise FeedbackNotFoundError(f"feedback item {feedback_id!r} vanished while it was reviewed")
    return decided


def _audit(
    audit: AuditLog,
    reviewer: Principal,
    transport: str,
    arguments: dict[str, str | None],
    decision: Literal["allowed", "denied"],
    outcome: Literal["ok", "error", "denied"],
    error: str | None,
    started: float,
) -> None:
    audit.append(
        AuditRecord(
            principal=reviewer.name,
            role=reviewer.role,
            transport=transport,
            tool=REVIEW_AUDIT_TOOL,
            arguments=arguments,
            decision=decision,
            outcome=outcome,
            error=error,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
    )
