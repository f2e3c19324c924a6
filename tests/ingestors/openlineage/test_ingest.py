"""Loader events into the graph: jobs, runs, the raw tables the dbt project reads, column lineage."""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from graph_schema.config import load_settings
from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.store import Direction, GraphStore, open_store
from ingestors.openlineage.cli import ingest_openlineage_command
from ingestors.openlineage.config import OpenLineageConfig
from ingestors.openlineage.errors import OpenLineageInputError
from ingestors.openlineage.ingest import ingest_events, ingest_openlineage_file
from ingestors.openlineage.projection import job_id
from tests.ingestors.openlineage.shop_events import run_uuid

RAW = "dataset:duckdb://shop/shop.raw"
PG = "dataset:postgres://shop-db.internal:5432/shop.public"
PAYMENTS_JOB = job_id("fivetran://shop", "shop_postgres.payments")


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def upstream(store: GraphStore, node: str, kind: EdgeKind) -> dict[str, dict]:
    return {n.node.id: dict(n.edge.props) for n in store.neighbours(node, Direction.UPSTREAM, [kind])}


def test_jobs_runs_and_datasets(embedded: GraphStore, events_file: Path, tmp_path: Path) -> None:
    result = ingest_openlineage_file(events_file, embedded, tmp_path)
    assert result.source == "openlineage" and result.committed
    assert result.report.nodes_by_kind == {"column": 71, "job": 6, "run": 7, "table": 12}
    job = embedded.get(PAYMENTS_JOB)
    assert job is not None and job.owners == ("platform-team@shop.example",)
    assert job.props["job_type"] == {"processingType": "BATCH", "integration": "FIVETRAN", "jobType": "SYNC"}
    assert job.props["latest_run"]["state"] == "COMPLETE"  # type: ignore[index]
    failed = embedded.get(f"run:{run_uuid('payments-attempt-1')}")
    assert failed is not None and failed.props["state"] == "FAIL"
    error = failed.props["error"]
    assert isinstance(error, dict) and error["message"] == "connection reset by peer while reading shop.public.payments"
    assert failed.props["duration_s"] == 40.0
    members = {n.node.id for n in embedded.neighbours(PAYMENTS_JOB, Direction.UPSTREAM, [EdgeKind.MEMBER_OF])}
    assert members == {f"run:{run_uuid('payments-attempt-1')}", f"run:{run_uuid('payments-2024-06-01')}"}
    # the job sits between the operational table and the raw table the dbt project reads
    assert set(upstream(embedded, PAYMENTS_JOB, EdgeKind.FEEDS)) == {f"{PG}.payments"}
    assert set(upstream(embedded, f"{RAW}.raw_payments", EdgeKind.FEEDS)) == {PAYMENTS_JOB}
    raw = embedded.get(f"{RAW}.raw_payments")
    assert raw is not None and raw.kind is NodeKind.TABLE and raw.aliases == ()
    amount = embedded.get(column_id(f"{RAW}.raw_payments", "amount_cents"))
    assert amount is not None and amount.props["data_type"] == "INTEGER"


def test_column_lineage_facet(embedded: GraphStore, events_file: Path, tmp_path: Path) -> None:
    ingest_openlineage_file(events_file, embedded, tmp_path)
    cents = upstream(embedded, column_id(f"{RAW}.raw_payments", "amount_cents"), EdgeKind.COLUMN_FEEDS)
    assert cents == {column_id(f"{PG}.payments", "amount"): {
        "transformation": "derived", "confidence": 1.0, "job": PAYMENTS_JOB,
        "description": "amount in dollars times 100"}}
    method = upstream(embedded, column_id(f"{RAW}.raw_payments", "payment_method"), EdgeKind.COLUMN_FEEDS)
    assert [p["transformation"] for p in method.values()] == ["renamed"]
    # a dataset-wide INDIRECT FILTER shapes the rows of the output
    shaping = upstream(embedded, f"{RAW}.web_events", EdgeKind.COLUMN_SHAPES)
    assert shaping == {column_id("dataset:s3://shop-events/clickstream", "is_bot"): {
        "role": "filter", "confidence": 1.0, "job": job_id("airflow://platform", "clickstream.land_web_events")}}


def test_same_events_again_change_nothing(store: GraphStore, events_file: Path, tmp_path: Path) -> None:
    first = ingest_openlineage_file(events_file, store, tmp_path)
    assert first.summary.changed
    again = ingest_openlineage_file(events_file, store, tmp_path)
    assert not again.committed and not again.summary.changed
    assert again.report.stats["events_new"] == 0 and again.report.stats["events_in_log"] == 14
    assert len(store.runs(source="openlineage")) == 1
    # another event log holding the same events projects to the same graph
    elsewhere = ingest_openlineage_file(events_file, store, tmp_path / "elsewhere")
    assert elsewhere.committed and not elsewhere.summary.changed


def test_batches_in_any_order_give_the_same_graph(store: GraphStore, events_file: Path, tmp_path: Path) -> None:
    """The graph is the projection of the whole log, so the HTTP endpoint's many small posts add up."""
    raw = events(events_file)
    home = tmp_path / "posted"
    for event in reversed(raw):
        ingest_events(store, [event], home)
    posted = {n.id: n for n in store.nodes()}
    with open_store(load_settings(home=tmp_path / "file")) as other:
        ingest_openlineage_file(events_file, other, tmp_path / "file")
        assert {n.id: n for n in other.nodes()} == posted


def test_old_runs_leave_the_graph_not_the_log(embedded: GraphStore, events_file: Path, tmp_path: Path) -> None:
    result = ingest_openlineage_file(events_file, embedded, tmp_path, config=OpenLineageConfig(runs_kept=1))
    assert result.report.stats["runs"] == 6
    assert embedded.get(f"run:{run_uuid('payments-attempt-1')}") is None
    assert embedded.get(f"run:{run_uuid('payments-2024-06-01')}") is not None
    with sqlite3.connect(tmp_path / "openlineage" / "events.sqlite") as log:
        assert log.execute("select count(*) from events").fetchone()[0] == 14


def test_invalid_event_rejects_the_file_and_writes_nothing(store: GraphStore, events_file: Path,
                                                           tmp_path: Path) -> None:
    lines = events_file.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[3])
    bad["run"]["runId"] = "not-a-uuid"
    lines[3] = json.dumps(bad)
    path = tmp_path / "bad.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(OpenLineageInputError) as caught:
        ingest_openlineage_file(path, store, tmp_path / "home")
    assert str(caught.value).startswith(f"{path}:4: RunEvent run.runId: ")
    assert store.current_run() is None
    assert not (tmp_path / "home" / "openlineage").exists()


def test_api_reports_invalid_events_and_ingests_the_rest(embedded: GraphStore, events_file: Path,
                                                         tmp_path: Path) -> None:
    batch: list[Any] = [*events(events_file)[:2], {"eventTime": "yesterday"}, ["not", "an", "event"]]
    result = ingest_events(embedded, batch, tmp_path)
    assert [(f.item, f.message) for f in result.report.failures] == [
        ("event 3", "not an OpenLineage event: it has no run, job or dataset"),
        ("event 4", "an event is a JSON object, not list"),
    ]
    assert result.report.stats["events_new"] == 2 and result.committed


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(ingest_openlineage_command)
    return app


def test_cli(tmp_path: Path, events_file: Path) -> None:
    home = tmp_path / "home"
    ok = CliRunner().invoke(cli_app(), [str(events_file), "--home", str(home)])
    assert ok.exit_code == 0, ok.output
    assert "openlineage: ingested in" in ok.stdout
    broken = tmp_path / "broken.ndjson"
    broken.write_text('{"eventTime": \n', encoding="utf-8")
    bad = CliRunner().invoke(cli_app(), [str(broken), "--home", str(home)])
    assert bad.exit_code == 2
    assert bad.stderr.strip().splitlines() == [
        f"error: {broken}:2: not valid JSON: Expecting value (column 1)"]
