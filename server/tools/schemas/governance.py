"""audit_log and record_feedback."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from server.governance.audit_models import AuditEntry
from server.tools.schemas.common import ToolInput, ToolResult


class AuditLogInput(ToolInput):
    principal: str | None = Field(default=None, description="Only calls by this principal.")
    tool: str | None = Field(default=None, description="Only calls of this tool.")
    since: datetime | None = Field(default=None, description="Only calls at or after this time (ISO 8601).")
    limit: int = Field(default=50, ge=1, le=500, description="Most entries to return (newest first).")
    cursor: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="`next_cursor` of the previous page, to read older entries."
    )


class AuditLogOutput(ToolResult):
    entries: list[AuditEntry] = Field(default_factory=list, description="Newest first.")
    next_cursor: int | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page; null at the end."
    )


class RecordFeedbackInput(ToolInput):
    kind: Literal["correct_answer", "synonym", "deprecate", "note"] = Field(
        description="correct_answer: the right answer to `question` is `target`; synonym: `value` is another name "
        "for `target`; deprecate: `target` should no longer be used; note: free text about `target`."
    )
    target: str = Field(min_length=1, max_length=1024, description="Id or name of the asset or metric concerned.")
    question: str | None = Field(default=None, max_length=2000, description="The user's question, for correct_answer.")
    value: str | None = Field(
        default=None, max_length=2000, description="The synonym, or the replacement for deprecate."
    )
    note: str | None = Field(default=None, max_length=5000, description="Free text for the reviewer.")


class RecordFeedbackOutput(ToolResult):
    feedback_id: str
    status: Literal["pending_review"] = "pending_review"
