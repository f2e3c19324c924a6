"""Column-level lineage of SQL: which table columns feed each output column, and which shape its rows."""

from graph_schema.sql_lineage.api import analyze, lineage_json
from graph_schema.sql_lineage.errors import (
    SqlLineageError,
    SqlParseError,
    SqlSchemaError,
    UnsupportedStatementError,
)
from graph_schema.sql_lineage.models import (
    GUESSED,
    RESOLVED,
    UNRESOLVED,
    ColumnSource,
    OutputColumn,
    QueryLineage,
    ShapingColumn,
    TableRefs,
)

__all__ = [
    "GUESSED",
    "RESOLVED",
    "UNRESOLVED",
    "ColumnSource",
    "OutputColumn",
    "QueryLineage",
    "ShapingColumn",
    "SqlLineageError",
    "SqlParseError",
    "SqlSchemaError",
    "TableRefs",
    "UnsupportedStatementError",
    "analyze",
    "lineage_json",
]
