"""What a catalog ingestion reads: a SQLAlchemy URL and which schemas to take."""

from pydantic import BaseModel, ConfigDict, Field


class CatalogConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="SQLAlchemy URL of the database, e.g. duckdb:///shop.duckdb, postgresql://h/db.")
    schemas: tuple[str, ...] = Field(default=(), description="Only these schemas (all when empty).")
    exclude_schemas: tuple[str, ...] = Field(default=(), description="Never these schemas.")
    view_lineage: bool = Field(default=True, description="Parse view definitions for column lineage.")

    def wants(self, schema: str) -> bool:
        if schema in self.exclude_schemas:
            return False
        return not self.schemas or schema in self.schemas
