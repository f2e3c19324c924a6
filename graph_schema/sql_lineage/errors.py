"""Errors of the SQL column-lineage engine; each message is one line naming the input and the fault."""

from graph_schema.errors import DatagraphError


class SqlLineageError(DatagraphError):
    """SQL whose lineage cannot be worked out (unknown dialect, unsupported statement, ...)."""


class SqlParseError(SqlLineageError):
    """The SQL does not parse in the given dialect; `line` and `column` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class SqlSchemaError(SqlLineageError):
    """The schema given alongside the SQL is not a table -> column mapping the engine can use."""


class UnsupportedStatementError(SqlLineageError):
    """A statement that moves no data between tables (DROP, GRANT, SET, ...)."""
