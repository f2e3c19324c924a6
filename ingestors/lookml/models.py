"""The parts of a LookML project the ingestor reads, after includes, extends and refinements are applied."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FieldKind = Literal["dimension", "dimension_group", "measure", "filter", "parameter"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class LookmlField(_Model):
    name: str
    kind: FieldKind
    type: str | None = None
    sql: str | None = None
    sql_start: str | None = None
    sql_end: str | None = None
    label: str | None = None
    description: str | None = None
    hidden: bool = False
    primary_key: bool = False
    timeframes: tuple[str, ...] = ()
    intervals: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    value_format_name: str | None = None


class LookmlView(_Model):
    name: str
    file: str
    sql_table_name: str | None = None
    derived_sql: str | None = None
    # native derived table: (explore, [(column, field reference)])
    explore_source: tuple[str, tuple[tuple[str, str], ...]] | None = None
    label: str | None = None
    description: str | None = None
    abstract: bool = False
    fields: tuple[LookmlField, ...] = ()


class LookmlJoin(_Model):
    name: str
    view: str
    type: str | None = None
    relationship: str | None = None
    sql_on: str | None = None


class LookmlExplore(_Model):
    name: str
    model: str
    file: str
    view: str
    label: str | None = None
    description: str | None = None
    hidden: bool = False
    joins: tuple[LookmlJoin, ...] = ()

    def aliases(self) -> dict[str, str]:
        """{name a field reference uses: view it means} within this explore."""
        return {self.name: self.view, **{j.name: j.view for j in self.joins}}


class LookmlModel(_Model):
    name: str
    file: str
    connection: str | None = None
    includes: tuple[str, ...] = ()


class DashboardFilter(_Model):
    name: str
    title: str | None = None
    model: str | None = None
    explore: str | None = None
    field: str | None = None


class DashboardElement(_Model):
    name: str
    title: str | None = None
    type: str | None = None
    model: str | None = None
    explore: str | None = None
    fields: tuple[str, ...] = ()
    pivots: tuple[str, ...] = ()
    sorts: tuple[str, ...] = ()
    filters: dict[str, Any] = Field(default_factory=dict)
    listen: dict[str, str] = Field(default_factory=dict)


class LookmlDashboard(_Model):
    name: str
    file: str
    title: str | None = None
    description: str | None = None
    layout: str | None = None
    elements: tuple[DashboardElement, ...] = ()
    filters: tuple[DashboardFilter, ...] = ()


class LookmlProject(_Model):
    name: str
    models: tuple[LookmlModel, ...] = ()
    views: tuple[LookmlView, ...] = ()
    explores: tuple[LookmlExplore, ...] = ()
    dashboards: tuple[LookmlDashboard, ...] = ()
    # view name -> names of the models that include its file
    view_models: dict[str, tuple[str, ...]] = Field(default_factory=dict)
