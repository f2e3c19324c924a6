"""The engine's boundaries: typed errors, the JSON contract shape, expressions, and one-walk resolution."""

import json

import pytest

from graph_schema.errors import DatagraphError
from graph_schema.kinds import Transformation
from graph_schema.sql_lineage import (
    SqlLineageError,
    SqlParseError,
    SqlSchemaError,
    UnsupportedStatementError,
    analyze,
    lineage_json,
)


def test_parse_error_is_typed_and_points_at_the_line() -> None:
    sql = "SELECT a,\n       b\nFROM t\nWHERE AND x = 1"
    with pytest.raises(SqlParseError) as caught:
        analyze(sql, "postgres")
    assert isinstance(caught.value, DatagraphError)
    assert caught.value.line == 4
    assert caught.value.column is not None and 7 <= caught.value.column <= len("WHERE AND x = 1")
    assert "line 4" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unclosed_parenthesis_points_at_its_line() -> None:
    with pytest.raises(SqlParseError) as caught:
        analyze("SELECT id\nFROM t\nWHERE (a = 1", "duckdb")
    assert caught.value.line == 3


def test_unterminated_string_is_a_parse_error() -> None:
    with pytest.raises(SqlParseError, match="does not parse as snowflake"):
        analyze("select 'abc from t", "snowflake")


@pytest.mark.parametrize(
    ("sql", "dialect", "error"),
    [
        ("SELECT a FROM t; SELECT b FROM u", "postgres", SqlLineageError),
        ("DROP TABLE t", "postgres", UnsupportedStatementError),
        ("GRANT SELECT ON t TO analyst", "postgres", UnsupportedStatementError),
        ("SELECT 1", "no-such-dialect", SqlLineageError),
        ("   ", "duckdb", SqlParseError),
    ],
)
def test_unusable_input_raises_a_typed_one_line_error(sql: str, dialect: str, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        analyze(sql, dialect)
    assert isinstance(caught.value, DatagraphError)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"orders": {"id": "int"}, "staging.raw": {"id": "int"}}, "default catalog and db"),
        ({"orders": 5}, "int"),
        ({"a.b.c.d": {"id": "int"}}, "more than 3"),
        (["orders"], "mapping"),
    ],
)
def test_bad_schema_is_a_schema_error(schema: object, message: str) -> None:
    with pytest.raises(SqlSchemaError, match=message):
        analyze("SELECT id FROM orders", "duckdb", schema)  # type: ignore[arg-type]


def test_postgresql_is_accepted_as_a_dialect_name() -> None:
    assert analyze("SELECT Id FROM T", "postgresql").columns[0].name == "id"


def test_lineage_json_has_the_contract_shape() -> None:
    sql = """
        INSERT INTO mart.revenue
        SELECT o.region, SUM(o.amount) AS revenue
        FROM orders o JOIN regions r ON r.code = o.region
        WHERE r.active
        GROUP BY o.region
    """
    result = lineage_json(sql, "duckdb")
    assert json.loads(json.dumps(result)) == result
    assert set(result) >= {"columns", "tables"}
    assert result["tables"] == {"read": ["orders", "regions"], "write": ["mart.revenue"]}
    assert [c["name"] for c in result["columns"]] == ["region", "revenue"]
    revenue = result["columns"][1]["sources"]
    assert len(revenue) == 1
    assert {k: revenue[0][k] for k in ("table", "column", "transformation")} == {
        "table": "orders",
        "column": "amount",
        "transformation": "aggregated",
    }
    assert revenue[0]["confidence"] == 1.0
    roles = {(s["table"], s["column"], s["role"]) for s in result["row_shaping"]}
    assert roles == {
        ("orders", "region", "join"),
        ("orders", "region", "group_by"),
        ("regions", "code", "join"),
        ("regions", "active", "filter"),
    }


def test_sources_carry_the_innermost_transforming_expression() -> None:
    sql = """
        WITH staged AS (SELECT id, amount * 100 AS cents FROM payments)
        SELECT id, cents AS amount_cents, SUM(cents) OVER () AS total_cents FROM staged
    """
    columns = {c.name: c.sources for c in analyze(sql, "postgres").columns}
    assert columns["id"][0].expression is None
    assert columns["amount_cents"][0].transformation is Transformation.DERIVED
    # the innermost step that transforms the column, not the outer window over it
    assert (columns["amount_cents"][0].expression or "").endswith("amount * 100")
    assert columns["total_cents"][0].transformation is Transformation.WINDOW
    assert (columns["total_cents"][0].expression or "").endswith("amount * 100")


def test_unused_schema_tables_do_not_appear() -> None:
    schema = {"orders": {"id": "int"}, "unrelated": {"x": "int"}}
    result = analyze("SELECT id FROM orders", "duckdb", schema)
    assert result.tables.read == ["orders"]


@pytest.mark.timeout(60)
def test_shared_ctes_are_resolved_once() -> None:
    # Each CTE reads the one before it twice: resolving without memoisation per (scope, column) would take
    # 2**depth steps; with it the walk is linear.
    depth = 40
    ctes = ["c0 AS (SELECT id, amount AS x FROM payments)"]
    for i in range(1, depth):
        ctes.append(f"c{i} AS (SELECT a.id, a.x + b.x AS x FROM c{i - 1} a JOIN c{i - 1} b ON a.id = b.id)")
    sql = f"WITH {', '.join(ctes)} SELECT id, x FROM c{depth - 1}"
    columns = {c.name: [(s.table, s.column, s.transformation.value) for s in c.sources] for c in analyze(sql, "duckdb").columns}
    assert columns == {"id": [("payments", "id", "passthrough")], "x": [("payments", "amount", "derived")]}


def test_wide_generated_model_resolves_every_column() -> None:
    width = 60
    names = [f"m{i}" for i in range(width)]
    schema = {"raw.facts": {"id": "int", "grp": "varchar", **{n: "double" for n in names}}}
    staged = ", ".join(f"CAST({n} AS DOUBLE) AS {n}" for n in names)
    summed = ", ".join(f"SUM({n}) AS {n}_sum" for n in names)
    sql = (
        f"WITH s AS (SELECT id, grp, {staged} FROM raw.facts WHERE id > 0), "
        f"w AS (SELECT grp, {summed} FROM s GROUP BY grp) "
        f"SELECT * FROM w"
    )
    result = analyze(sql, "duckdb", schema)
    assert [c.name for c in result.columns] == ["grp", *[f"{n}_sum" for n in names]]
    for name, column in zip(names, result.columns[1:]):
        assert [(s.table, s.column, s.transformation) for s in column.sources] == [
            ("raw.facts", name, Transformation.AGGREGATED)
        ]
    assert {(s.column, s.role) for s in result.row_shaping} == {
        ("id", Transformation.FILTER),
        ("grp", Transformation.GROUP_BY),
    }
