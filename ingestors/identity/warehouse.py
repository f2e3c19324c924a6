"""Where a source's tables live: the platform, the namespace authority, the database and a default schema.

BI tools and catalogs name their warehouse connection in their own way (a SQLAlchemy URL, a Metabase
engine with details, a LookML connection name mapped to a URL); every one of them becomes a `Warehouse`,
and a table name read through it becomes the dataset name every other source computes for that table.
"""

from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from graph_schema.errors import InvalidIdError
from graph_schema.naming import DatasetName, dataset_name, namespace_for, normalise_part, platform, split_name
from ingestors.common.errors import BadInputError

# platform -> sqlglot dialect of the SQL its users write
DIALECTS: dict[str, str] = {
    "postgres": "postgres",
    "redshift": "redshift",
    "duckdb": "duckdb",
    "mysql": "mysql",
    "trino": "trino",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "databricks": "databricks",
    "spark": "spark",
    "sqlite": "sqlite",
    "mssql": "tsql",
    "clickhouse": "clickhouse",
    "oracle": "oracle",
}

DEFAULT_PORTS: dict[str, int] = {"postgres": 5432, "redshift": 5439, "mysql": 3306, "trino": 8080, "mssql": 1433}


class WarehouseError(BadInputError):
    """A connection (URL or tool-specific details) that does not name a warehouse."""


@dataclass(frozen=True)
class Warehouse:
    platform: str
    authority: str | None
    database: str | None
    default_schema: str | None = None

    @property
    def namespace(self) -> str:
        return namespace_for(self.platform, self.authority)

    @property
    def dialect(self) -> str:
        return DIALECTS.get(self.platform, self.platform)

    @property
    def parts(self) -> int:
        return platform(self.platform).parts

    def fold(self, identifier: str) -> str:
        return normalise_part(identifier, platform(self.platform))

    def dataset(self, *parts: str) -> DatasetName:
        """The dataset a fully qualified name (as many parts as the platform has) names."""
        return dataset_name(self.platform, self.authority, *parts)

    def describe(self) -> str:
        return f"{self.namespace}/{self.database}" if self.database else self.namespace


def _host_port(url: URL, plat: str) -> str:
    if not url.host:
        raise WarehouseError(f"{url.render_as_string(hide_password=True)}: the URL names no host")
    port = url.port or DEFAULT_PORTS.get(plat)
    return f"{url.host}:{port}" if port else url.host


def duckdb_database(path: str | None) -> str:
    """DuckDB names a database file's catalog after the file's stem; an in-memory database is `memory`."""
    if not path or path == ":memory:":
        return "memory"
    return PurePosixPath(path.replace("\\", "/")).name.split(".", 1)[0]


def warehouse_from_url(text: str, default_schema: str | None = None) -> Warehouse:
    """`duckdb:///path/shop.duckdb` -> duckdb://shop (database shop); `postgresql://h:5432/db` -> postgres://h:5432."""
    try:
        url = make_url(text)
    except ArgumentError:
        raise WarehouseError(f"{text!r} is not a SQLAlchemy URL (dialect://user@host:port/database)") from None
    backend = url.get_backend_name().lower()
    plat = platform(backend).name
    try:
        if plat == "duckdb":
            database = duckdb_database(url.database)
            return Warehouse("duckdb", database, database, default_schema)
        if plat == "bigquery":
            # bigquery://project/dataset
            return Warehouse("bigquery", None, url.host, default_schema or url.database)
        if plat == "sqlite":
            database = duckdb_database(url.database)
            return Warehouse("sqlite", database, database, default_schema)
        database, _, schema = (url.database or "").partition("/")
        if plat == "snowflake":
            if not url.host:
                raise WarehouseError(f"{url.render_as_string(hide_password=True)}: the URL names no account")
            return Warehouse("snowflake", url.host, database or None, default_schema or schema or None)
        return Warehouse(plat, _host_port(url, plat), database or None, default_schema or schema or None)
    except InvalidIdError as exc:
        raise WarehouseError(f"{url.render_as_string(hide_password=True)}: {exc}") from None


def warehouse_from_parts(
    platform_name: str,
    *,
    host: str | None = None,
    port: int | None = None,
    database: str | None = None,
    path: str | None = None,
    default_schema: str | None = None,
) -> Warehouse:
    """A warehouse from loose connection details (Metabase database details, OpenLineage dataSource)."""
    plat = platform(platform_name).name
    if plat in ("duckdb", "sqlite"):
        name = duckdb_database(path or database)
        return Warehouse(plat, name, name, default_schema)
    if not platform(plat).needs_authority:
        return Warehouse(plat, None, database, default_schema)
    if not host:
        raise WarehouseError(f"a {plat} connection needs a host")
    port = port or DEFAULT_PORTS.get(plat)
    return Warehouse(plat, f"{host}:{port}" if port else host, database, default_schema)


def name_parts(name: str | list[str] | tuple[str, ...]) -> list[str]:
    """Split a dotted name (quotes kept) or pass given parts through, dropping empty ones."""
    if isinstance(name, str):
        return split_name(name.strip())
    return [p for p in name if p]
