"""What reflecting a database yields, before it becomes graph nodes: relations with columns and keys."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CatalogColumn(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    data_type: str
    ordinal: int
    nullable: bool | None = None
    default: str | None = None
    comment: str | None = None


class ForeignKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str | None = None
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]


class Relation(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_name: str
    name: str
    kind: Literal["table", "view", "materialized_view"]
    comment: str | None = None
    columns: tuple[CatalogColumn, ...] = ()
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    definition: str | None = Field(default=None, description="The SQL of a view, as the database keeps it.")


class CatalogSnapshot(BaseModel):
    """Everything read from one database, with how to name it."""

    platform: str
    authority: str | None
    database: str
    dialect: str
    default_schema: str | None = None
    # DuckDB binds a view's unqualified table names in the view's own schema, PostgreSQL in the search path
    views_bind_in_own_schema: bool = False
    relations: tuple[Relation, ...] = ()
