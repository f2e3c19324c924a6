"""Typed views of the parts of dbt's manifest.json the ingestor reads (schema v10..v12, dbt 1.6..1.11).

Unknown fields are ignored so that newer dbt releases still load; the loader in `artifacts` refuses
schema versions it was not written for.
"""

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_VERSION_RE = re.compile(r"/manifest/v(\d+)\.json$")


class ArtifactView(BaseModel):
    """Base of every artifact view: fields dbt adds later are ignored, not refused."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _tag_list(value: Any) -> list[str]:
    # dbt accepts a single tag as a string in YAML configs.
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


# ---- manifest -------------------------------------------------------------------------------------


class DependsOn(ArtifactView):
    nodes: list[str] = Field(default_factory=list)
    macros: list[str] = Field(default_factory=list)


class Owner(ArtifactView):
    name: str | None = None
    email: str | None = None

    def label(self) -> str | None:
        return self.email or self.name


class Constraint(ArtifactView):
    type: str
    name: str | None = None
    expression: str | None = None
    to: str | None = None
    to_columns: list[str] = Field(default_factory=list)


class ColumnConfig(ArtifactView):
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)

    _tags = field_validator("tags", mode="before")(_tag_list)


class ManifestColumn(ArtifactView):
    name: str
    description: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)
    data_type: str | None = None
    constraints: list[Constraint] = Field(default_factory=list)
    quote: bool | None = None
    tags: list[str] = Field(default_factory=list)
    config: ColumnConfig = Field(default_factory=ColumnConfig)
    granularity: str | None = None

    _tags = field_validator("tags", mode="before")(_tag_list)

    def all_meta(self) -> dict[str, Any]:
        return {**self.config.meta, **self.meta}

    def all_tags(self) -> list[str]:
        return list(dict.fromkeys([*self.tags, *self.config.tags]))


class Contract(ArtifactView):
    enforced: bool = False


class NodeConfig(ArtifactView):
    enabled: bool = True
    materialized: str | None = None
    tags: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    group: str | None = None
    access: str | None = None
    severity: str | None = None
    unique_key: str | list[str] | None = None
    incremental_strategy: str | None = None
    strategy: str | None = None
    updated_at: str | None = None
    where: str | None = None
    contract: Contract = Field(default_factory=Contract)

    _tags = field_validator("tags", mode="before")(_tag_list)


class TestMetadata(ArtifactView):
    name: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    namespace: str | None = None


class ManifestNode(ArtifactView):
    """A model, seed, snapshot, test, analysis or operation from manifest `nodes`."""

    unique_id: str
    resource_type: str
    name: str
    package_name: str = ""
    database: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    alias: str | None = None
    relation_name: str | None = None
    description: str = ""
    columns: dict[str, ManifestColumn] = Field(default_factory=dict)
    config: NodeConfig = Field(default_factory=NodeConfig)
    tags: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    group: str | None = None
    access: str | None = None
    contract: Contract | None = None
    language: str = "sql"
    raw_code: str = ""
    compiled_code: str | None = None
    original_file_path: str = ""
    depends_on: DependsOn = Field(default_factory=DependsOn)
    fqn: list[str] = Field(default_factory=list)
    version: str | int | float | None = None
    latest_version: str | int | float | None = None
    column_name: str | None = None
    attached_node: str | None = None
    test_metadata: TestMetadata | None = None
    time_spine: dict[str, Any] | None = None

    _tags = field_validator("tags", mode="before")(_tag_list)

    @property
    def identifier(self) -> str:
        return self.alias or self.name

    def all_meta(self) -> dict[str, Any]:
        return {**self.config.meta, **self.meta}

    def all_tags(self) -> list[str]:
        return list(dict.fromkeys([*self.tags, *self.config.tags]))

    @property
    def group_name(self) -> str | None:
        return self.group or self.config.group

    @property
    def access_level(self) -> str | None:
        return self.access or self.config.access

    @property
    def contract_enforced(self) -> bool:
        return bool((self.contract and self.contract.enforced) or self.config.contract.enforced)


class SourceNode(ArtifactView):
    unique_id: str
    name: str
    source_name: str
    package_name: str = ""
    database: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    identifier: str | None = None
    relation_name: str | None = None
    description: str = ""
    source_description: str = ""
    loader: str = ""
    loaded_at_field: str | None = None
    columns: dict[str, ManifestColumn] = Field(default_factory=dict)
    meta: dict[str, Any] = Field(default_factory=dict)
    source_meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    config: NodeConfig = Field(default_factory=NodeConfig)
    original_file_path: str = ""
    freshness: dict[str, Any] | None = None

    _tags = field_validator("tags", mode="before")(_tag_list)

    def all_meta(self) -> dict[str, Any]:
        return {**self.source_meta, **self.config.meta, **self.meta}

    def all_tags(self) -> list[str]:
        return list(dict.fromkeys([*self.tags, *self.config.tags]))


class Exposure(ArtifactView):
    unique_id: str
    name: str
    label: str | None = None
    type: str = ""
    owner: Owner = Field(default_factory=Owner)
    description: str = ""
    maturity: str | None = None
    url: str | None = None
    depends_on: DependsOn = Field(default_factory=DependsOn)
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    original_file_path: str = ""
    package_name: str = ""

    _tags = field_validator("tags", mode="before")(_tag_list)


class Group(ArtifactView):
    unique_id: str
    name: str
    owner: Owner = Field(default_factory=Owner)
    description: str | None = None
    package_name: str = ""
    original_file_path: str = ""


class WhereFilter(ArtifactView):
    """A metric or query filter; v10 has one template, v11+ a list of them."""

    where_sql_template: str | None = None
    where_filters: list["WhereFilter"] = Field(default_factory=list)

    def templates(self) -> list[str]:
        own = [self.where_sql_template.strip()] if self.where_sql_template else []
        return own + [t for f in self.where_filters for t in f.templates()]


class MetricInputRef(ArtifactView):
    """A measure or metric a metric reads, with its own filter, alias or time offset."""

    name: str
    filter: WhereFilter | None = None
    alias: str | None = None
    offset_window: dict[str, Any] | str | None = None
    offset_to_grain: str | None = None


class ConversionTypeParams(ArtifactView):
    base_measure: MetricInputRef
    conversion_measure: MetricInputRef
    entity: str
    calculation: str | None = None
    window: dict[str, Any] | str | None = None


class MetricTypeParams(ArtifactView):
    measure: MetricInputRef | None = None
    input_measures: list[MetricInputRef] = Field(default_factory=list)
    numerator: MetricInputRef | None = None
    denominator: MetricInputRef | None = None
    expr: str | None = None
    window: dict[str, Any] | str | None = None
    grain_to_date: str | None = None
    metrics: list[MetricInputRef] = Field(default_factory=list)
    conversion_type_params: ConversionTypeParams | None = None
    cumulative_type_params: dict[str, Any] | None = None


class Metric(ArtifactView):
    unique_id: str
    name: str
    label: str | None = None
    description: str = ""
    type: str
    type_params: MetricTypeParams = Field(default_factory=MetricTypeParams)
    filter: WhereFilter | None = None
    time_granularity: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    config: NodeConfig = Field(default_factory=NodeConfig)
    depends_on: DependsOn = Field(default_factory=DependsOn)
    group: str | None = None
    original_file_path: str = ""
    package_name: str = ""

    _tags = field_validator("tags", mode="before")(_tag_list)

    def all_meta(self) -> dict[str, Any]:
        return {**self.config.meta, **self.meta}


class NodeRelation(ArtifactView):
    alias: str
    schema_name: str
    database: str | None = None
    relation_name: str | None = None


class Entity(ArtifactView):
    name: str
    type: str
    description: str | None = None
    label: str | None = None
    role: str | None = None
    expr: str | None = None


class DimensionTypeParams(ArtifactView):
    time_granularity: str | None = None


class Dimension(ArtifactView):
    name: str
    type: str
    description: str | None = None
    label: str | None = None
    expr: str | None = None
    is_partition: bool = False
    type_params: DimensionTypeParams | None = None


class Measure(ArtifactView):
    name: str
    agg: str
    description: str | None = None
    label: str | None = None
    expr: str | int | None = None
    agg_time_dimension: str | None = None
    non_additive_dimension: dict[str, Any] | None = None


class SemanticModelDefaults(ArtifactView):
    agg_time_dimension: str | None = None


class SemanticModel(ArtifactView):
    unique_id: str
    name: str
    model: str = ""
    node_relation: NodeRelation | None = None
    description: str | None = None
    label: str | None = None
    defaults: SemanticModelDefaults | None = None
    entities: list[Entity] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    primary_entity: str | None = None
    depends_on: DependsOn = Field(default_factory=DependsOn)
    config: NodeConfig = Field(default_factory=NodeConfig)
    group: str | None = None
    original_file_path: str = ""
    package_name: str = ""


class SavedQueryParams(ArtifactView):
    metrics: list[str] = Field(default_factory=list)
    group_by: list[str] = Field(default_factory=list)
    where: WhereFilter | None = None


class SavedQuery(ArtifactView):
    unique_id: str
    name: str
    label: str | None = None
    description: str | None = None
    query_params: SavedQueryParams = Field(default_factory=SavedQueryParams)
    exports: list[dict[str, Any]] = Field(default_factory=list)
    depends_on: DependsOn = Field(default_factory=DependsOn)
    config: NodeConfig = Field(default_factory=NodeConfig)
    group: str | None = None
    tags: list[str] = Field(default_factory=list)
    original_file_path: str = ""
    package_name: str = ""

    _tags = field_validator("tags", mode="before")(_tag_list)


class UnitTest(ArtifactView):
    unique_id: str
    name: str
    model: str
    description: str = ""
    depends_on: DependsOn = Field(default_factory=DependsOn)
    given: list[dict[str, Any]] = Field(default_factory=list)
    config: NodeConfig = Field(default_factory=NodeConfig)
    original_file_path: str = ""
    package_name: str = ""


class ManifestMetadata(ArtifactView):
    dbt_schema_version: str
    dbt_version: str | None = None
    project_name: str | None = None
    adapter_type: str | None = None
    generated_at: str | None = None
    invocation_id: str | None = None


class Manifest(ArtifactView):
    metadata: ManifestMetadata
    nodes: dict[str, ManifestNode] = Field(default_factory=dict)
    sources: dict[str, SourceNode] = Field(default_factory=dict)
    exposures: dict[str, Exposure] = Field(default_factory=dict)
    metrics: dict[str, Metric] = Field(default_factory=dict)
    groups: dict[str, Group] = Field(default_factory=dict)
    semantic_models: dict[str, SemanticModel] = Field(default_factory=dict)
    saved_queries: dict[str, SavedQuery] = Field(default_factory=dict)
    unit_tests: dict[str, UnitTest] = Field(default_factory=dict)
    # dbt 1.11 user-defined functions: only their ids matter here (models may depend on them).
    functions: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @property
    def schema_version(self) -> int:
        return manifest_version(self.metadata.dbt_schema_version) or 0

    @property
    def project_name(self) -> str:
        if self.metadata.project_name:
            return self.metadata.project_name
        packages = [n.package_name for n in self.nodes.values() if n.resource_type == "model"]
        return max(set(packages), key=packages.count) if packages else "dbt"

    def known_ids(self) -> set[str]:
        return {
            *self.nodes,
            *self.sources,
            *self.exposures,
            *self.metrics,
            *self.semantic_models,
            *self.saved_queries,
            *self.unit_tests,
            *self.functions,
        }


def manifest_version(schema_url: str) -> int | None:
    """12 for `https://schemas.getdbt.com/dbt/manifest/v12.json`; None if it names no manifest schema."""
    match = _VERSION_RE.search(schema_url or "")
    return int(match.group(1)) if match else None
