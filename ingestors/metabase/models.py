"""The Metabase export file: what Metabase's REST API serves, gathered in one JSON document.

    {
      "instance": "metabase.example.com",            # optional: names the instance in ids
      "databases": [ GET /api/database/:id/metadata, ... ],   # engine, details, tables with fields
      "cards":     [ GET /api/card/:id, ... ],                # questions, models, metrics
      "dashboards":[ GET /api/dashboard/:id, ... ]            # with dashcards (or ordered_cards)
    }

The databases' table and field metadata is what MBQL's numeric `source-table` and field ids refer to,
and what gives native SQL its connection (engine and details name the warehouse).
"""

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class MbField(_Model):
    id: int
    name: str
    display_name: str | None = None
    base_type: str | None = None
    database_type: str | None = None
    semantic_type: str | None = None
    description: str | None = None


class MbTable(_Model):
    id: int
    name: str
    schema_: str | None = Field(default=None, alias="schema")
    display_name: str | None = None
    description: str | None = None
    fields: list[MbField] = Field(default_factory=list)


class MbDatabase(_Model):
    id: int
    name: str
    engine: str
    details: dict[str, Any] = Field(default_factory=dict)
    tables: list[MbTable] = Field(default_factory=list)


class NativeQuery(_Model):
    query: str
    template_tags: dict[str, dict[str, Any]] = Field(default_factory=dict, alias="template-tags")


class DatasetQuery(_Model):
    type: Literal["native", "query"]
    database: int | None = None
    native: NativeQuery | None = None
    query: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _has_its_query(self) -> "DatasetQuery":
        if self.type == "native" and self.native is None:
            raise ValueError("a native query needs `native` with its `query`")
        if self.type == "query" and self.query is None:
            raise ValueError("an MBQL query needs `query`")
        return self


class MbCard(_Model):
    id: int
    name: str
    dataset_query: DatasetQuery
    description: str | None = None
    display: str | None = None
    type: str = "question"
    database_id: int | None = None
    collection_id: int | None = None
    archived: bool = False


class MbDashcard(_Model):
    id: int | None = None
    card_id: int | None = None
    parameter_mappings: list[dict[str, Any]] = Field(default_factory=list)


class MbDashboard(_Model):
    id: int
    name: str
    description: str | None = None
    archived: bool = False
    collection_id: int | None = None
    parameters: list[dict[str, Any]] = Field(default_factory=list)
    # Metabase before 0.47 calls them ordered_cards
    dashcards: list[MbDashcard] = Field(default_factory=list,
                                        validation_alias=AliasChoices("dashcards", "ordered_cards"))


class MetabaseExport(_Model):
    instance: str | None = None
    databases: list[MbDatabase] = Field(default_factory=list)
    cards: list[MbCard] = Field(default_factory=list)
    dashboards: list[MbDashboard] = Field(default_factory=list)
