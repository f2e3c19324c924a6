"""`datagraph sql lineage`: the column-lineage engine on any SQL, as JSON."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from graph_schema.errors import DatagraphError
from graph_schema.sql_lineage import SqlParseError, lineage_json

app = typer.Typer(help="Work with SQL directly.", no_args_is_help=True)


class SqlInputError(DatagraphError):
    pass


def _read_sql(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SqlInputError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SqlInputError(f"{source}: cannot read SQL: {exc}") from None


def _read_schema(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML also reads JSON
    except FileNotFoundError:
        raise SqlInputError(f"{path}: no such schema file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SqlInputError(f"{path}: not a JSON or YAML schema: {first_line}") from None
    if not isinstance(data, dict):
        raise SqlInputError(f"{path}: a schema must map tables to their columns")
    return data


@app.command("lineage")
def lineage(
    source: Annotated[str, typer.Argument(help="SQL file, or - to read standard input.")],
    dialect: Annotated[str, typer.Option("--dialect", "-d", help="SQL dialect: duckdb, postgres, snowflake, bigquery, ...")],
    schema: Annotated[
        Path | None,
        typer.Option("--schema", help="JSON or YAML: {table: {column: type}} or nested {db: {schema: {table: ...}}}."),
    ] = None,
) -> None:
    """Print the column lineage of SQL as JSON: for every output column, the table columns it comes from."""
    sql = _read_sql(source)
    if not sql.strip():
        raise SqlInputError(f"{'standard input' if source == '-' else source}: no SQL to analyse")
    try:
        result = lineage_json(sql, dialect, _read_schema(schema) if schema else None)
    except SqlParseError as exc:
        raise SqlInputError(f"{'standard input' if source == '-' else source}: {exc}") from None
    typer.echo(json.dumps(result, indent=2))
