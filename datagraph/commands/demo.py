"""`datagraph demo`: build the bundled sample estate with real dbt, ingest every source of it into
DATAGRAPH_HOME, deploy a regression, then answer four questions from the graph with the MCP tools' code."""

import time
from datetime import UTC, datetime
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from datagraph.commands.demo_answers import print_answers
from datagraph.estate import (
    LOOKML_CONNECTION,
    LOOKML_PROJECT,
    METABASE_EXPORT,
    OPENLINEAGE_EVENTS,
    SUPERSET_EXPORT,
)
from datagraph.estate.build import SHOP_PROJECT, build_project, require_dbt
from datagraph.estate.deploy import DEPLOY, rebuilt_copy
from datagraph.options import HomeOption, settings_for
from graph_schema.config import Settings
from graph_schema.errors import ConfigError, DatagraphError
from graph_schema.store import GraphStore, open_store

BUILD_FOLDER = "demo-build"

Progressed = Callable[[int, int], None]
# one source of the estate: its label, and how to ingest it into a store reporting progress
Source = tuple[str, Callable[[GraphStore, Progressed], object]]

BuildCacheOption = Annotated[
    Path | None,
    typer.Option("--build-cache", help="Reuse dbt builds of the estate from this folder (default: <home>/demo-build/cache).",
                 show_default=False),
]


def demo(home: HomeOption = None, build_cache: BuildCacheOption = None) -> None:
    """Build the sample shop estate (dbt on DuckDB, LookML, Superset, Metabase, OpenLineage), ingest it and
    print worked answers: a metric resolved, a column traced, an impact analysis, a regression found."""
    console = Console()
    started = time.perf_counter()
    try:
        require_dbt()
        settings = settings_for(home)
        built, deployed = _build(console, settings.home / BUILD_FOLDER, build_cache)
        deployed_at = _ingest(console, settings, built, deployed)
        print_answers(console, settings, deployed_at)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except DatagraphError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    _print_summary(console, settings, time.perf_counter() - started)


def _build(console: Console, folder: Path, cache: Path | None) -> tuple[Path, Path]:
    """The shop project built by dbt, and the same project a deploy later (both cached by content)."""
    cache = cache or folder / "cache"
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("building the shop project with dbt", total=None)

        def step(what: str) -> None:
            progress.update(task, description=f"building the shop project: {what}")

        built = build_project(SHOP_PROJECT, folder / "shop", cache, step=step)
        progress.update(task, description="building the deploy: two models edited")
        deployed = rebuilt_copy(built, SHOP_PROJECT, DEPLOY, folder / "deploy", cache, step=step)
    console.print(f"[bold]Built[/] the shop dbt project and its next deploy with dbt on DuckDB in {folder}")
    return built, deployed


def _sources(settings: Settings, built: Path, deployed: Path) -> tuple[list[Source], list[Source]]:
    """The estate's sources, and the deploy's: the edited dbt project and the warehouse it rebuilt."""
    # Imported here: the ingestors load only when the demo runs.
    from ingestors.catalog.ingest import ingest_catalog
    from ingestors.dbt.ingest import ingest_dbt_project
    from ingestors.lookml.config import LookmlConfig
    from ingestors.lookml.ingest import ingest_lookml
    from ingestors.metabase.ingest import ingest_metabase
    from ingestors.openlineage.ingest import ingest_openlineage_file
    from ingestors.superset.ingest import ingest_superset

    warehouse = f"duckdb:///{(built / SHOP_PROJECT.database_file).as_posix()}"
    deployed_warehouse = f"duckdb:///{(deployed / SHOP_PROJECT.database_file).as_posix()}"
    lookml = LookmlConfig(connections={LOOKML_CONNECTION: warehouse})
    estate: list[Source] = [
        ("dbt project", lambda store, done: ingest_dbt_project(built, store, progress=done)),
        ("warehouse catalog", lambda store, done: ingest_catalog(warehouse, store, progress=done)),
        ("OpenLineage loads", lambda store, _: ingest_openlineage_file(OPENLINEAGE_EVENTS, store, settings.home)),
        ("LookML project", lambda store, done: ingest_lookml(LOOKML_PROJECT, store, lookml, progress=done)),
        ("Superset export", lambda store, done: ingest_superset(SUPERSET_EXPORT, store, progress=done)),
        ("Metabase export", lambda store, done: ingest_metabase(METABASE_EXPORT, store, progress=done)),
    ]
    deploy: list[Source] = [
        ("deploy: dbt project", lambda store, done: ingest_dbt_project(deployed, store, progress=done)),
        ("deploy: warehouse catalog", lambda store, done: ingest_catalog(deployed_warehouse, store, progress=done)),
    ]
    return estate, deploy


def _ingest(console: Console, settings: Settings, built: Path, deployed: Path) -> datetime:
    """Ingest every source, then the deploy, each with its progress bar; when the deploy's ingestion began."""
    from graph_schema.vector.sync import sync_snapshot_index

    estate, deploy = _sources(settings, built, deployed)
    columns = (TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with open_store(settings) as store:
        with Progress(*columns, console=console) as progress:
            _run(progress, store, estate)
            deployed_at = datetime.now(UTC)
            _run(progress, store, deploy)
        with console.status("indexing the graph for search"):
            sync_snapshot_index(store, settings)
    console.print()
    return deployed_at


def _run(progress: Progress, store: GraphStore, sources: list[Source]) -> None:
    for label, ingest in sources:
        task = progress.add_task(label, total=None)

        def done(completed: int, total: int, task: TaskID = task) -> None:
            progress.update(task, completed=completed, total=total)

        ingest(store, done)
        # a source that reports no progress (or none at the end) still shows as finished
        total = progress.tasks[task].total or 1
        progress.update(task, total=total, completed=total)


def _print_summary(console: Console, settings: Settings, seconds: float) -> None:
    with open_store(settings, read_only=True) as store:
        stats = store.stats()
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(stats.nodes_by_kind.items(), key=lambda kv: -kv[1]))
    console.print(
        f"\n[bold]Done[/] in {seconds:.0f} s: {stats.nodes} nodes and {stats.edges} edges ({kinds}).\n"
        f"State: {settings.home}\n"
        "Next: `datagraph status` to see the snapshot, `datagraph serve --transport stdio` to give it to an agent,\n"
        "      `datagraph metric`, `datagraph lineage`, `datagraph impact` to ask your own questions.",
        highlight=False,
    )
