"""`datagraph ingest catalog URL`: the typer command the app mounts."""

from pathlib import Path
from typing import Annotated

import typer

from ingestors.catalog.config import CatalogConfig
from ingestors.catalog.ingest import ingest_catalog
from ingestors.common.command import run_ingest


def ingest_catalog_command(
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL: duckdb:///path/file.duckdb, postgresql://host/db, ...")],
    schema: Annotated[list[str] | None, typer.Option("--schema", help="Only this schema (repeatable).")] = None,
    exclude_schema: Annotated[
        list[str] | None, typer.Option("--exclude-schema", help="Never this schema (repeatable).")
    ] = None,
    no_view_lineage: Annotated[
        bool, typer.Option("--no-view-lineage", help="Do not parse view definitions for column lineage.")
    ] = False,
    home: Annotated[
        Path | None, typer.Option("--home", help="Folder of the embedded graph (default: DATAGRAPH_HOME).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Ingest a warehouse catalog: tables, views, columns, keys, comments and view column lineage."""
    config = CatalogConfig(url=url, schemas=tuple(schema or ()), exclude_schemas=tuple(exclude_schema or ()),
                           view_lineage=not no_view_lineage)
    run_ingest("views", lambda store, _settings, progress: ingest_catalog(config, store, progress=progress),
               home=home, quiet=quiet)
