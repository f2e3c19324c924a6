"""Bad artifacts for every ingestor, through the real `datagraph ingest ...` command.

Refused: the command exits 2 with one line on stderr naming the file and what is wrong with it, and the
graph is as it was (same current run, same counts; for OpenLineage, no event logged). A bad item inside a
good artifact (a duplicate id, garbage SQL) is reported against that item and the rest is ingested.
Cycles ingest without hanging, lineage answers over them terminate, and a dbt depends_on cycle is
reported. A 100 MB text in a field costs a few copies of itself in memory. Refusals and cycles run on both graph backends; the rest is decided
before the graph is written to and runs on the embedded one.

Not made, and why: LookML and the Metabase export carry no format version (a corrupt file header stands in
for a foreign format in the catalog ingestor, which reads a live database through its driver); a warehouse
catalog cannot hold two relations of one name, so it has no duplicate-id case; and the 100 MB field is not
tried on LookML, whose parser (the `lkml` package, pure Python) reads it in ~30 s.

Every command here runs with its search index pointed at a Qdrant server that is not there: that last
step of an ingest then fails at once with its documented warning, after the graph commit these tests
check, instead of embedding every new asset (the 50k-model case would spend minutes in the embedding
model on this machine, and a measured peak would be the model's, not the ingestor's).
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import Result
from typer.testing import CliRunner

from datagraph.cli import app
from datagraph.estate import LOOKML_CONNECTION, LOOKML_PROJECT, METABASE_EXPORT, OPENLINEAGE_EVENTS, SUPERSET_EXPORT
from graph_schema.config import Settings
from graph_schema.kinds import DATASET_KINDS, NodeKind
from graph_schema.store import GraphStore, RunInfo, StoreStats, open_store
from ingestors.common.bounds import MAX_TEXT_CHARS
from ingestors.dbt.artifacts import ARTIFACT_FILES
from ingestors.openlineage.eventlog import LOG_FOLDER, EventLog
from server.runtime import build_runtime
from server.tools.names import ToolName
from tests.hostile.conftest import HostileTally
from tests.hostile.graphs import copy_graph
from tests.ingestors.catalog.conftest import make_warehouse
from tests.server.calls import call
from tests.server.estate import build_estate
from tests.support.neo4j import Neo4jConnection, wipe_neo4j
from tests.support.services import free_loopback_port

pytestmark = pytest.mark.timeout(300)

ABSENT_QDRANT = f"http://127.0.0.1:{free_loopback_port()}"
LOOKML_ARGS = ("--connection", f"{LOOKML_CONNECTION}=duckdb:///warehouse/shop.duckdb")
HUNDRED_MB = 100 * 1024 * 1024
GARBAGE_MODELS = 50_000


# ---- where an ingest goes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphState:
    stats: StoreStats
    run: RunInfo | None
    events_logged: int


@dataclass(frozen=True)
class Graph:
    """A home folder, and the Neo4j server when the graph lives there."""

    home: Path
    neo4j: Neo4jConnection | None = None

    def settings(self) -> Settings:
        if self.neo4j is None:
            return Settings(home=self.home)
        return Settings(home=self.home, graph_uri=self.neo4j.uri, neo4j_user=self.neo4j.user,
                        neo4j_password=self.neo4j.password, neo4j_database=self.neo4j.database)

    def env(self) -> dict[str, str | None]:
        """The command's environment: this graph, the absent index server, and wide lines for the summary."""
        env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("DATAGRAPH_")}
        env.update({"DATAGRAPH_QDRANT_URL": ABSENT_QDRANT, "COLUMNS": "250"})
        if self.neo4j is not None:
            env.update({"DATAGRAPH_GRAPH_URI": self.neo4j.uri, "DATAGRAPH_NEO4J_USER": self.neo4j.user,
                        "DATAGRAPH_NEO4J_PASSWORD": self.neo4j.password,
                        "DATAGRAPH_NEO4J_DATABASE": self.neo4j.database})
        return env

    def ingest(self, ingestor: str, args: list[str]) -> Result:
        return CliRunner().invoke(app, ["ingest", ingestor, *args, "--home", str(self.home)], env=self.env())

    def state(self) -> GraphState:
        with open_store(self.settings(), read_only=self.neo4j is None) as store:
            stats, run = store.stats(), store.current_run()
        logged = 0
        if (self.home / LOG_FOLDER).is_dir():
            with EventLog(self.home) as log:
                logged = log.count()
        return GraphState(stats, run, logged)


def crashed(result: Result) -> str:
    """What to show when the command ended some other way than with an exit code."""
    if result.exception is None or isinstance(result.exception, SystemExit):
        return ""
    return f"crashed: {type(result.exception).__name__}: {result.exception}"


@pytest.fixture(scope="module", params=("embedded", "neo4j"))
def backend(request: pytest.FixtureRequest) -> Neo4jConnection | None:
    return request.getfixturevalue("neo4j_server") if request.param == "neo4j" else None


@pytest.fixture(scope="module")
def baseline(backend: Neo4jConnection | None, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    """The server test estate, which refused ingests must leave exactly as it is."""
    estate = tmp_path_factory.mktemp("estate")
    build_estate(estate)
    if backend is None:
        return Graph(estate)
    graph = Graph(tmp_path_factory.mktemp("neo4j-home"), backend)
    seed_neo4j(graph, estate)
    return graph


def seed_neo4j(graph: Graph, estate: Path) -> None:
    assert graph.neo4j is not None
    wipe_neo4j(graph.neo4j)
    with open_store(Settings(home=estate), read_only=True) as source, open_store(graph.settings()) as target:
        copy_graph(source, target)


@pytest.fixture
def fresh(backend: Neo4jConnection | None, tmp_path: Path) -> Graph:
    """An empty graph of the backend under test."""
    if backend is not None:
        wipe_neo4j(backend)
    return Graph(tmp_path / "home", backend)


# ---- good inputs and ways to spoil them --------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """A good input of every ingestor; cases copy them before spoiling them."""

    dbt_target: Path

    def dbt(self, folder: Path) -> Path:
        target = folder / "target"
        target.mkdir(parents=True)
        for name in ARTIFACT_FILES:
            if (self.dbt_target / name).is_file():
                shutil.copy(self.dbt_target / name, target / name)
        return target


@pytest.fixture(scope="module")
def good(shop_project: Path) -> Inputs:
    return Inputs(dbt_target=shop_project / "target")


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(data) or data), encoding="utf-8")


def events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in OPENLINEAGE_EVENTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_events(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in items), encoding="utf-8")
    return path


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"export/{path.relative_to(folder).as_posix()}")
    return target


def lookml(folder: Path) -> Path:
    return Path(shutil.copytree(LOOKML_PROJECT, folder / "lookml"))


def superset(folder: Path) -> Path:
    return Path(shutil.copytree(SUPERSET_EXPORT, folder / "superset"))


def metabase(folder: Path) -> Path:
    return Path(shutil.copy(METABASE_EXPORT, folder / "metabase.json"))


def warehouse(folder: Path) -> Path:
    return make_warehouse(folder / "warehouse.duckdb")


CHART = "charts/Orders_by_status_3.yaml"
ORDERS_VIEW = "views/orders.view.lkml"


# ---- refused: exit 2, one line, nothing written ------------------------------------------------------

Make = Callable[[Path, Inputs], list[str]]


@dataclass(frozen=True)
class Refusal:
    ingestor: str
    fault: str
    make: Make  # writes the bad input under the folder; returns the command's arguments
    names: str  # the file the error line must name
    says: str  # what the error line must say is wrong


def _dbt(change: Callable[[Path], None]) -> Make:
    def make(folder: Path, inputs: Inputs) -> list[str]:
        target = inputs.dbt(folder)
        change(target)
        return [str(target)]

    return make


def _manifest(change: Callable[[Any], Any]) -> Make:
    return _dbt(lambda target: edit_json(target / "manifest.json", change))


def _schema_version(manifest: dict[str, Any]) -> None:
    manifest["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v99.json"


def _ghost_parent(manifest: dict[str, Any]) -> None:
    manifest["nodes"]["model.shop.stg_orders"]["depends_on"]["nodes"].append("model.shop.ghost")


def _latin1(target: Path) -> None:
    path = target / "manifest.json"
    data = path.read_bytes()
    at = data.index(b'"nodes"')
    path.write_bytes(data[:at] + '"note": "café", '.encode("latin-1") + data[at:])


def _events(change: Callable[[list[dict[str, Any]]], str]) -> Make:
    def make(folder: Path, inputs: Inputs) -> list[str]:
        path = folder / "events.ndjson"
        path.write_text(change(events()), encoding="utf-8")
        return [str(path)]

    return make


def _cut_ndjson(items: list[dict[str, Any]]) -> str:
    text = "".join(json.dumps(e) + "\n" for e in items)
    return text[: len(text) - 500]


def _cut_list(items: list[dict[str, Any]]) -> str:
    text = json.dumps(items, indent=1)
    return text[: len(text) // 2]


def _spec(major: int) -> Callable[[list[dict[str, Any]]], str]:
    def change(items: list[dict[str, Any]]) -> str:
        items[0]["schemaURL"] = f"https://openlineage.io/spec/{major}-0-0/OpenLineage.json#/$defs/RunEvent"
        return "".join(json.dumps(e) + "\n" for e in items)

    return change


def _run_id(items: list[dict[str, Any]]) -> str:
    items[3]["run"]["runId"] = "not-a-uuid"
    return "".join(json.dumps(e) + "\n" for e in items)


def _lookml(change: Callable[[Path], None]) -> Make:
    def make(folder: Path, inputs: Inputs) -> list[str]:
        project = lookml(folder)
        change(project)
        return [str(project), *LOOKML_ARGS]

    return make


def _superset(change: Callable[[Path], None], zipped: bool = False) -> Make:
    def make(folder: Path, inputs: Inputs) -> list[str]:
        export = superset(folder)
        change(export)
        return [str(zip_folder(export, folder / "export.zip") if zipped else export)]

    return make


def _truncated_zip(folder: Path, inputs: Inputs) -> list[str]:
    archive = zip_folder(superset(folder), folder / "export.zip")
    truncate(archive)
    return [str(archive)]


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {path}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def _metabase(change: Callable[[Path], None]) -> Make:
    def make(folder: Path, inputs: Inputs) -> list[str]:
        export = metabase(folder)
        change(export)
        return [str(export)]

    return make


def _catalog(change: Callable[[Path], None]) -> Make:
    def make(folder: Path, inputs: Inputs) -> list[str]:
        database = warehouse(folder)
        change(database)
        return [f"duckdb:///{database}"]

    return make


def _header(database: Path) -> None:
    data = bytearray(database.read_bytes())
    data[12:20] = (5).to_bytes(8, "little")  # the storage version; the header checksum no longer matches
    database.write_bytes(bytes(data))


REFUSALS = [
    Refusal("dbt", "truncated-manifest", _dbt(lambda t: truncate(t / "manifest.json")), "manifest.json",
            "is not valid JSON (the file looks truncated)"),
    Refusal("dbt", "truncated-catalog", _dbt(lambda t: truncate(t / "catalog.json")), "catalog.json",
            "is not valid JSON (the file looks truncated)"),
    Refusal("dbt", "empty-manifest", _dbt(lambda t: (t / "manifest.json").write_text("\n")), "manifest.json",
            "is empty"),
    Refusal("dbt", "manifest-v99", _manifest(_schema_version), "manifest.json",
            "manifest schema v99 is not supported"),
    Refusal("dbt", "manifest-a-list", _manifest(lambda m: [m]), "manifest.json", "must hold a JSON object, not list"),
    Refusal("dbt", "nodes-a-list", _manifest(lambda m: {**m, "nodes": []}), "manifest.json",
            "nodes: Input should be a valid dictionary"),
    Refusal("dbt", "unknown-parent", _manifest(_ghost_parent), "manifest.json",
            "model.shop.stg_orders depends on model.shop.ghost, which is not in the manifest"),
    Refusal("dbt", "not-utf8", _dbt(_latin1), "manifest.json", "is not UTF-8 text"),
    Refusal("openlineage", "truncated-ndjson", _events(_cut_ndjson), "events.ndjson", "not valid JSON"),
    Refusal("openlineage", "truncated-list", _events(_cut_list), "events.ndjson", "not valid JSON"),
    Refusal("openlineage", "spec-9", _events(_spec(9)), "events.ndjson:1",
            "OpenLineage spec 9-0-0 is not supported (supported: 1-x-x and 2-x-x)"),
    Refusal("openlineage", "bad-run-id", _events(_run_id), "events.ndjson:4", "run.runId"),
    Refusal("openlineage", "empty", _events(lambda _: "  \n"), "events.ndjson", "is empty"),
    Refusal("lookml", "truncated-view", _lookml(lambda p: truncate(p / ORDERS_VIEW)), ORDERS_VIEW,
            "not valid LookML"),
    Refusal("lookml", "truncated-model", _lookml(lambda p: truncate(p / "shop.model.lkml")), "shop.model.lkml",
            "not valid LookML"),
    Refusal("superset", "truncated-zip", _truncated_zip, "export.zip", "not a zip file or a folder"),
    Refusal("superset", "broken-yaml", _superset(_replace(CHART, "viz_type: table", "viz_type: [table")),
            CHART, "not valid YAML"),
    Refusal("superset", "chart-cut-before-uuid", _superset(lambda e: truncate(e / CHART, 0.2)), CHART,
            "uuid: Field required"),
    Refusal("superset", "export-version-9", _superset(_replace("metadata.yaml", "version: 1.0.0", "version: 9.0.0"),
                                                      zipped=True),
            "export.zip", "export version 9.0.0 is not supported"),
    Refusal("superset", "no-metadata", _superset(lambda e: (e / "metadata.yaml").unlink()), "superset",
            "no metadata.yaml: not a Superset export"),
    Refusal("metabase", "truncated", _metabase(truncate), "metabase.json", "not valid JSON"),
    Refusal("metabase", "a-list", _metabase(lambda p: edit_json(p, lambda d: [d])), "metabase.json",
            "not a Metabase export"),
    Refusal("metabase", "card-id-text", _metabase(lambda p: edit_json(p, lambda d: d["cards"][0].update(id="x"))),
            "metabase.json", "cards[0] (id x).id: Input should be a valid integer"),
    Refusal("catalog", "truncated-file", _catalog(truncate), "warehouse.duckdb", "Could not read enough bytes"),
    Refusal("catalog", "not-duckdb", _catalog(lambda p: p.write_bytes(b"SQLite format 3\x00" + bytes(8192))),
            "warehouse.duckdb", "warehouse.duckdb is not a DuckDB database file"),
    Refusal("catalog", "corrupt-header", _catalog(_header), "warehouse.duckdb", "Corrupt database file"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[f"{c.ingestor}-{c.fault}" for c in REFUSALS])
def test_a_bad_artifact_is_refused_in_one_line_and_nothing_is_written(
    case: Refusal, baseline: Graph, good: Inputs, tmp_path: Path, hostile: HostileTally
) -> None:
    hostile.tried("artifacts")
    args = case.make(tmp_path, good)
    before = baseline.state()
    assert before.run is not None, "the baseline graph is empty: nothing to compare with"

    result = baseline.ingest(case.ingestor, args)

    assert not crashed(result), crashed(result)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.stderr or result.stdout}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"not one error line: {result.stderr!r}"
    assert case.names in lines[0] and case.says in lines[0], lines[0]
    assert baseline.state() == before, "a refused ingest changed the graph"


# ---- reported: the bad item is named, the rest ingested ----------------------------------------------


@dataclass(frozen=True)
class Reported:
    ingestor: str
    fault: str
    make: Make
    item: str  # the report line names this item...
    says: str  # ...and says this
    check: Callable[[GraphStore], None] = field(default=lambda _: None)  # what the graph holds instead


def _second_model_on_one_relation(manifest: dict[str, Any]) -> None:
    copy = manifest["nodes"]["model.shop.stg_orders"] | {"unique_id": "model.shop.stg_orders_copy",
                                                         "name": "stg_orders_copy", "compiled_code": "select 1 as x"}
    manifest["nodes"]["model.shop.stg_orders_copy"] = copy


def _kept_first_sql(store: GraphStore) -> None:
    [model] = [n for n in store.find_by_name("stg_orders", [NodeKind.MODEL]) if n.name == "stg_orders"]
    assert model.props["compiled_sql"] != "select 1 as x"
    assert model.props["dbt_unique_ids"] == ["model.shop.stg_orders"]


LOOP_VIEWS = """
view: loop_a {
  extends: [loop_b]
  sql_table_name: analytics.fct_orders ;;
  dimension: x { sql: ${TABLE}.order_id ;; }
}
view: loop_b {
  extends: [loop_a]
  sql_table_name: analytics.fct_orders ;;
  dimension: y { sql: ${TABLE}.order_id ;; }
}
"""


def _loop_views_kept(store: GraphStore) -> None:
    views = {n.name for n in store.nodes([NodeKind.SEMANTIC_MODEL])}
    assert {"loop_a", "loop_b", "orders"} <= views


def _chart_names(store: GraphStore) -> list[str]:
    return sorted(n.name for n in store.nodes([NodeKind.CHART]))


def _one_chart_per_uuid(store: GraphStore) -> None:
    assert "Orders by status" in _chart_names(store) and "Orders by status, again" not in _chart_names(store)


def _duplicate_chart(export: Path) -> None:
    text = (export / CHART).read_text(encoding="utf-8").replace("slice_name: Orders by status",
                                                                "slice_name: Orders by status, again")
    (export / "charts/Orders_by_status_again_9.yaml").write_text(text, encoding="utf-8")


def _duplicate_card(export: Path) -> None:
    edit_json(export, lambda d: d["cards"].append(d["cards"][0] | {"name": "Orders again"}))


def _first_card_kept(store: GraphStore) -> None:
    names = _chart_names(store)
    assert "Net revenue by month" in names and "Orders again" not in names


SUPERSET_DATABASE = "databases/Shop_Warehouse.yaml"


def _duplicate_superset_database(export: Path) -> None:
    text = (export / SUPERSET_DATABASE).read_text(encoding="utf-8")
    elsewhere = text.replace("duckdb:////srv/warehouse/shop.duckdb", "postgresql://elsewhere:5432/other")
    assert elsewhere != text
    (export / "databases/Shop_Warehouse_copy.yaml").write_text(elsewhere, encoding="utf-8")


def _elsewhere_database(export: dict[str, Any]) -> None:
    first = export["databases"][0]
    export["databases"].append(first | {"name": "Elsewhere", "engine": "postgres",
                                        "details": {"host": "elsewhere", "dbname": "other"}})


def _old_table_same_id(export: dict[str, Any]) -> None:
    tables = export["databases"][0]["tables"]
    tables.append(tables[0] | {"name": "fct_orders_old"})


def _no_dataset_elsewhere(store: GraphStore) -> None:
    """The first database is the one used: nothing was linked to the duplicate's warehouse."""
    ids = [n.id for n in store.nodes(DATASET_KINDS)]
    assert ids and not [i for i in ids if "elsewhere" in i], ids


def _first_table_kept(store: GraphStore) -> None:
    names = {n.qualified_name for n in store.nodes(DATASET_KINDS)}
    assert any(q.endswith("fct_orders") for q in names) and not any("fct_orders_old" in q for q in names), names


def _one_invalid_event(folder: Path, inputs: Inputs) -> list[str]:
    items = events()
    items[0]["schemaURL"] = "https://openlineage.io/spec/3-0-0/OpenLineage.json#/$defs/RunEvent"
    return [str(write_events(folder / "events.ndjson", items)), "--skip-invalid"]


def _jobs_read(store: GraphStore) -> None:
    assert len(list(store.nodes([NodeKind.JOB]))) == 6  # the events of every job but the refused one's start


REPORTED = [
    Reported("dbt", "two-models-one-relation", _manifest(_second_model_on_one_relation),
             "failure: model.shop.stg_orders_copy",
             "names relation shop.staging.stg_orders, which model.shop.stg_orders builds already", _kept_first_sql),
    Reported("lookml", "duplicate-view",
             _lookml(lambda p: shutil.copy(p / ORDERS_VIEW, p / "views/orders_again.view.lkml")),
             "warning: view orders", "defined in views/orders.view.lkml and views/orders_again.view.lkml; "
                                     "the first is used"),
    Reported("lookml", "extends-cycle", _lookml(lambda p: (p / "views/loop.view.lkml").write_text(LOOP_VIEWS)),
             "warning: view loop_a", "extends loop_b in a cycle; not followed", _loop_views_kept),
    Reported("superset", "duplicate-uuid", _superset(_duplicate_chart), "warning: uuid d3a6e9f4-5c7b-4a8d",
             f"both {CHART} and charts/Orders_by_status_again_9.yaml hold it; the first is used", _one_chart_per_uuid),
    Reported("metabase", "duplicate-card-id", _metabase(_duplicate_card), "warning: card 31",
             "both 'Net revenue by month' and 'Orders again' have this id; the first is used", _first_card_kept),
    Reported("superset", "duplicate-database-uuid", _superset(_duplicate_superset_database),
             "warning: uuid 3f1c9a52-7d7e-4b4e-9c8e",
             f"both {SUPERSET_DATABASE} and databases/Shop_Warehouse_copy.yaml hold it; the first is used",
             _no_dataset_elsewhere),
    Reported("metabase", "duplicate-database-id", _metabase(lambda p: edit_json(p, _elsewhere_database)),
             "warning: database 2", "both 'Shop warehouse' and 'Elsewhere' have this id; the first is used",
             _no_dataset_elsewhere),
    Reported("metabase", "duplicate-table-id", _metabase(lambda p: edit_json(p, _old_table_same_id)),
             "warning: table 11", "both 'fct_orders' and 'fct_orders_old' have this id; the first is used",
             _first_table_kept),
    Reported("openlineage", "skip-invalid", _one_invalid_event, "failure:",
             "RunEvent schemaURL: OpenLineage spec 3-0-0 is not supported", _jobs_read),
]


@pytest.mark.parametrize("case", REPORTED, ids=[f"{c.ingestor}-{c.fault}" for c in REPORTED])
def test_a_bad_item_is_reported_and_the_rest_ingested(
    case: Reported, good: Inputs, tmp_path: Path, hostile: HostileTally
) -> None:
    """One backend: what is reported is decided before anything is written."""
    hostile.tried("artifacts")
    graph = Graph(tmp_path / "home")
    result = graph.ingest(case.ingestor, case.make(tmp_path, good))

    assert not crashed(result), crashed(result)
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}"
    [line] = [row for row in result.stdout.splitlines() if case.item in row]
    assert case.says in line, line
    with open_store(graph.settings()) as store:
        assert store.current_run() is not None
        case.check(store)


def test_duplicate_openlineage_events_change_nothing(tmp_path: Path, hostile: HostileTally) -> None:
    """One backend: duplicates are dropped by the event log, before the graph."""
    hostile.tried("artifacts")
    graph = Graph(tmp_path / "home")
    once = graph.ingest("openlineage", [str(OPENLINEAGE_EVENTS)])
    assert once.exit_code == 0, once.stderr
    before = graph.state()
    doubled = write_events(tmp_path / "twice.ndjson", [e for event in events() for e in (event, event)])

    again = graph.ingest("openlineage", [str(doubled)])

    assert again.exit_code == 0, again.stderr
    after = graph.state()
    assert (after.stats.nodes, after.stats.edges, after.events_logged) == (
        before.stats.nodes, before.stats.edges, before.events_logged)


# ---- cycles: ingested, and lineage over them terminates ----------------------------------------------


@dataclass(frozen=True)
class Cycle:
    ingestor: str
    make: Make
    root: str  # qualified name of where lineage is traced from
    column: str | None  # ...and the column, for a column-level cycle
    upstream: str  # a qualified name downstream of the root that is also upstream of it, through the cycle
    reported: tuple[str, str] | None = None  # a summary line naming this item says this, if the cycle is reported


def _depends_on_cycle(manifest: dict[str, Any]) -> None:
    # stg_orders feeds fct_orders (through int_orders_enriched); now fct_orders feeds stg_orders too
    manifest["nodes"]["model.shop.stg_orders"]["depends_on"]["nodes"].append("model.shop.fct_orders")


def _lineage_event(job: str, source: str, target: str, minute: int) -> dict[str, Any]:
    namespace = "postgres://warehouse:5432"
    return {
        "eventTime": f"2024-06-01T03:{minute:02d}:00Z", "eventType": "COMPLETE", "producer": "hostile-suite",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, job))}, "job": {"namespace": "loops", "name": job},
        "inputs": [{"namespace": namespace, "name": source}],
        "outputs": [{"namespace": namespace, "name": target, "facets": {"columnLineage": {
            "_producer": "hostile-suite",
            "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
            "fields": {"amount": {"inputFields": [{"namespace": namespace, "name": source, "field": "amount"}]}},
        }}}],
    }


def _event_cycle(folder: Path, inputs: Inputs) -> list[str]:
    loop = [_lineage_event("x_to_y", "shop.public.x", "shop.public.y", 1),
            _lineage_event("y_to_z", "shop.public.y", "shop.public.z", 2),
            _lineage_event("z_to_x", "shop.public.z", "shop.public.x", 3)]
    return [str(write_events(folder / "loop.ndjson", loop))]


def _view_cycle(database: Path) -> None:
    with duckdb.connect(str(database)) as conn:
        conn.execute("create table sales.seed_table (amount integer)")
        conn.execute("create view sales.v1 as select amount from sales.seed_table")
        conn.execute("create view sales.v2 as select amount from sales.v1")
        # DuckDB binds a view when it is created, so the loop closes by replacing the first view
        conn.execute("create or replace view sales.v1 as select amount from sales.v2")


CYCLES = [
    Cycle("dbt", _manifest(_depends_on_cycle), "shop.staging.stg_orders", None, "shop.analytics.fct_orders",
          ("warning: model.shop.fct_orders",
           "depends on itself through model.shop.int_orders_enriched -> model.shop.stg_orders")),
    Cycle("openlineage", _event_cycle, "shop.public.x", "amount", "shop.public.z"),
    Cycle("catalog", _catalog(_view_cycle), "warehouse.sales.v1", "amount", "warehouse.sales.v2"),
]


@pytest.mark.parametrize("case", CYCLES, ids=[c.ingestor for c in CYCLES])
@pytest.mark.timeout(120)
def test_a_cycle_is_ingested_and_lineage_over_it_terminates(
    case: Cycle, fresh: Graph, good: Inputs, tmp_path: Path, hostile: HostileTally
) -> None:
    hostile.tried("artifacts")
    result = fresh.ingest(case.ingestor, case.make(tmp_path, good))
    assert not crashed(result), crashed(result)
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}"
    if case.reported is not None:
        item, says = case.reported
        [line] = [row for row in result.stdout.splitlines() if item in row]
        assert says in line, line

    with open_store(fresh.settings()) as store:
        runtime = build_runtime(Settings(home=tmp_path / "server"), store=store)
        try:
            [root] = [n.id for n in store.find_by_name(case.root.rsplit(".", 1)[-1]) if n.qualified_name == case.root]
            asked = [{"ref": root}, *([{"ref": root, "column": case.column}] if case.column else [])]
            for question in asked:
                for direction in ("upstream", "both"):
                    answer = call(runtime, ToolName.TRACE_LINEAGE, {**question, "direction": direction, "depth": 10})
                    assert isinstance(answer, dict), f"trace_lineage {question} {direction}: {answer}"
                    ids = [node["id"] for node in answer["nodes"]]
                    assert len(ids) == len(set(ids)), "a node is listed twice: the walk went round the cycle"
                    assert any(case.upstream in node_id for node_id in ids), f"{case.upstream} not reached: {ids}"
        finally:
            runtime.close()


# ---- size: a 100 MB text, 50k models of garbage SQL (child processes, measured) ----------------------

REPO = Path(__file__).resolve().parents[2]
# The file, its decoded text and the validated model each hold the text once, and the OpenLineage event
# log stores the raw event and reads it back: a few copies of 100 MB, plus ~150 MB of interpreter and
# libraries. Before the sink cut long texts, the dbt case alone peaked at 1.7 GB writing the graph.
PEAK_RSS_LIMIT_MB = 1536
GARBAGE_PEAK_RSS_LIMIT_MB = 2560


@dataclass(frozen=True)
class Measured:
    code: int
    stdout: str
    stderr: str
    peak_mb: float
    seconds: float


# The ingest runs under a small interpreter that reports its child's peak. Measured straight from this
# process, the peak would include this process's own: Linux counts the memory a child had before exec (the
# parent's image, shared by fork or vfork) in its maxrss, and pytest here holds more than a gigabyte.
_PEAK_OF_CHILD = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(str(peak_kb))
sys.exit(code)
"""


def run_measured(args: list[str], graph: Graph, folder: Path, timeout_s: float) -> Measured:
    """`datagraph ARGS` as a child process, with its own peak resident memory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAGRAPH_")}
    env.update({k: v for k, v in graph.env().items() if v is not None})
    out, err, peak = folder / "stdout.txt", folder / "stderr.txt", folder / "peak_kb.txt"
    command = [sys.executable, "-c", _PEAK_OF_CHILD, str(peak), sys.executable, "-m", "datagraph.cli", *args]
    started = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, cwd=REPO, start_new_session=True)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
            pytest.fail(f"datagraph {' '.join(args[:2])} did not finish in {timeout_s:.0f} s")
    return Measured(process.returncode, out.read_text(), err.read_text(), int(peak.read_text()) / 1024,
                    time.monotonic() - started)


def _huge_dbt(folder: Path, inputs: Inputs, text: str) -> list[str]:
    target = inputs.dbt(folder)
    edit_json(target / "manifest.json",
              lambda m: m["nodes"]["model.shop.stg_orders"].update(description=text))
    return [str(target)]


def _huge_event(folder: Path, inputs: Inputs, text: str) -> list[str]:
    items = events()
    items[-1]["job"]["facets"]["documentation"] = {
        "_producer": "hostile-suite", "description": text,
        "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/DocumentationJobFacet.json"}
    return [str(write_events(folder / "events.ndjson", items))]


def _huge_chart(folder: Path, inputs: Inputs, text: str) -> list[str]:
    export = superset(folder)
    _replace(CHART, "description: null", f"description: {text}")(export)
    return [str(export)]


def _huge_card(folder: Path, inputs: Inputs, text: str) -> list[str]:
    export = metabase(folder)
    edit_json(export, lambda d: d["cards"][0].update(description=text))
    return [str(export)]


HUGE: dict[str, Callable[[Path, Inputs, str], list[str]]] = {
    "dbt": _huge_dbt, "openlineage": _huge_event, "superset": _huge_chart, "metabase": _huge_card,
}


@pytest.mark.parametrize("ingestor", list(HUGE))
def test_a_100_mb_text_is_cut_and_costs_a_few_copies_of_itself(
    ingestor: str, tmp_path: Path, good: Inputs, hostile: HostileTally
) -> None:
    hostile.tried("artifacts")
    args = HUGE[ingestor](tmp_path, good, "x" * HUNDRED_MB)
    graph = Graph(tmp_path / "home")

    run = run_measured(["ingest", ingestor, *args, "--home", str(graph.home)], graph, tmp_path, 300)
    print(f"{ingestor}: 100 MB field ingested in {run.seconds:.1f} s, peak RSS {run.peak_mb:.0f} MB")
    for path in tmp_path.rglob("*"):  # 100 MB files are not kept for later runs to look at
        if path.is_file() and path.stat().st_size > HUNDRED_MB // 2:
            path.unlink()

    assert run.code == 0, run.stderr
    assert f"description of {HUNDRED_MB} characters cut to its first {MAX_TEXT_CHARS} characters" in run.stdout
    with open_store(graph.settings(), read_only=True) as store:
        cut = [n for n in store.nodes() if len(n.description) == MAX_TEXT_CHARS]
    assert len(cut) == 1 and set(cut[0].description) == {"x"}
    assert run.peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_mb:.0f} MB for a 100 MB field"


GARBAGE_SQL = (
    "selec * fro where {i}",
    "}}}}{{{{ not sql {i}",
    "select a{i}, from b join on",
    "drop table;;;; select {i}",
    "select * from {{{{ ref('m{i}') }}}}",
)


def _garbage_models(manifest: dict[str, Any]) -> None:
    for i in range(GARBAGE_MODELS):
        unique_id = f"model.shop.garbage_{i}"
        sql = GARBAGE_SQL[i % len(GARBAGE_SQL)].format(i=i)
        manifest["nodes"][unique_id] = {
            "unique_id": unique_id, "resource_type": "model", "name": f"garbage_{i}", "package_name": "shop",
            "database": "shop", "schema": "garbage", "alias": f"garbage_{i}", "language": "sql",
            "raw_code": sql, "compiled_code": sql, "original_file_path": f"models/garbage/garbage_{i}.sql",
            "fqn": ["shop", "garbage", f"garbage_{i}"], "config": {"materialized": "view"},
            "depends_on": {"nodes": ["model.shop.stg_orders"]},
        }


def _shop_lineage(store: GraphStore) -> set[tuple[str, str, str]]:
    return {(e.source, e.kind.value, e.target) for e in store.edges() if "garbage" not in e.source + e.target}


def test_50k_models_of_garbage_sql_are_each_reported_and_the_good_lineage_kept(
    tmp_path: Path, good: Inputs, hostile: HostileTally
) -> None:
    hostile.tried("artifacts")
    clean = Graph(tmp_path / "clean")
    assert clean.ingest("dbt", [str(good.dbt_target), "--quiet"]).exit_code == 0
    target = good.dbt(tmp_path / "garbage")
    edit_json(target / "manifest.json", _garbage_models)
    graph = Graph(tmp_path / "home")

    run = run_measured(["ingest", "dbt", str(target), "--home", str(graph.home)], graph, tmp_path, 900)
    print(f"{GARBAGE_MODELS} garbage models ingested in {run.seconds:.1f} s, peak RSS {run.peak_mb:.0f} MB")
    # Measured about 1.5 GB: the manifest's parsed JSON, the nodes, their snapshot and the run's diff at once.
    # Bounded means that, not more: a leak per model would show here first.
    assert run.peak_mb < GARBAGE_PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_mb:.0f} MB for {GARBAGE_MODELS} models"

    assert run.code == 0, run.stderr
    listed = [line for line in run.stdout.splitlines() if "warning: model.shop.garbage_" in line]
    assert len(listed) == 10 and all("compiled SQL not analysed" in line for line in listed), run.stdout[-3000:]
    with open_store(graph.settings(), read_only=True) as store, open_store(clean.settings(), read_only=True) as ref:
        run_info = store.current_run()
        assert run_info is not None and run_info.meta["lineage_coverage"]["unknown"] >= GARBAGE_MODELS
        garbage = [n for n in store.nodes([NodeKind.MODEL]) if n.name.startswith("garbage_")]
        assert len(garbage) == GARBAGE_MODELS
        assert all(n.props["lineage"]["status"] == "unparsed" and n.props["lineage"]["reason"] for n in garbage)
        assert _shop_lineage(store) == _shop_lineage(ref), "the good models' lineage changed"
