"""`datagraph ingest lookml DIR`: the typer command the app mounts."""

from pathlib import Path
from typing import Annotated

import typer

from ingestors.common.command import run_ingest
from ingestors.lookml.config import LookmlConfig
from ingestors.lookml.errors import LookmlError
from ingestors.lookml.ingest import ingest_lookml


def parse_connections(values: list[str]) -> tuple[dict[str, str], str | None]:
    """`NAME=URL` pairs, and at most one bare `URL` for every connection not named."""
    named: dict[str, str] = {}
    default: str | None = None
    for value in values:
        name, sep, url = value.partition("=")
        if sep and "://" not in name:
            named[name.strip()] = url.strip()
        elif default is None:
            default = value.strip()
        else:
            raise LookmlError(f"--connection {value}: a second URL without a connection name")
    return named, default


def ingest_lookml_command(
    path: Annotated[Path, typer.Argument(help="A LookML project folder (.lkml and .dashboard.lookml files).")],
    connection: Annotated[
        list[str] | None,
        typer.Option("--connection", help="NAME=URL: the SQLAlchemy URL of the warehouse a LookML connection "
                                          "reads (repeatable); a bare URL serves every connection not named."),
    ] = None,
    project: Annotated[str | None, typer.Option(help="Project name (default: manifest.lkml, else the folder).")] = None,
    home: Annotated[
        Path | None, typer.Option("--home", help="Folder of the embedded graph (default: DATAGRAPH_HOME).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Ingest a LookML project: views, dimensions and measures with column lineage, explores, dashboards."""

    def ingest(store, _settings, progress):  # type: ignore[no-untyped-def]
        named, default = parse_connections(connection or [])
        config = LookmlConfig(project=project, connections=named, default_connection=default)
        return ingest_lookml(path, store, config, progress=progress)

    run_ingest("LookML", ingest, home=home, quiet=quiet)
