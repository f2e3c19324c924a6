"""The files of a Superset export (the importer's layout), as pydantic models of what the ingestor reads."""

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class SupersetDatabase(_Model):
    database_name: str
    sqlalchemy_uri: str
    uuid: UUID


class SupersetColumn(_Model):
    column_name: str
    verbose_name: str | None = None
    type: str | None = None
    is_dttm: bool = False
    groupby: bool | None = None
    filterable: bool | None = None
    expression: str | None = None
    description: str | None = None


class SupersetMetric(_Model):
    metric_name: str
    expression: str
    verbose_name: str | None = None
    metric_type: str | None = None
    description: str | None = None
    d3format: str | None = None


class SupersetDataset(_Model):
    table_name: str
    uuid: UUID
    database_uuid: UUID
    schema_: str | None = Field(default=None, alias="schema")
    sql: str | None = None
    description: str | None = None
    main_dttm_col: str | None = None
    columns: list[SupersetColumn] = Field(default_factory=list)
    metrics: list[SupersetMetric] = Field(default_factory=list)

    @property
    def virtual(self) -> bool:
        return bool(self.sql and self.sql.strip())


class SupersetChart(_Model):
    slice_name: str
    uuid: UUID
    dataset_uuid: UUID
    viz_type: str | None = None
    description: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    certified_by: str | None = None


class SupersetDashboard(_Model):
    dashboard_title: str
    uuid: UUID
    slug: str | None = None
    description: str | None = None
    published: bool | None = None
    certified_by: str | None = None
    position: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def chart_uuids(self) -> list[str]:
        out = []
        for entry in self.position.values():
            if isinstance(entry, dict) and entry.get("type") == "CHART":
                meta = entry.get("meta") or {}
                if meta.get("uuid"):
                    out.append(str(meta["uuid"]))
        return list(dict.fromkeys(out))

    def filter_targets(self) -> list[tuple[str, str, str]]:
        """(filter name, dataset uuid, column) of each native filter target."""
        out = []
        for flt in self.metadata.get("native_filter_configuration") or []:
            if not isinstance(flt, dict):
                continue
            for target in flt.get("targets") or []:
                column = (target.get("column") or {}).get("name") if isinstance(target, dict) else None
                dataset = target.get("datasetUuid") if isinstance(target, dict) else None
                if column and dataset:
                    out.append((str(flt.get("name") or flt.get("id")), str(dataset), str(column)))
        return out


class SupersetExport(_Model):
    """Every object of an export, each with the file it came from."""

    databases: list[tuple[str, SupersetDatabase]] = Field(default_factory=list)
    datasets: list[tuple[str, SupersetDataset]] = Field(default_factory=list)
    charts: list[tuple[str, SupersetChart]] = Field(default_factory=list)
    dashboards: list[tuple[str, SupersetDashboard]] = Field(default_factory=list)
