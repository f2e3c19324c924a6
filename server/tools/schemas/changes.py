"""propose_change, review_proposal and recent_changes."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from server.tools.schemas.common import REF_DESCRIPTION, ToolInput, ToolResult
from server.tools.schemas.lineage import ImpactReport


class ProposeChangeInput(ToolInput):
    ref: str = Field(min_length=1, description=REF_DESCRIPTION + " It must be a model (an asset built by SQL).")
    new_sql: str = Field(min_length=1, max_length=200_000, description="The complete new SQL of the model.")
    title: str = Field(min_length=1, max_length=200, description="One line saying what the change does.")
    rationale: str = Field(min_length=1, max_length=5000, description="Why the change is needed, for the reviewer.")


class RetypedColumn(BaseModel):
    name: str
    old_type: str | None = None
    new_type: str | None = None


class Validation(BaseModel):
    parses: bool = Field(description="Whether the new SQL parses in the model's dialect.")
    errors: list[str] = Field(default_factory=list, description="Parse or validation errors.")
    columns_added: list[str] = Field(default_factory=list)
    columns_removed: list[str] = Field(default_factory=list)
    columns_retyped: list[RetypedColumn] = Field(default_factory=list)
    contract_violations: list[str] = Field(
        default_factory=list,
        description="Broken promises: enforced contracts, tested columns, columns used downstream.",
    )


class SuggestedTest(BaseModel):
    test: str = Field(description="Test to add, e.g. not_null, unique, accepted_values.")
    column: str | None = None
    reason: str = ""


class ProposeChangeOutput(ToolResult):
    proposal_id: str = Field(description="Id to quote to a reviewer (review_proposal).")
    status: Literal["pending_review"] = "pending_review"
    diff: str = Field(description="Unified diff of the model's SQL.")
    validation: Validation
    impact: ImpactReport | None = Field(default=None, description="Downstream impact of the change.")
    suggested_tests: list[SuggestedTest] = Field(default_factory=list)


class ReviewProposalInput(ToolInput):
    proposal_id: str = Field(min_length=1, description="Id returned by propose_change.")
    decision: Literal["approve", "reject"] = Field(description="approve to accept the change, reject to refuse it.")
    comment: str = Field(min_length=1, max_length=5000, description="The reviewer's reasoning, kept with the proposal.")


ProposalStatus = Literal["pending_review", "approved", "rejected"]


class Proposal(BaseModel):
    proposal_id: str
    target: str = Field(description="Id of the model the proposal changes.")
    title: str
    rationale: str
    new_sql: str
    diff: str = ""
    status: ProposalStatus
    proposed_by: str = Field(description="Principal who proposed it.")
    proposed_at: datetime
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_comment: str | None = None
    validation: Validation | None = None


class ReviewProposalOutput(Proposal, ToolResult):
    pass


class RecentChangesInput(ToolInput):
    ref: str = Field(min_length=1, description=REF_DESCRIPTION)
    scope: Literal["upstream", "self"] = Field(
        default="upstream", description="self: changes to this asset only; upstream: also to everything it reads from."
    )
    since: datetime | None = Field(
        default=None,
        description="Only changes at or after this time (ISO 8601, e.g. '2024-06-01' or '2024-06-01T12:00:00Z').",
    )


class ChangeRecord(BaseModel):
    asset: str = Field(description="Id of the asset that changed.")
    change: str = Field(description="What changed: added, removed, sql_changed, column_added, column_removed, ...")
    at: datetime = Field(description="When the change was seen (ingestion time).")
    details: dict[str, JsonValue] = Field(default_factory=dict)


class RecentChangesOutput(ToolResult):
    changes: list[ChangeRecord] = Field(default_factory=list, description="Newest first.")
