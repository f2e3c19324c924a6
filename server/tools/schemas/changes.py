"""propose_change, review_proposal and recent_changes."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from server.tools.schemas.common import REF_DESCRIPTION, PagedInput, PagedResult, ToolInput, ToolResult
from server.tools.schemas.lineage import ChangeSpec, ImpactReport


class ProposeChangeInput(ToolInput):
    ref: str = Field(min_length=1, description=REF_DESCRIPTION + " It must be a model (an asset built by SQL).")
    new_sql: str = Field(min_length=1, max_length=200_000, description="The complete new SQL of the model.")
    title: str = Field(min_length=1, max_length=200, description="One line saying what the change does.")
    rationale: str = Field(min_length=1, max_length=5000, description="Why the change is needed, for the reviewer.")


class RetypedColumn(BaseModel):
    name: str
    old_type: str | None = None
    new_type: str | None = None


class RenamedColumn(BaseModel):
    old_name: str
    new_name: str


class LogicChange(BaseModel):
    kind: Literal["filter", "join", "group_by"] = Field(description="Which row-shaping clauses changed.")
    removed: list[str] = Field(default_factory=list, description="Clauses (SQL) the new SQL no longer has.")
    added: list[str] = Field(default_factory=list, description="Clauses (SQL) the new SQL adds.")


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
    columns_renamed: list[RenamedColumn] = Field(
        default_factory=list,
        description="Removed and added columns computed the same way: renames (also listed as removed and added).",
    )
    columns_rederived: list[str] = Field(
        default_factory=list, description="Columns kept under their name but computed differently."
    )
    logic_changes: list[LogicChange] = Field(
        default_factory=list, description="Filters, joins or groupings that changed, read from the SQL."
    )
    warnings: list[str] = Field(default_factory=list, description="What the validation could not check, and why.")


class SuggestedTest(BaseModel):
    test: str = Field(description="Test to add, e.g. not_null, unique, accepted_values.")
    column: str | None = None
    reason: str = ""
    arguments: dict[str, JsonValue] = Field(
        default_factory=dict, description="The test's arguments as the model's YAML takes them (values, to, field)."
    )


class ProposeChangeOutput(ToolResult):
    proposal_id: str = Field(description="Id to quote to a reviewer (review_proposal).")
    status: Literal["pending_review"] = "pending_review"
    diff: str = Field(description="Unified diff of the model's SQL.")
    validation: Validation
    impact: ImpactReport | None = Field(default=None, description="Downstream impact of the change.")
    suggested_tests: list[SuggestedTest] = Field(default_factory=list)
    target: str = Field(default="", description="Id of the model or view the proposal changes.")
    changes: list[ChangeSpec] = Field(
        default_factory=list, description="The changes read from the SQL diff; `impact` covers all of them."
    )


class ReviewProposalInput(ToolInput):
    proposal_id: str = Field(min_length=1, description="Id returned by propose_change.")
    decision: Literal["approve", "reject"] = Field(description="approve to accept the change, reject to refuse it.")
    comment: str = Field(min_length=1, max_length=5000, description="The reviewer's reasoning, kept with the proposal.")


ProposalStatus = Literal["pending_review", "approved", "rejected"]


class OwnerApproval(BaseModel):
    """Assets the change breaks that share owners: with the policy's owner rule, one of them must approve."""

    owners: list[str]
    assets: list[str] = Field(description="Ids of the broken assets these owners own.")


class ReviewRecord(BaseModel):
    decision: Literal["approve", "reject"]
    reviewer: str
    role: str
    at: datetime
    comment: str


class ExportRecord(BaseModel):
    kind: Literal["git", "patch"]
    by: str
    at: datetime
    location: str = Field(description="The patch file, or the git working tree.")
    branch: str | None = None
    commit: str | None = None


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
    target_name: str = ""
    target_kind: Literal["dbt_model", "view"] = "dbt_model"
    file_path: str = Field(default="", description="The model's file in its dbt project (or a name for a view).")
    dialect: str = ""
    base_sql: str = Field(default="", description="The SQL the proposal changes, as the graph had it.")
    proposed_role: str = ""
    changes: list[ChangeSpec] = Field(default_factory=list)
    impact: ImpactReport | None = None
    suggested_tests: list[SuggestedTest] = Field(default_factory=list)
    owner_approvals: list[OwnerApproval] = Field(
        default_factory=list, description="Owners of the broken assets (the policy may want one of each to approve)."
    )
    approvals_missing: list[OwnerApproval] = Field(
        default_factory=list, description="Owner approvals the policy still waits for before the proposal is approved."
    )
    reviews: list[ReviewRecord] = Field(default_factory=list, description="Every decision, oldest first.")
    exports: list[ExportRecord] = Field(default_factory=list)


class ReviewProposalOutput(Proposal, ToolResult):
    pass


class RecentChangesInput(PagedInput):
    ref: str = Field(min_length=1, description=REF_DESCRIPTION)
    limit: int = Field(default=50, ge=1, le=500, description="Most changes per page.")
    scope: Literal["upstream", "self"] = Field(
        default="upstream", description="self: changes to this asset only; upstream: also to everything it reads from."
    )
    since: datetime | None = Field(
        default=None,
        description="Only changes at or after this time (ISO 8601, e.g. '2024-06-01' or '2024-06-01T12:00:00Z').",
    )
    depth: int = Field(default=10, ge=1, le=30, description="With scope 'upstream': how many hops upstream to look.")


class ChangeRecord(BaseModel):
    asset: str = Field(description="Id of the asset that changed.")
    change: str = Field(description="What changed: added, removed, sql_changed, column_added, column_removed, ...")
    at: datetime = Field(description="When the change was seen (ingestion time).")
    details: dict[str, JsonValue] = Field(default_factory=dict)
    asset_name: str = Field(default="", description="Name of the asset that changed.")
    asset_kind: str = Field(default="", description="Kind of the asset that changed (model, metric, ...).")
    distance: int = Field(default=0, description="Hops upstream of the asked-about asset (0: the asset itself).")
    run_id: str = Field(default="", description="The ingestion run that saw the change.")
    source: str = Field(default="", description="What that run ingested (e.g. dbt:shop).")
    summary: str = Field(default="", description="The change in one line.")
    diff: str | None = Field(default=None, description="Readable diff: unified diff of SQL, or before -> after.")


class RecentChangesOutput(PagedResult):
    changes: list[ChangeRecord] = Field(default_factory=list, description="Newest first.")
    root: str | None = Field(default=None, description="Id of the asset asked about.")
    assets_watched: int = Field(default=0, description="How many assets the answer looked at (the asset and upstream).")
    notes: list[str] = Field(default_factory=list)
