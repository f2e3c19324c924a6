"""resolve_metric."""

from typing import Literal

from pydantic import BaseModel, Field

from server.tools.schemas.common import ToolInput, ToolResult


class ResolveMetricInput(ToolInput):
    question: str = Field(
        min_length=1,
        max_length=1000,
        description="The business question or metric name in the user's words ('net revenue last quarter').",
    )
    limit: int = Field(default=3, ge=1, le=20, description="Most candidates to return when the answer is ambiguous.")
    grain: Literal["day", "week", "month", "quarter", "year"] | None = Field(
        default=None,
        description="Time grain of the generated SQL; read from the question ('monthly', 'per week') when omitted.",
    )


class MetricInfo(BaseModel):
    id: str
    name: str = Field(description="Metric name in the semantic layer.")
    label: str = Field(default="", description="Human label.")
    description: str = ""
    type: str = Field(default="", description="Metric type: simple, ratio, cumulative, derived, conversion.")
    expression: str | None = Field(default=None, description="The measure or expression it computes.")
    filter: str | None = Field(default=None, description="Filter always applied to the metric, if any.")
    time_grains: list[str] = Field(default_factory=list, description="Grains it can be queried at (day, month, ...).")
    dimensions: list[str] = Field(default_factory=list, description="Dimensions it can be grouped by.")
    source_models: list[str] = Field(default_factory=list, description="Ids of the models it is computed from.")
    owners: list[str] = Field(default_factory=list)
    certified: bool = Field(default=False, description="True when the metric is marked as certified/trusted.")
    deprecated: bool = Field(default=False, description="True when the metric should no longer be used.")
    measure: str | None = Field(default=None, description="The measure a simple or cumulative metric aggregates.")
    aggregation: str | None = Field(default=None, description="How that measure aggregates (sum, count_distinct, ...).")
    inputs: list[str] = Field(default_factory=list, description="Metrics a ratio or derived metric is computed from.")
    semantic_models: list[str] = Field(default_factory=list, description="Ids of the semantic models it reads.")
    source_columns: list[str] = Field(default_factory=list, description="Ids of the columns its measures read.")
    sql: str | None = Field(
        default=None, description="SQL computing the metric per period at `sql_grain`, in the warehouse dialect."
    )
    sql_grain: str | None = Field(default=None, description="The time grain of `sql`.")
    sql_dialect: str | None = Field(default=None, description="The SQL dialect of `sql`.")
    sql_note: str | None = Field(default=None, description="Why no SQL is given, when `sql` is null.")


class MetricCandidate(BaseModel):
    id: str
    name: str
    label: str = ""
    score: float = Field(description="How well it matches the question, 0..1.")
    reason: str = Field(description="Why it matched (name, synonym, description, ...) and what sets it apart.")
    type: str = Field(default="", description="Metric type: simple, ratio, cumulative, derived, conversion.")
    certified: bool = False
    deprecated: bool = False


class ResolveMetricOutput(ToolResult):
    status: Literal["resolved", "ambiguous", "not_found"] = Field(
        description="resolved: `metric` is the answer; ambiguous: ask the user to pick among `candidates`; "
        "not_found: no governed metric answers this question."
    )
    metric: MetricInfo | None = Field(default=None, description="The resolved metric, when status is resolved.")
    candidates: list[MetricCandidate] = Field(default_factory=list, description="Other plausible metrics, best first.")
    note: str | None = Field(
        default=None, description="How the answer was reached: a deprecated name redirected, why it is ambiguous."
    )
