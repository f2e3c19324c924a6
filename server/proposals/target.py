"""What a proposal changes (a dbt SQL model or a warehouse view) and the relations its SQL may read.

dbt names resolve through the graph, never through dbt: the dbt ingestor keeps each relation's unique_id
(`model.shop.stg_orders`, `source.shop.raw.orders`) among its aliases and in `dbt_unique_ids`, and its
warehouse name in `relation_name`. Only assets the caller may see resolve.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Literal

from graph_schema.kinds import DATASET_KINDS, NodeKind
from graph_schema.models import Node
from server.errors import NotFoundError
from server.lineage.columns import columns_of
from server.proposals.errors import NotProposableError
from server.proposals.render import RefCall, Relation
from server.tools.context import ToolContext
from server.tools.refs import resolve_ref

PROPOSABLE = (NodeKind.MODEL, NodeKind.VIEW)
_REF_TYPES = ("model", "seed", "snapshot")
# platform (dbt adapter or SQLAlchemy dialect) -> sqlglot dialect, where the names differ
_DIALECTS = {
    "postgresql": "postgres",
    "materialize": "postgres",
    "sqlserver": "tsql",
    "mssql": "tsql",
    "fabric": "tsql",
    "synapse": "tsql",
    "awsathena": "athena",
    "mariadb": "mysql",
}
_MAX_CANDIDATES = 5

TargetKind = Literal["dbt_model", "view"]


@dataclass(frozen=True)
class Target:
    node: Node
    kind: TargetKind
    dialect: str
    old_sql: str
    file_path: str  # path of the model file in its dbt project; for a view, a name for the diff
    package: str | None
    relation: Relation


def proposal_target(ctx: ToolContext, ref: str) -> Target:
    """The model or view `ref` names; NotProposableError when it is something not built from SQL."""
    try:
        node = resolve_ref(ctx, ref, kinds=PROPOSABLE)
    except NotFoundError:
        other = _any_asset(ctx, ref)
        if other is None:
            raise
        raise NotProposableError(
            f"{other.name} is a {other.kind.value}: propose_change takes a dbt SQL model or a warehouse view"
        ) from None
    props = node.props
    dialect = dialect_of(node)
    raw = props.get("raw_sql")
    if node.kind is NodeKind.MODEL and isinstance(raw, str):
        language = props.get("language", "sql")
        if language != "sql":
            raise NotProposableError(f"{node.name} is a {language} model: propose_change takes SQL models only")
        path = props.get("file_path")
        file_path = path if isinstance(path, str) and path else f"{node.name}.sql"
        package = props.get("package")
        return Target(node, "dbt_model", dialect, raw, file_path, package if isinstance(package, str) else None,
                      relation_of(node))
    definition = props.get("view_definition")
    if isinstance(definition, str) and definition.strip():
        return Target(node, "view", dialect, definition, f"{node.qualified_name or node.name}.sql", None,
                      relation_of(node))
    raise NotProposableError(f"{node.name} has no SQL in the graph (no dbt raw SQL, no view definition) to change")


def _any_asset(ctx: ToolContext, ref: str) -> Node | None:
    try:
        return resolve_ref(ctx, ref)
    except NotFoundError:
        return None


def dialect_of(node: Node) -> str:
    """The sqlglot dialect of the node's platform; "" (sqlglot's generic SQL) when the platform is unknown."""
    platform = node.props.get("platform")
    if not isinstance(platform, str) or not platform:
        return ""
    key = platform.lower().split("+", 1)[0]
    return _DIALECTS.get(key, key)


def relation_of(node: Node) -> Relation:
    props = node.props
    database, schema, identifier = (_text(props.get(k)) for k in ("database", "schema", "identifier"))
    written = props.get("relation_name")
    if isinstance(written, str) and written:
        text = written
    else:
        text = node.qualified_name or node.name
    return Relation(text=text, database=database, schema=schema, identifier=identifier or node.name)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class RelationResolver:
    """Resolves ref() and source() calls of one template to graph datasets, remembering what it found."""

    def __init__(self, ctx: ToolContext, package: str | None) -> None:
        self.ctx = ctx
        self.package = package
        self.found: dict[RefCall, Node] = {}

    def __call__(self, call: RefCall) -> Relation | None:
        node = self.node(call)
        if node is None:
            return None
        self.found[call] = node
        return relation_of(node)

    def node(self, call: RefCall) -> Node | None:
        if call.kind == "source":
            return self._source(*call.args)
        package = call.args[0] if len(call.args) == 2 else self.package
        suffix = f".v{call.version}" if call.version is not None else ""
        if package:
            for resource in _REF_TYPES:
                node = self._by_unique_id(f"{resource}.{package}.{call.name}{suffix}")
                if node is not None:
                    return node
        if len(call.args) == 2:
            return None
        # another package, or a versioned model named without its version: any dbt relation of that name
        matches = [
            n for n in self._visible(self.ctx.graph.find_by_name(call.name, DATASET_KINDS))
            if any(uid.startswith(_REF_TYPES) and uid.split(".")[2:3] == [call.name] for uid in _unique_ids(n))
        ]
        return matches[0] if len(matches) == 1 else None

    def _source(self, source_name: str, table: str) -> Node | None:
        if self.package:
            node = self._by_unique_id(f"source.{self.package}.{source_name}.{table}")
            if node is not None:
                return node
        matches = [
            n for n in self._visible(self.ctx.graph.find_by_name(f"{source_name}.{table}", DATASET_KINDS))
            if any(uid.startswith("source.") and uid.split(".")[2:] == [source_name, table] for uid in _unique_ids(n))
        ]
        return matches[0] if len(matches) == 1 else None

    def _by_unique_id(self, unique_id: str) -> Node | None:
        for node in self._visible(self.ctx.graph.find_by_name(unique_id, DATASET_KINDS)):
            if unique_id in _unique_ids(node):
                return node
        return None

    def _visible(self, nodes: Iterable[Node]) -> list[Node]:
        return [n for n in nodes if self.ctx.visible(n)]

    def candidates(self, call: RefCall) -> list[str]:
        """How the closest known names are written, for an error about an unknown ref or source."""
        names: set[str] = set()
        for node in self._visible(self.ctx.graph.nodes(DATASET_KINDS)):
            for uid in _unique_ids(node):
                parts = uid.split(".")
                if call.kind == "ref" and parts[0] in _REF_TYPES and len(parts) >= 3:
                    names.add(parts[2])
                elif call.kind == "source" and parts[0] == "source" and len(parts) == 4:
                    names.add(f"{parts[2]}.{parts[3]}")
        wanted = call.name if call.kind == "ref" else ".".join(call.args)
        close = get_close_matches(wanted, sorted(names), n=_MAX_CANDIDATES, cutoff=0.6)
        if call.kind == "ref":
            return [f"ref('{n}')" for n in close]
        return ["source(" + ", ".join(repr(p) for p in n.split(".", 1)) + ")" for n in close]


def _unique_ids(node: Node) -> list[str]:
    ids = node.props.get("dbt_unique_ids")
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


def column_types(ctx: ToolContext, node: Node) -> dict[str, str | None]:
    """The dataset's columns in warehouse order, with their types when known."""
    columns = columns_of(ctx.graph, node.id)
    columns.sort(key=lambda c: (c.props.get("index") if isinstance(c.props.get("index"), int) else 1_000_000, c.name))
    return {c.name: (t if isinstance(t := c.props.get("data_type"), str) and t else None) for c in columns}


def schema_of(ctx: ToolContext, nodes: Iterable[Node]) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """{database: {schema: {table: {column: type}}}} of the datasets, for the SQL analysis."""
    schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for node in nodes:
        relation = relation_of(node)
        if relation.database is None or relation.schema is None or relation.identifier is None:
            continue
        columns = {name: (typ or "UNKNOWN") for name, typ in column_types(ctx, node).items()}
        if columns:
            schema.setdefault(relation.database, {}).setdefault(relation.schema, {})[relation.identifier] = columns
    return schema
