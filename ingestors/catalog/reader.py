"""Read a database's catalog through SQLAlchemy: the only module of this ingestor that talks to a database.

PostgreSQL and most dialects are read with SQLAlchemy's Inspector. DuckDB is read from its own catalog
functions (duckdb_tables(), duckdb_columns(), ...) over the same SQLAlchemy connection, because the
DuckDB dialect's Inspector queries PostgreSQL system tables DuckDB does not have.
"""

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.reflection import Inspector, ObjectKind
from sqlalchemy.exc import ArgumentError, CompileError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from ingestors.catalog.config import CatalogConfig
from ingestors.catalog.errors import CatalogError
from ingestors.catalog.snapshot import CatalogColumn, CatalogSnapshot, ForeignKey, Relation
from ingestors.identity.warehouse import WarehouseError, warehouse_from_url

SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "sys", "mysql", "performance_schema"})


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split("\n")[0].split())[:300] or type(exc).__name__


def _has_duckdb_header(path: Path) -> bool:
    """Whether the file starts like a DuckDB database (magic bytes `DUCK` after an 8-byte checksum)."""
    try:
        with path.open("rb") as handle:
            return handle.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def parse_url(text_url: str) -> URL:
    """The URL with a driver this project ships: plain `postgresql://` means psycopg 3."""
    try:
        url = make_url(text_url)
    except ArgumentError:
        raise CatalogError(f"{text_url!r} is not a SQLAlchemy URL (dialect://user@host:port/database)") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def read_catalog(config: CatalogConfig) -> CatalogSnapshot:
    url = parse_url(config.url)
    # the URL as given, unless it holds a password
    shown = config.url if url.password is None else url.render_as_string(hide_password=True)
    try:
        warehouse = warehouse_from_url(config.url)
    except WarehouseError as exc:
        raise CatalogError(str(exc)) from None
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "duckdb":
        if not url.database or url.database == ":memory:":
            raise CatalogError(f"{shown}: name a DuckDB database file; an in-memory database holds nothing to read")
        if not Path(url.database).is_file():
            raise CatalogError(f"{shown}: no such DuckDB file {url.database}")
        if not _has_duckdb_header(Path(url.database)):
            raise CatalogError(f"{shown}: {url.database} is not a DuckDB database file")
        connect_args["read_only"] = True
        # Left to itself DuckDB downloads an extension a file needs (the SQLite scanner for a SQLite file,
        # spatial for a GEOMETRY column); nothing here may reach the network.
        connect_args["config"] = {"autoinstall_known_extensions": False}
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise CatalogError(f"{shown}: no SQLAlchemy dialect for it ({_one_line(exc)})") from None
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "duckdb":
                relations, default_schema = _read_duckdb(conn, config)
            else:
                relations, default_schema = _read_inspector(conn, config)
    except SQLAlchemyError as exc:
        raise CatalogError(f"cannot read the catalog of {shown}: {_one_line(exc.orig or exc)}") from None
    finally:
        engine.dispose()
    if warehouse.database is None:
        raise CatalogError(f"{shown}: the URL names no database")
    return CatalogSnapshot(
        platform=warehouse.platform,
        authority=warehouse.authority,
        database=warehouse.database,
        dialect=warehouse.dialect,
        default_schema=default_schema,
        views_bind_in_own_schema=engine.dialect.name == "duckdb",
        relations=tuple(sorted(relations, key=lambda r: (r.schema_name, r.name))),
    )


# ---- DuckDB --------------------------------------------------------------------------------------

_DUCK_TABLES = text(
    "select schema_name, table_name, comment from duckdb_tables() "
    "where database_name = current_database() and not internal and not temporary"
)
_DUCK_VIEWS = text(
    "select schema_name, view_name, comment, sql from duckdb_views() "
    "where database_name = current_database() and not internal and not temporary"
)
_DUCK_COLUMNS = text(
    "select schema_name, table_name, column_name, column_index, data_type, is_nullable, column_default, comment "
    "from duckdb_columns() where database_name = current_database() and not internal "
    "order by schema_name, table_name, column_index"
)
_DUCK_KEYS = text(
    "select schema_name, table_name, constraint_type, constraint_column_names, referenced_table, "
    "referenced_column_names, constraint_name from duckdb_constraints() "
    "where database_name = current_database() and constraint_type in (:primary, :foreign)"
)


def _read_duckdb(conn: Connection, config: CatalogConfig) -> tuple[list[Relation], str | None]:
    kinds: dict[tuple[str, str], tuple[str, str | None, str | None]] = {}
    for schema, name, comment in conn.execute(_DUCK_TABLES):
        kinds[(schema, name)] = ("table", comment, None)
    for schema, name, comment, sql in conn.execute(_DUCK_VIEWS):
        kinds[(schema, name)] = ("view", comment, sql)
    columns: dict[tuple[str, str], list[CatalogColumn]] = {}
    for schema, table, column, index, data_type, nullable, default, comment in conn.execute(_DUCK_COLUMNS):
        columns.setdefault((schema, table), []).append(
            CatalogColumn(name=column, data_type=str(data_type), ordinal=int(index), nullable=bool(nullable),
                          default=None if default is None else str(default), comment=comment or None)
        )
    primary: dict[tuple[str, str], tuple[str, ...]] = {}
    foreign: dict[tuple[str, str], list[ForeignKey]] = {}
    keys = conn.execute(_DUCK_KEYS, {"primary": "PRIMARY KEY", "foreign": "FOREIGN KEY"})
    for schema, table, kind, cols, ref_table, ref_cols, name in keys:
        if kind == "PRIMARY KEY":
            primary[(schema, table)] = tuple(cols)
        else:
            # DuckDB foreign keys reference a table of the same schema
            foreign.setdefault((schema, table), []).append(
                ForeignKey(name=name, columns=tuple(cols), ref_schema=schema, ref_table=ref_table,
                           ref_columns=tuple(ref_cols))
            )
    default_schema = conn.execute(text("select current_schema()")).scalar_one()
    relations = [
        Relation(schema_name=schema, name=name, kind=kind, comment=comment or None,  # type: ignore[arg-type]
                 columns=tuple(columns.get((schema, name), ())), primary_key=primary.get((schema, name), ()),
                 foreign_keys=tuple(foreign.get((schema, name), ())), definition=sql)
        for (schema, name), (kind, comment, sql) in kinds.items()
        if config.wants(schema)
    ]
    return relations, default_schema


# ---- any other dialect ---------------------------------------------------------------------------

def _type_name(conn: Connection, data_type: Any) -> str:
    try:
        return str(data_type.compile(dialect=conn.dialect))
    except (CompileError, AttributeError, TypeError):
        return type(data_type).__name__


def _schemas(inspector: Inspector, config: CatalogConfig) -> list[str]:
    return [
        s for s in inspector.get_schema_names()
        if s not in SYSTEM_SCHEMAS and not s.startswith(("pg_temp", "pg_toast_temp")) and config.wants(s)
    ]


def _read_inspector(conn: Connection, config: CatalogConfig) -> tuple[list[Relation], str | None]:
    inspector = inspect(conn)
    relations: list[Relation] = []
    for schema in _schemas(inspector, config):
        tables = set(inspector.get_table_names(schema=schema))
        views = set(inspector.get_view_names(schema=schema))
        materialized = (
            set(inspector.get_materialized_view_names(schema=schema)) if conn.dialect.name == "postgresql" else set()
        )
        columns = inspector.get_multi_columns(schema=schema, kind=ObjectKind.ANY)
        primary = inspector.get_multi_pk_constraint(schema=schema, kind=ObjectKind.ANY)
        foreign = inspector.get_multi_foreign_keys(schema=schema, kind=ObjectKind.ANY)
        comments = inspector.get_multi_table_comment(schema=schema, kind=ObjectKind.ANY)
        for name in sorted(tables | views | materialized):
            key = (schema, name)
            kind = "materialized_view" if name in materialized else "view" if name in views else "table"
            definition = inspector.get_view_definition(name, schema=schema) if kind != "table" else None
            relations.append(
                Relation(
                    schema_name=schema,
                    name=name,
                    kind=kind,
                    comment=(comments.get(key) or {}).get("text") or None,
                    columns=tuple(
                        CatalogColumn(
                            name=col["name"],
                            data_type=_type_name(conn, col["type"]),
                            ordinal=index,
                            nullable=col.get("nullable"),
                            default=None if col.get("default") is None else str(col.get("default")),
                            comment=col.get("comment") or None,
                        )
                        for index, col in enumerate(columns.get(key, []), start=1)
                    ),
                    primary_key=tuple((primary.get(key) or {}).get("constrained_columns") or ()),
                    foreign_keys=tuple(
                        ForeignKey(
                            name=fk.get("name"),
                            columns=tuple(fk["constrained_columns"]),
                            ref_schema=fk.get("referred_schema") or schema,
                            ref_table=fk["referred_table"],
                            ref_columns=tuple(fk["referred_columns"]),
                        )
                        for fk in foreign.get(key, [])
                    ),
                    definition=definition,
                )
            )
    return relations, inspector.default_schema_name
