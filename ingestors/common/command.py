"""The shape every `datagraph ingest <source>` command shares: open the store, show progress, ingest,
print a summary; bad input or a bad setting is one line on stderr and exit code 2, any other refusal exit code 1."""

from collections.abc import Callable
from typing import TypeVar
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph_schema.config import Settings, load_settings
from graph_schema.errors import ConfigError, DatagraphError
from graph_schema.store import GraphStore, open_store
from ingestors.common.errors import BadInputError
from ingestors.common.outcome import IngestResult

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1

ProgressFn = Callable[[int, int], None]
R = TypeVar("R")


def run_ingest(
    label: str,
    ingest: Callable[[GraphStore, Settings, ProgressFn], R],
    *,
    home: Path | None,
    quiet: bool,
    summary: Callable[[R], Table] | None = None,
) -> R:
    """Run `ingest` against the configured store with a progress bar over `label`, keep the search index
    in step, and print the summary (`summary_table` of an IngestResult unless another is given)."""
    console = Console(stderr=True)
    try:
        settings = load_settings(home=home)
        with open_store(settings) as store:
            with Progress(
                TextColumn(f"[bold]{label}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=quiet,
            ) as bar:
                task = bar.add_task(label, total=None)

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                result = ingest(store, settings, advance)
            index_for_search(store, settings, console, quiet=quiet)
    except (BadInputError, ConfigError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except DatagraphError as exc:
        console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None
    if not quiet:
        Console().print((summary or summary_table)(result))  # type: ignore[arg-type]
    return result


def index_for_search(store: GraphStore, settings: Settings, console: Console, *, quiet: bool) -> None:
    """Bring the search index of the new snapshot in step; only texts never seen before are embedded.

    The graph is already committed: a failure here is a warning, and the server builds a missing index
    on first use.
    """
    # Imported here: the vector stack costs every CLI start half a second, and only ingests need it.
    from graph_schema.vector.sync import sync_snapshot_index

    try:
        if quiet:
            sync_snapshot_index(store, settings)
            return
        with console.status("indexing for search"):
            report = sync_snapshot_index(store, settings)
        if report is not None and not report.already_built:
            console.print(f"search index: {report.docs} assets, {report.embedded} embedded", highlight=False)
    except DatagraphError as exc:
        console.print(f"warning: search index not updated: {exc}", markup=False, highlight=False)


def summary_table(result: IngestResult) -> Table:
    report, summary = result.report, result.summary
    table = Table(title=f"{result.source}: ingested in {report.duration:.1f}s", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind, count in report.nodes_by_kind.items():
        table.add_row(kind, str(count))
    table.add_section()
    for kind, count in report.edges_by_kind.items():
        table.add_row(f"{kind} edges", str(count))
    table.add_section()
    for key, value in report.stats.items():
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            table.add_row(key.replace("_", " "), str(value))
    table.add_section()
    if result.committed:
        table.add_row("nodes added / modified / removed",
                      f"{summary.nodes_added} / {summary.nodes_modified} / {summary.nodes_removed}")
        table.add_row("edges added / modified / removed",
                      f"{summary.edges_added} / {summary.edges_modified} / {summary.edges_removed}")
    else:
        table.add_row("graph", "unchanged (nothing new to write)")
    table.add_row("warnings / failures", f"{report.warning_count} / {report.failure_count}")
    for item in [*report.failures, *report.warnings][:10]:
        table.add_row(f"{item.severity.value}: {item.item}"[:60], item.message[:120])
    for stage, seconds in report.timings.items():
        table.add_row(f"time: {stage}", f"{seconds:.2f}s")
    return table
