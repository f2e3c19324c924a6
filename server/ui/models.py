"""What the governance page's JSON reads take (query parameters) and what its session answer says."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.governance.audit_models import Outcome
from server.tools.schemas.common import ToolInput
from server.tools.schemas.changes import ProposalStatus


class AuditFilter(ToolInput):
    principal: str | None = Field(default=None, min_length=1, max_length=256, description="Only calls by this caller.")
    tool: str | None = Field(default=None, min_length=1, max_length=128, description="Only calls of this tool.")
    outcome: Outcome | None = None
    since: datetime | None = Field(default=None, description="Only entries at or after this time.")
    until: datetime | None = Field(default=None, description="Only entries before this time.")
    limit: int = Field(default=50, ge=1, le=500)
    cursor: int | None = Field(default=None, ge=1, le=2**63 - 1, description="next_cursor of the previous page.")


class ProposalFilter(ToolInput):
    status: ProposalStatus | Literal["all"] = "pending_review"
    limit: int = Field(default=50, ge=1, le=500)


class NoArguments(ToolInput):
    pass


class Session(BaseModel):
    """Who the token belongs to and which of the page's sections the policy lets them use."""

    principal: str
    role: str
    auth: str
    may: dict[str, bool] = Field(description="Permission name -> whether the role has it.")
