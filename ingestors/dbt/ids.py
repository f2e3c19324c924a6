"""Graph ids of what a dbt project holds.

Relations (models, seeds, snapshots, sources) are datasets named by the warehouse relation they build or
read, so that the same table seen by a catalog crawl or an OpenLineage event is the same node. Everything
else is named after its dbt unique_id under the `dbt.` namespace: `metric:dbt.shop.net_revenue`,
`measure:dbt.shop.orders.net_revenue` (semantic model, then measure).
"""

from graph_schema.ids import make_id
from graph_schema.kinds import NodeKind
from graph_schema.naming import DatasetName, dataset_name, platform

# dbt adapter type -> sqlglot dialect of its compiled SQL
ADAPTER_DIALECTS: dict[str, str] = {
    "duckdb": "duckdb",
    "postgres": "postgres",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "databricks": "databricks",
    "spark": "spark",
    "trino": "trino",
    "athena": "athena",
    "sqlserver": "tsql",
    "fabric": "tsql",
    "synapse": "tsql",
    "clickhouse": "clickhouse",
    "mysql": "mysql",
    "oracle": "oracle",
    "teradata": "teradata",
    "materialize": "postgres",
    "sqlite": "sqlite",
}


def dialect_for(adapter_type: str) -> str:
    return ADAPTER_DIALECTS.get(adapter_type.lower(), adapter_type.lower())


def relation_name(adapter_type: str, authority: str | None, database: str | None, schema: str | None,
                  identifier: str) -> DatasetName:
    """The dataset name of a relation; DuckDB's namespace is its database (the file's catalog name)."""
    if authority is None and platform(adapter_type).needs_authority:
        authority = database or "default"
    return dataset_name(adapter_type, authority, database, schema, identifier)


def _body(unique_id: str) -> str:
    # "metric.shop.net_revenue" -> "dbt.shop.net_revenue"; the resource type is the id prefix already.
    return "dbt." + unique_id.split(".", 1)[1]


def dbt_node_id(kind: NodeKind, unique_id: str) -> str:
    return make_id(kind.value, _body(unique_id))


def semantic_field_id(kind: NodeKind, semantic_model_unique_id: str, field: str) -> str:
    return make_id(kind.value, f"{_body(semantic_model_unique_id)}.{field}")
