"""What a Superset ingestion needs besides the export: which Superset instance it came from."""

from pydantic import BaseModel, ConfigDict, Field


class SupersetConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    instance: str = Field(default="superset", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$",
                          description="Name of the Superset instance; part of every node id and of the source.")
