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


class MetricCandidate(BaseModel):
    id: str
    name: str
    label: str = ""
    score: float = Field(description="How well it matches the question, 0..1.")
    reason: str = Field(description="Why it matched (name, synonym, description, ...).")


class ResolveMetricOutput(ToolResult):
    status: Literal["resolved", "ambiguous", "not_found"] = Field(
        description="resolved: `metric` is the answer; ambiguous: ask the user to pick among `candidates`; "
        "not_found: no governed metric answers this question."
    )
    metric: MetricInfo | None = Field(default=None, description="The resolved metric, when status is resolved.")
    candidates: list[MetricCandidate] = Field(default_factory=list, description="Other plausible metrics, best first.")
