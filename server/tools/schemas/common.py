"""Pieces shared by several tools' inputs and outputs."""

from pydantic import BaseModel, ConfigDict, Field

from graph_schema.kinds import NodeKind

REF_DESCRIPTION = (
    "The asset to look at: its id (e.g. 'dataset:duckdb://shop/main.orders'), its qualified name "
    "('db.schema.table'), or a short name ('orders') when only one asset has it. An unknown or ambiguous "
    "ref is an error that lists candidates; pick one of their ids and call again."
)


class ToolInput(BaseModel):
    """Base of every tool's arguments: unknown arguments are rejected so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class ToolResult(BaseModel):
    """Base of every tool's result: says whether the answer was cut to fit the size budget."""

    truncated: bool = Field(
        default=False,
        description=(
            "True when the answer was cut (depth, result limit or size budget); narrow the question to see the rest."
        ),
    )
    truncation_note: str | None = Field(default=None, description="What was cut and why, when `truncated` is true.")


class PagedInput(ToolInput):
    """Arguments of a tool whose main list comes in pages; each tool sets its own `limit` bounds."""

    limit: int = Field(default=10, ge=1, le=100, description="Most items per page.")
    cursor: str | None = Field(
        default=None,
        max_length=200,
        description="`next_cursor` of the previous answer, with the same other arguments, to get the next page.",
    )


class PagedResult(ToolResult):
    """Result of a paged tool: the server cuts the main list to `limit` items and says how to get the rest."""

    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` (same other arguments) for the next page; null on the last page."
    )


class AssetRef(BaseModel):
    """A short pointer to another asset."""

    id: str = Field(description="Stable id; pass it as `ref` to other tools.")
    kind: NodeKind = Field(description="What the asset is (model, table, dashboard, metric, ...).")
    name: str = Field(description="Short name.")
    qualified_name: str = Field(default="", description="Fully qualified name (db.schema.table) when it has one.")


class ColumnInfo(BaseModel):
    name: str = Field(description="Column name as the warehouse spells it.")
    data_type: str | None = Field(default=None, description="Warehouse data type, when known.")
    description: str = Field(default="", description="Documentation of the column ('[masked: pii]' when hidden).")
    tags: list[str] = Field(default_factory=list, description="Tags such as 'pii'.")


class TestInfo(BaseModel):
    id: str = Field(description="Id of the data test.")
    name: str = Field(description="Test name (e.g. not_null_orders_order_id).")
    column: str | None = Field(default=None, description="The column it tests, if any.")
    test_type: str | None = Field(default=None, description="Generic test type (not_null, unique, ...) when known.")
    status: str | None = Field(default=None, description="Last run status (pass, fail, warn, error) when known.")
