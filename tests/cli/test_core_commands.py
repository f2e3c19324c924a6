"""The CLI as a person runs it: a subprocess, its output, its exit code."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def datagraph(*args: str, home: Path | None = None, stdin: str | None = None, env: dict | None = None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DATAGRAPH_")}
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "datagraph.cli", *args]
    if home is not None:
        cmd += ["--home", str(home)]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=300, cwd=REPO, env=full_env)


def test_sql_lineage_prints_the_contract_shape():
    sql = (
        "select o.id as order_id, sum(p.amount) as total from shop.orders o "
        "join shop.payments p on p.order_id = o.id where o.status = 'done' group by 1"
    )
    result = datagraph("sql", "lineage", "--dialect", "duckdb", "-", stdin=sql)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    columns = {c["name"]: [(s["table"], s["column"], s["transformation"]) for s in c["sources"]] for c in out["columns"]}
    assert columns == {
        "order_id": [("shop.orders", "id", "renamed")],
        "total": [("shop.payments", "amount", "aggregated")],
    }
    assert sorted(out["tables"]["read"]) == ["shop.orders", "shop.payments"]
    assert out["tables"]["write"] == []


def test_sql_lineage_uses_a_schema_file_to_expand_stars(tmp_path):
    (tmp_path / "schema.json").write_text(json.dumps({"main.orders": {"id": "int", "amount": "int"}}))
    (tmp_path / "q.sql").write_text("select * from main.orders")
    result = datagraph("sql", "lineage", "--dialect", "duckdb", "--schema", str(tmp_path / "schema.json"),
                       str(tmp_path / "q.sql"))
    assert result.returncode == 0, result.stderr
    assert [c["name"] for c in json.loads(result.stdout)["columns"]] == ["id", "amount"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["sql", "lineage", "--dialect", "duckdb", "-"], "selec from (", "standard input: SQL does not parse as duckdb at line 1"),
        (["sql", "lineage", "--dialect", "klingon", "-"], "select 1", "unknown SQL dialect 'klingon'"),
        (["sql", "lineage", "--dialect", "duckdb", "no/such.sql"], None, "no/such.sql: no such file"),
        (["sql", "lineage", "--dialect", "duckdb", "-"], "   ", "standard input: no SQL to analyse"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args, stdin, message):
    result = datagraph(*args, stdin=stdin)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


@pytest.mark.parametrize(
    "args", [("status",), ("ingest", "openlineage", "events.ndjson"), ("demo",)], ids=["status", "ingest", "demo"]
)
def test_bad_config_is_one_line_naming_the_setting(tmp_path, args):
    result = datagraph(*args, home=tmp_path, env={"DATAGRAPH_GRAPH_URI": "http://wrong"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: bad setting DATAGRAPH_GRAPH_URI: Value error, must start with one of neo4j://, neo4j+s://, "
        "neo4j+ssc://, bolt://, bolt+s://, bolt+ssc://"
    ]


def test_config_file_is_read_and_environment_wins(tmp_path):
    (tmp_path / "datagraph.toml").write_text(f'home = "{tmp_path / "from-file"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAGRAPH_")}
    run = lambda extra: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "datagraph.cli", "status", "--json"], capture_output=True, text=True,
        cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO), **extra}, timeout=120,
    )
    from_file = run({})
    assert from_file.returncode == 0, from_file.stderr
    assert json.loads(from_file.stdout)["location"] == str(tmp_path / "from-file" / "graph")
    from_env = run({"DATAGRAPH_HOME": str(tmp_path / "from-env")})
    assert json.loads(from_env.stdout)["location"] == str(tmp_path / "from-env" / "graph")


def test_demo_answers_from_the_estate_it_built_and_status_shows_it(tmp_path, request):
    # the shop build the other tests cache, so that dbt builds the estate once per machine
    cache = request.config.cache.mkdir("shop_dbt_build") if request.config.cache is not None else tmp_path / "cache"
    demo = datagraph("demo", "--build-cache", str(cache), home=tmp_path, env={"COLUMNS": "200"})
    assert demo.returncode == 0, demo.stderr
    out = demo.stdout
    # a metric resolved, with its definition and where it is computed
    assert "resolved: Net Revenue (metric:dbt.shop.net_revenue)" in out
    assert "definition: Revenue after order discounts" in out
    assert "computed as sum(net_amount) from dataset:duckdb://shop/shop.analytics.fct_orders" in out
    # a column traced to the operational database the loader copies, with the transformations on the way
    assert "int_orders_enriched.net_amount → fct_orders.net_amount (passthrough)" in out
    assert "orders.discount_cents → raw_orders.discount_cents (passthrough)" in out
    # an impact with breaking items, their reasons and owners, across dbt and the BI tools
    assert "breaking metric shop.net_revenue" in out and "owners: finance-data@shop.example" in out
    assert "breaking dashboard superset.sales-overview" in out
    # the deploy's regression: the filter that changed, in the run that saw it
    assert "int_customer_events_unioned: SQL changed" in out and "of dbt:shop at " in out
    assert "+    where order_status not in ('placed', 'returned')" in out
    assert "int_orders_enriched: column gift_card_amount removed" in out
    status = datagraph("status", "--json", home=tmp_path)
    stats = json.loads(status.stdout)
    assert stats["backend"] == "embedded"
    assert stats["nodes_by_kind"]["dashboard"] >= 4 and stats["nodes_by_kind"]["metric"] >= 10
    assert stats["current_run"]["source"] == "catalog:duckdb://shop/shop"
    # a second demo on the same home answers the same regression, not the history of the first
    again = datagraph("demo", "--build-cache", str(cache), home=tmp_path, env={"COLUMNS": "200"})
    assert again.returncode == 0, again.stderr
    assert "-    where order_status not in ('placed', 'returned')" not in again.stdout
    assert "+    where order_status not in ('placed', 'returned')" in again.stdout
