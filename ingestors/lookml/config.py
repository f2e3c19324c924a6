"""What a LookML ingestion needs besides the project folder: where its connections point."""

from pydantic import BaseModel, ConfigDict, Field


class LookmlConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str | None = Field(default=None, description="Project name (default: manifest.lkml, else the folder).")
    connections: dict[str, str] = Field(
        default_factory=dict, description="LookML connection name -> SQLAlchemy URL of the warehouse it reads."
    )
    default_connection: str | None = Field(default=None, description="URL for connections not listed.")

    def url_for(self, connection: str | None) -> str | None:
        if connection is not None and connection in self.connections:
            return self.connections[connection]
        return self.default_connection
