"""How OpenLineage events are projected."""

from pydantic import BaseModel, ConfigDict, Field


class OpenLineageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    runs_kept: int = Field(default=10, ge=1, le=1000,
                           description="Runs per job kept as run nodes; older runs stay in the event log only.")
