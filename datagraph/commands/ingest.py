"""`datagraph ingest SOURCE ...`: one sub-command per ingestor."""

import typer

from ingestors.dbt.cli import ingest_dbt

app = typer.Typer(help="Harvest metadata from a source into the graph (one atomic run each).", no_args_is_help=True)
app.command("dbt")(ingest_dbt)
