"""What the lineage of one SQL statement is: output columns with their sources, row-shaping columns, tables."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph_schema.kinds import Transformation

# How sure the engine is that a source column is the one the SQL reads.
RESOLVED = 1.0  # qualified in the SQL, known from the schema or the only possible source
GUESSED = 0.7  # unqualified, several sources of unknown columns could hold it
UNRESOLVED = 0.3  # a star over a source whose columns are unknown

SHAPING_ROLES: frozenset[Transformation] = frozenset(
    {Transformation.FILTER, Transformation.JOIN, Transformation.GROUP_BY}
)


class ColumnSource(BaseModel):
    """One table column whose values flow into an output column.

    `column` is `*` when a star over a table of unknown columns was not expanded. `expression` is the SQL
    of the innermost expression that transforms the column (absent when it is carried over as is).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str
    column: str
    transformation: Transformation
    expression: str | None = None
    confidence: float = Field(default=RESOLVED, ge=0.0, le=1.0)

    @field_validator("transformation")
    @classmethod
    def _value_transformation(cls, value: Transformation) -> Transformation:
        if value in SHAPING_ROLES:
            raise ValueError(f"{value.value} is a row-shaping role, not a value transformation")
        return value


class OutputColumn(BaseModel):
    """A column the statement produces; `*` stands for the columns of a star that could not be expanded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    sources: list[ColumnSource]


class ShapingColumn(BaseModel):
    """A table column that decides which rows exist (WHERE/HAVING/QUALIFY, JOIN keys, GROUP BY).

    Listed whether or not the same column also feeds values: value lineage lives in `columns`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str
    column: str
    role: Transformation
    confidence: float = Field(default=RESOLVED, ge=0.0, le=1.0)

    @field_validator("role")
    @classmethod
    def _shaping_role(cls, value: Transformation) -> Transformation:
        if value not in SHAPING_ROLES:
            raise ValueError(f"{value.value} is not a row-shaping role (filter, join, group_by)")
        return value


class TableRefs(BaseModel):
    """Tables read and written, named as written in the SQL or resolved with the default catalog/db."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    read: list[str] = Field(default_factory=list)
    write: list[str] = Field(default_factory=list)


class QueryLineage(BaseModel):
    """Column lineage of one SQL statement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dialect: str
    statement: str = Field(description="select, insert, create, merge, update or delete")
    columns: list[OutputColumn]
    row_shaping: list[ShapingColumn]
    tables: TableRefs

    def to_json(self) -> dict[str, Any]:
        """The shape `datagraph sql lineage` prints: columns, tables, plus row_shaping."""
        return {
            "columns": [
                {
                    "name": col.name,
                    "sources": [src.model_dump(mode="json", exclude_none=True) for src in col.sources],
                }
                for col in self.columns
            ],
            "tables": self.tables.model_dump(mode="json"),
            "row_shaping": [shape.model_dump(mode="json") for shape in self.row_shaping],
        }
