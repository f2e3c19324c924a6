"""`datagraph status`: which backend, which snapshot, how much is in it."""

import json

import typer
from rich.console import Console
from rich.table import Table

from datagraph.options import HomeOption, settings_for
from graph_schema.store import open_store


def status(
    home: HomeOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Show the graph backend, the current snapshot (run) and counts by kind."""
    settings = settings_for(home)
    with open_store(settings, read_only=True) as store:
        stats = store.stats()
    if as_json:
        typer.echo(json.dumps(stats.model_dump(mode="json"), indent=2))
        return
    console = Console()
    run = stats.current_run
    console.print(f"[bold]backend[/]   {stats.backend}  ({stats.location})")
    console.print(
        f"[bold]snapshot[/]  {run.run_id} from {run.source}, {run.finished_at:%Y-%m-%d %H:%M:%S} UTC"
        if run
        else "[bold]snapshot[/]  none yet: run `datagraph ingest ...` or `datagraph demo`"
    )
    console.print(f"[bold]schema[/]    version {stats.schema_version}")
    table = Table("kind", "count", title=f"{stats.nodes} nodes, {stats.edges} edges")
    for kind, count in stats.nodes_by_kind.items():
        table.add_row(kind, str(count))
    for kind, count in stats.edges_by_kind.items():
        table.add_row(f"→ {kind}", str(count))
    console.print(table)
