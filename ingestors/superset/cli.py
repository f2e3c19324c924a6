"""`datagraph ingest superset PATH`: the typer command the app mounts."""

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from ingestors.common.command import run_ingest
from ingestors.superset.config import SupersetConfig
from ingestors.superset.errors import SupersetExportError
from ingestors.superset.ingest import ingest_superset


def ingest_superset_command(
    path: Annotated[Path, typer.Argument(help="A Superset export: the zip the UI downloads, or it unzipped.")],
    instance: Annotated[
        str, typer.Option(help="Name of the Superset instance (part of node ids; one source per instance).")
    ] = "superset",
    home: Annotated[
        Path | None, typer.Option("--home", help="Folder of the embedded graph (default: DATAGRAPH_HOME).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Ingest a Superset export: databases, physical and virtual datasets, charts and dashboards."""

    def ingest(store, _settings, progress):  # type: ignore[no-untyped-def]
        try:
            config = SupersetConfig(instance=instance)
        except ValidationError:
            raise SupersetExportError(f"--instance {instance!r}: use letters, digits and _ . : -") from None
        return ingest_superset(path, store, config, progress=progress)

    run_ingest("Superset", ingest, home=home, quiet=quiet)
