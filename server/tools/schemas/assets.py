"""search_assets and get_asset."""

from pydantic import Field

from graph_schema.kinds import NodeKind
from server.tools.schemas.common import (
    REF_DESCRIPTION,
    AssetRef,
    ColumnInfo,
    PagedInput,
    PagedResult,
    TestInfo,
    ToolInput,
    ToolResult,
)


class SearchAssetsInput(PagedInput):
    query: str = Field(
        min_length=1,
        max_length=500,
        description=(
            "Words describing what you look for: a name, a business term or a question ('monthly revenue by region')."
        ),
    )
    kinds: list[NodeKind] | None = Field(
        default=None, description="Only these kinds (e.g. ['model', 'table']); all kinds when omitted."
    )
    limit: int = Field(default=10, ge=1, le=100, description="Most results per page.")


class AssetHit(AssetRef):
    description: str = Field(default="", description="First part of the asset's documentation.")
    score: float = Field(description="Relevance, higher is better; only comparable within one answer.")


class SearchAssetsOutput(PagedResult):
    results: list[AssetHit] = Field(description="Best matches first.")
    note: str | None = Field(default=None, description="How the results were ranked, and what that ranking cannot do.")


class GetAssetInput(ToolInput):
    ref: str = Field(min_length=1, description=REF_DESCRIPTION)


class GetAssetOutput(ToolResult):
    id: str = Field(description="Stable id of the asset.")
    kind: NodeKind
    name: str
    qualified_name: str = ""
    description: str = ""
    owners: list[str] = Field(default_factory=list, description="Owners to contact (people, teams or emails).")
    tags: list[str] = Field(default_factory=list)
    columns: list[ColumnInfo] = Field(default_factory=list, description="Columns, in warehouse order.")
    upstream: list[AssetRef] = Field(default_factory=list, description="Assets this one reads from directly.")
    downstream: list[AssetRef] = Field(default_factory=list, description="Assets that read this one directly.")
    tests: list[TestInfo] = Field(default_factory=list, description="Data tests on this asset or its columns.")
    sources: list[str] = Field(
        default_factory=list, description="Where this asset's metadata came from (dbt, catalog, openlineage, ...)."
    )
    sql: str | None = Field(default=None, description="The SQL that builds it (compiled when known), if any.")
