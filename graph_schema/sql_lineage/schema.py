"""Turn the schema a caller gives (nested or flat, types or bare names) into a sqlglot MappingSchema."""

from collections.abc import Mapping
from typing import Any

from sqlglot.errors import SchemaError
from sqlglot.schema import MappingSchema

from graph_schema.errors import InvalidIdError
from graph_schema.naming import split_name
from graph_schema.sql_lineage.errors import SqlSchemaError

UNKNOWN_TYPE = "UNKNOWN"

SchemaInput = Mapping[str, Any]


def _columns(value: Any) -> dict[str, str] | None:
    """The column -> type map if `value` describes one table's columns, else None (a deeper level)."""
    if isinstance(value, (list, tuple)):
        if not all(isinstance(name, str) for name in value):
            raise SqlSchemaError("schema lists columns that are not names")
        return {name: UNKNOWN_TYPE for name in value}
    if not isinstance(value, Mapping):
        raise SqlSchemaError(f"schema holds {type(value).__name__} where a table or its columns should be")
    if value and all(isinstance(v, Mapping) for v in value.values()):
        return None
    # Types only matter to sqlglot for struct access; anything that is not a type name counts as unknown.
    return {str(col): (typ if isinstance(typ, str) and typ.strip() else UNKNOWN_TYPE) for col, typ in value.items()}


def _split(key: Any) -> list[str]:
    if not isinstance(key, str) or not key.strip():
        raise SqlSchemaError(f"schema key {key!r} is not a name")
    try:
        return split_name(key)
    except InvalidIdError as exc:
        raise SqlSchemaError(f"schema key {key!r}: {exc}") from None


def _flatten(mapping: SchemaInput, prefix: list[str], out: dict[tuple[str, ...], dict[str, str]]) -> None:
    for key, value in mapping.items():
        path = prefix + _split(key)
        columns = _columns(value)
        if columns is None:
            _flatten(value, path, out)
        elif len(path) > 3:
            raise SqlSchemaError(f"schema table {'.'.join(path)!r} has more than 3 name parts")
        elif columns:  # a table listed without columns is as good as unknown
            out[tuple(path)] = columns


def mapping_schema(
    schema: SchemaInput | None, dialect: str, catalog: str | None = None, db: str | None = None
) -> MappingSchema:
    """A MappingSchema of `schema`, which is {db: {schema: {table: cols}}} (any depth) or {"a.b": cols}.

    Tables named with fewer parts than the others get the default db and catalog in front; the schema
    folds unquoted names the way `dialect` does.
    """
    if not schema:
        return MappingSchema(dialect=dialect)
    if not isinstance(schema, Mapping):
        raise SqlSchemaError(f"schema must be a mapping of tables to columns, not {type(schema).__name__}")
    flat: dict[tuple[str, ...], dict[str, str]] = {}
    _flatten(schema, [], flat)
    if not flat:
        return MappingSchema(dialect=dialect)
    depth = max(len(path) for path in flat)
    nested: dict[str, Any] = {}
    for path, columns in flat.items():
        padding = [part for part in [catalog, db][2 - (depth - len(path)) :] if part]
        if len(padding) != depth - len(path):
            raise SqlSchemaError(
                f"schema names table {'.'.join(path)!r} with {len(path)} parts and others with {depth}; "
                "give full names or a default catalog and db"
            )
        node = nested
        full = [*padding, *path]
        for part in full[:-1]:
            node = node.setdefault(part, {})
        node[full[-1]] = columns
    try:
        return MappingSchema(nested, dialect=dialect)
    except SchemaError as exc:
        raise SqlSchemaError(f"schema is not usable: {exc}") from None
