"""Feedback on answers: what someone said, about which asset, and what a steward decided."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FeedbackKind(StrEnum):
    CORRECT_ANSWER = "correct_answer"  # for `question`, the answer is `target`
    SYNONYM = "synonym"  # `value` is another name of `target`
    DEPRECATE = "deprecate"  # `target` should not be used; `value` may name its replacement
    NOTE = "note"  # free text about `target`; changes no answer


class FeedbackStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class FeedbackItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    feedback_id: str
    kind: FeedbackKind
    target: str = Field(description="The target as the submitter named it.")
    target_id: str = Field(description="The node id the target resolved to when it was recorded.")
    question: str | None = None
    value: str | None = None
    value_id: str | None = Field(default=None, description="For deprecate: the node id of the replacement.")
    note: str | None = None
    submitted_by: str
    submitted_role: str
    submitted_at: datetime
    status: FeedbackStatus = FeedbackStatus.PENDING_REVIEW
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_comment: str | None = None


class Review(BaseModel):
    model_config = ConfigDict(frozen=True)

    feedback_id: str
    status: FeedbackStatus
    reviewer: str
    at: datetime
    comment: str | None = None
