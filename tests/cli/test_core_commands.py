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


def test_bad_config_is_one_line_naming_the_setting(tmp_path):
    result = datagraph("status", home=tmp_path, env={"DATAGRAPH_GRAPH_URI": "http://wrong"})
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


def test_demo_then_status_show_the_same_snapshot(tmp_path):
    demo = datagraph("demo", home=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "shop.marts.revenue_by_country" in demo.stdout
    status = datagraph("status", "--json", home=tmp_path)
    stats = json.loads(status.stdout)
    assert stats["backend"] == "embedded"
    assert stats["nodes"] > 0 and stats["current_run"]["source"].startswith(("demo:", "dbt:"))
    again = datagraph("demo", home=tmp_path)
    assert again.returncode == 0, again.stderr
