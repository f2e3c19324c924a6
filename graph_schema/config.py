"""Settings: environment (prefix DATAGRAPH_) over `datagraph.toml` in the working folder over defaults."""

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from graph_schema.errors import ConfigError

CONFIG_FILE = "datagraph.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATAGRAPH_", toml_file=CONFIG_FILE, extra="ignore")

    home: Path = Field(default=Path(".datagraph"), description="Folder of the embedded graph, vectors and audit log.")
    graph_uri: str | None = Field(default=None, description="Unset: embedded graph in home; neo4j:// or bolt://: Neo4j.")
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("neo4j")
    neo4j_database: str = "neo4j"
    qdrant_url: str | None = Field(default=None, description="Unset: Qdrant local mode in home; http(s)://: server.")
    audit_url: str | None = Field(default=None, description="Unset: SQLite in home; postgresql://: PostgreSQL.")
    policy: Path | None = Field(default=None, description="Permissions policy file (YAML).")
    token_budget: int = Field(default=20_000, ge=500, description="Largest answer a tool returns, in tokens.")
    snapshots_kept: int = Field(default=20, ge=2, description="Embedded snapshots kept for history.")

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
        schemes = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")
        if not value.startswith(schemes):
            raise ValueError(f"must start with one of {', '.join(schemes)}")
        return value

    @field_validator("qdrant_url")
    @classmethod
    def _qdrant_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("audit_url")
    @classmethod
    def _audit_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
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
