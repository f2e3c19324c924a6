"""`datagraph lineage` and `datagraph impact` for a person at a terminal, on the ingested shop project."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datagraph.cli import app
from graph_schema.store.embedded.store import EmbeddedStore
from ingestors.dbt.ingest import ingest_dbt_project


@pytest.fixture(scope="module")
def home(shop_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-home")
    with EmbeddedStore(folder / "graph") as store:
        ingest_dbt_project(shop_project, store, workers=1)
    return folder


def run(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--home", str(home)], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_lineage_prints_a_table_json_and_mermaid(home: Path) -> None:
    code, out = run(home, "lineage", "fct_daily_revenue", "--column", "net_revenue", "--depth", "2")
    assert code == 0, out
    assert "fct_orders.net_amount" in out and "aggregated" in out
    assert "rows of fct_daily_revenue: filter on fct_orders.order_status" in out
    code, out = run(home, "lineage", "int_order_payments", "--direction", "downstream", "--depth", "1",
                    "--format", "json")
    assert code == 0, out
    assert [n["name"] for n in json.loads(out)["nodes"]] == ["int_order_payments", "int_orders_enriched"]
    code, out = run(home, "lineage", "int_order_payments", "--direction", "downstream", "--depth", "1",
                    "--format", "mermaid")
    assert code == 0, out
    assert out.splitlines()[0] == "flowchart LR" and "    n0 --> n1" in out.splitlines()


def test_impact_prints_severity_reasons_and_what_to_do(home: Path) -> None:
    code, out = run(home, "impact", "stg_customers", "--change", "rename_column", "--column", "email",
                    "--new-name", "email_address")
    assert code == 0, out
    assert "2 breaking, 0 at risk" in out
    assert "read email_address instead of email" in out
    code, out = run(home, "impact", "stg_orders", "--change", "drop_column", "--column", "discount_amount",
                    "--format", "json")
    assert code == 0, out
    assert json.loads(out)["summary"] == {"breaking": 40, "at_risk": 2}


def test_bad_input_is_one_line_and_a_non_zero_exit(home: Path) -> None:
    code, out = run(home, "impact", "stg_orders", "--change", "drop_column", "--column", "nope")
    assert code == 2
    assert out.strip().startswith("error: [not_found] stg_orders has no column 'nope'")
    code, out = run(home, "lineage", "no_such_model")
    assert code == 2 and "[not_found]" in out
