"""`datagraph ingest dbt PATH`: the typer command the app mounts, with a progress bar and a summary."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ingestors.common.command import run_ingest
from ingestors.dbt.ingest import IngestOutcome, ingest_dbt_project


def ingest_dbt(
    path: Annotated[Path, typer.Argument(help="A dbt project folder (reads target/) or a target folder.")],
    home: Annotated[
        Path | None, typer.Option("--home", help="Folder of the embedded graph (default: DATAGRAPH_HOME).")
    ] = None,
    authority: Annotated[
        str | None,
        typer.Option(help="Warehouse host or account naming the dataset namespace (default: the dbt database)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Ingest a dbt project's artifacts: models, sources, columns, tests, metrics and column lineage."""
    run_ingest(
        "column lineage",
        lambda store, _settings, advance: ingest_dbt_project(path, store, authority=authority, progress=advance),
        home=home,
        quiet=quiet,
        summary=summary_table,
    )


def summary_table(outcome: IngestOutcome) -> Table:
    report, summary, lineage = outcome.report, outcome.summary, outcome.lineage
    state = "unchanged since its last run" if outcome.unchanged else f"ingested in {report.duration:.1f}s"
    table = Table(title=f"{outcome.source}: {state}", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind, count in report.nodes_by_kind.items():
        table.add_row(kind, str(count))
    table.add_section()
    table.add_row("column lineage edges", str(lineage.column_edges))
    table.add_row("row-shaping edges", str(lineage.shaping_edges))
    coverage = lineage.coverage
    table.add_row(
        "lineage coverage",
        f"{coverage['complete']} complete / {coverage['partial']} partial / {coverage['unknown']} unknown",
    )
    table.add_row("models re-parsed / reused", f"{lineage.parsed} / {lineage.reused}")
    table.add_section()
    table.add_row("nodes added / modified / removed",
                  f"{summary.nodes_added} / {summary.nodes_modified} / {summary.nodes_removed}")
    table.add_row("edges added / modified / removed",
                  f"{summary.edges_added} / {summary.edges_modified} / {summary.edges_removed}")
    table.add_row("warnings / failures", f"{report.warning_count} / {report.failure_count}")
    for item in [*report.failures, *report.warnings][:10]:
        table.add_row(f"{item.severity.value}: {item.item}"[:60], item.message[:120])
    for stage, seconds in report.timings.items():
        table.add_row(f"time: {stage}", f"{seconds:.2f}s")
    return table
