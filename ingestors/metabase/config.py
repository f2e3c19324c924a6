"""What a Metabase ingestion needs besides the export file."""

from pydantic import BaseModel, ConfigDict, Field


class MetabaseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    instance: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]+$",
                                 description="Name of the Metabase instance (default: the file's `instance`, "
                                             "else `metabase`); part of every node id and of the source.")
    include_archived: bool = Field(default=False, description="Also ingest archived cards and dashboards.")
