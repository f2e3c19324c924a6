"""Identity across sources: one physical table is one dataset node, whichever tool names it and how.

`warehouse` turns a tool's connection into a platform and namespace, `resolver` turns a table name read
through it into a dataset name (never guessing an ambiguous one), `builder` asserts the datasets and
columns a tool reads with the tool's spelling as an alias, and `sql` maps a BI query's lineage onto them.
"""

from ingestors.identity.builder import GraphBuilder, unique
from ingestors.identity.ids import tool_id
from ingestors.identity.resolver import Catalogue, EmptyCatalogue, StoreCatalogue, TableResolver, split_dataset_id
from ingestors.identity.sql import SqlLineage, expression_columns, sql_lineage
from ingestors.identity.warehouse import Warehouse, WarehouseError, warehouse_from_parts, warehouse_from_url

__all__ = [
    "Catalogue",
    "EmptyCatalogue",
    "GraphBuilder",
    "SqlLineage",
    "StoreCatalogue",
    "TableResolver",
    "Warehouse",
    "WarehouseError",
    "expression_columns",
    "split_dataset_id",
    "sql_lineage",
    "tool_id",
    "unique",
    "warehouse_from_parts",
    "warehouse_from_url",
]
