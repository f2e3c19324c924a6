"""`datagraph ingest openlineage FILE`: the typer command the app mounts."""

from pathlib import Path
from typing import Annotated

import typer

from ingestors.common.command import run_ingest
from ingestors.openlineage.config import OpenLineageConfig
from ingestors.openlineage.ingest import ingest_openlineage_file


def ingest_openlineage_command(
    file: Annotated[Path, typer.Argument(help="OpenLineage events: one JSON event, a JSON list, or NDJSON.")],
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Report invalid events and ingest the rest (default: reject the file)."),
    ] = False,
    runs_kept: Annotated[int, typer.Option(min=1, max=1000, help="Runs per job kept as run nodes.")] = 10,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Folder of the embedded graph and event log (default: DATAGRAPH_HOME)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Ingest OpenLineage run events: jobs, runs, datasets, schemas and column lineage."""
    config = OpenLineageConfig(runs_kept=runs_kept)
    run_ingest(
        "events",
        lambda store, settings, _progress: ingest_openlineage_file(
            file, store, settings.home, config=config, strict=not skip_invalid
        ),
        home=home,
        quiet=quiet,
    )
