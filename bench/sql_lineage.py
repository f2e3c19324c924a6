"""Benchmark of the SQL column-lineage engine on a generated wide dbt-style model.

The model has a chain of CTEs (staging, joins, window, aggregate) ending in 50 output columns, about
300 lines of SQL. Prints milliseconds per analysis and writes bench/results/sql_lineage.json.

    python bench/sql_lineage.py [--columns 50] [--repeat 20]
"""

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import sqlglot

from graph_schema.sql_lineage import analyze

RESULTS = Path(__file__).parent / "results" / "sql_lineage.json"


def wide_model(columns: int) -> tuple[str, dict[str, dict[str, str]]]:
    """A ~300-line model whose final SELECT has `columns` outputs, and the schema of its two sources."""
    names = [f"metric_{i:02d}" for i in range(columns)]
    schema = {
        "raw.orders": {"id": "int", "customer_id": "int", "ordered_at": "timestamp", **{n: "double" for n in names}},
        "raw.customers": {"id": "int", "region": "varchar", "segment": "varchar", "signed_up_at": "timestamp"},
    }
    staged = ",\n".join(f"        CAST({n} AS DOUBLE) AS {n}" for n in names)
    joined = ",\n".join(
        f"        CASE WHEN c.segment = 'enterprise' THEN o.{n} * 1.2 ELSE o.{n} END AS {n}" for n in names
    )
    windowed = ",\n".join(
        f"        SUM({n}) OVER (PARTITION BY customer_id ORDER BY ordered_at) AS {n}" for n in names
    )
    aggregated = ",\n".join(f"        AVG({n}) AS {n}" for n in names)
    final = ",\n".join(f"    a.{n} AS {n}_avg" for n in names[: columns - 2])
    sql = f"""WITH staged AS (
    SELECT
        id,
        customer_id,
        ordered_at,
{staged}
    FROM raw.orders
    WHERE ordered_at >= DATE '2020-01-01'
),
joined AS (
    SELECT
        o.id,
        o.customer_id,
        o.ordered_at,
        c.region,
{joined}
    FROM staged o
    JOIN raw.customers c ON c.id = o.customer_id
),
windowed AS (
    SELECT
        id,
        customer_id,
        ordered_at,
        region,
{windowed}
    FROM joined
),
aggregated AS (
    SELECT
        region,
        customer_id,
{aggregated}
    FROM windowed
    GROUP BY region, customer_id
)
SELECT
    a.region,
    a.customer_id,
{final}
FROM aggregated a
"""
    return sql, schema


def _median_ms(sql: str, schema: dict[str, dict[str, str]] | None, repeat: int) -> tuple[float, float, int]:
    analyze(sql, "duckdb", schema)  # warm up imports and sqlglot's caches
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = analyze(sql, "duckdb", schema)
        timings.append((time.perf_counter() - start) * 1000)
    p90 = sorted(timings)[int(0.9 * (len(timings) - 1))]
    return round(statistics.median(timings), 2), round(p90, 2), len(result.columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    sql, schema = wide_model(args.columns)
    with_schema = _median_ms(sql, schema, args.repeat)
    without_schema = _median_ms(sql, None, args.repeat)
    parse_ms = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        sqlglot.parse_one(sql, read="duckdb")
        parse_ms.append((time.perf_counter() - start) * 1000)

    report = {
        "benchmark": "sql_lineage.analyze",
        "sql_lines": sql.count("\n") + 1,
        "output_columns": with_schema[2],
        "repeat": args.repeat,
        "with_schema": {"median_ms": with_schema[0], "p90_ms": with_schema[1]},
        "without_schema": {"median_ms": without_schema[0], "p90_ms": without_schema[1]},
        "parse_only_median_ms": round(statistics.median(parse_ms), 2),
        "sqlglot": sqlglot.__version__,
        "python": platform.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"analyze {report['sql_lines']} lines, {report['output_columns']} columns: "
        f"median {with_schema[0]} ms with schema, {without_schema[0]} ms without "
        f"(p90 {with_schema[1]} / {without_schema[1]} ms; parse alone {report['parse_only_median_ms']} ms)"
    )


if __name__ == "__main__":
    main()
