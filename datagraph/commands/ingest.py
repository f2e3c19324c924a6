"""`datagraph ingest SOURCE ...`: one sub-command per ingestor."""

import typer

from ingestors.catalog.cli import ingest_catalog_command
from ingestors.dbt.cli import ingest_dbt
from ingestors.lookml.cli import ingest_lookml_command
from ingestors.metabase.cli import ingest_metabase_command
from ingestors.openlineage.cli import ingest_openlineage_command
from ingestors.superset.cli import ingest_superset_command

app = typer.Typer(help="Harvest metadata from a source into the graph (one atomic run each).", no_args_is_help=True)
app.command("dbt")(ingest_dbt)
app.command("catalog")(ingest_catalog_command)
app.command("openlineage")(ingest_openlineage_command)
app.command("lookml")(ingest_lookml_command)
app.command("superset")(ingest_superset_command)
app.command("metabase")(ingest_metabase_command)
