"""Settings: environment (prefix DATAGRAPH_) over `datagraph.toml` in the working folder over defaults."""

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from graph_schema.errors import ConfigError

CONFIG_FILE = "datagraph.toml"

GRAPH_URI_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")
QDRANT_URL_SCHEMES = ("http://", "https://")
AUDIT_URL_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATAGRAPH_", toml_file=CONFIG_FILE, extra="ignore")

    home: Path = Field(
        default=Path(".datagraph"),
        description="Folder of the embedded graph, the local vector index, the audit log (with proposals and "
                    "feedback) and the OpenLineage event log; a command's `--home DIR` overrides it.",
    )
    graph_uri: str | None = Field(
        default=None,
        description=f"Unset: the embedded graph (LadybugDB) in home. A URL starting with "
                    f"{', '.join(GRAPH_URI_SCHEMES)}: that Neo4j server.",
    )
    neo4j_user: str = Field(default="neo4j", description="Neo4j user name (used when graph_uri is set).")
    neo4j_password: SecretStr = Field(
        default=SecretStr("neo4j"),
        description="Password of the Neo4j user (used when graph_uri is set); masked when settings are printed.",
    )
    neo4j_database: str = Field(default="neo4j", description="Neo4j database that holds the graph.")
    qdrant_url: str | None = Field(
        default=None,
        description=f"Unset: Qdrant local mode in home. A URL starting with {' or '.join(QDRANT_URL_SCHEMES)}: "
                    "that Qdrant server.",
    )
    audit_url: str | None = Field(
        default=None,
        description=f"Unset: a SQLite file in home. A URL starting with {', '.join(AUDIT_URL_SCHEMES)}: that "
                    "PostgreSQL database. Holds the audit log, change proposals and feedback.",
    )
    policy: Path | None = Field(
        default=None,
        description="Permissions policy file (YAML, see docs/policy.md); unset: the built-in default policy.",
    )
    token_budget: int = Field(
        default=20_000, ge=500,
        description="Largest answer a tool returns, in tokens; a longer answer is cut and says what was cut.",
    )
    snapshots_kept: int = Field(
        default=20, ge=2,
        description="Embedded graph snapshots kept; older snapshots are deleted, their change history stays.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @field_validator("graph_uri")
    @classmethod
    def _graph_uri_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(GRAPH_URI_SCHEMES):
            raise ValueError(f"must start with one of {', '.join(GRAPH_URI_SCHEMES)}")
        return value

    @field_validator("qdrant_url")
    @classmethod
    def _qdrant_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(QDRANT_URL_SCHEMES):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("audit_url")
    @classmethod
    def _audit_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(AUDIT_URL_SCHEMES):
            raise ValueError("must be a postgresql:// URL")
        return value

    @property
    def backend(self) -> str:
        return "neo4j" if self.graph_uri else "embedded"


def load_settings(**overrides: Any) -> Settings:
    """Settings with `overrides` (e.g. home from --home) on top; bad config becomes one ConfigError line."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "config"
        raise ConfigError(f"bad setting DATAGRAPH_{field.upper()}: {first['msg']}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {CONFIG_FILE}: {exc}") from None
