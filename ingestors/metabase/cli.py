"""`datagraph ingest metabase FILE`: the typer command the app mounts."""

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from ingestors.common.command import run_ingest
from ingestors.metabase.config import MetabaseConfig
from ingestors.metabase.errors import MetabaseExportError
from ingestors.metabase.ingest import ingest_metabase


def ingest_metabase_command(
    file: Annotated[Path, typer.Argument(help="Metabase export: JSON with databases, cards and dashboards as "
                                              "the REST API serves them.")],
    instance: Annotated[
        str | None, typer.Option(help="Name of the Metabase instance (default: the file's `instance`).")
    ] = None,
    include_archived: Annotated[bool, typer.Option("--include-archived", help="Also ingest archived items.")] = False,
    home: Annotated[
        Path | None, typer.Option("--home", help="Folder of the embedded graph (default: DATAGRAPH_HOME).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Ingest a Metabase export: cards (native SQL and MBQL) with column lineage, and dashboards."""

    def ingest(store, _settings, progress):  # type: ignore[no-untyped-def]
        try:
            config = MetabaseConfig(instance=instance, include_archived=include_archived)
        except ValidationError:
            raise MetabaseExportError(f"--instance {instance!r}: use letters, digits and _ . : -") from None
        return ingest_metabase(file, store, config, progress=progress)

    run_ingest("Metabase", ingest, home=home, quiet=quiet)
