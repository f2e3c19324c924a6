"""A Metabase export in, graph nodes and edges out. Pure: no files, no store.

Every card (question, model, metric) is a chart; the columns of its result are fields fed by the
warehouse columns (or the other card's fields) they come from. Native SQL is parsed for lineage; MBQL
is read through the databases' table and field metadata. Dashboards contain their cards.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from graph_schema.kinds import EdgeKind, NodeKind, Transformation
from graph_schema.models import Node
from ingestors.common.report import IngestReport
from ingestors.identity.builder import GraphBuilder
from ingestors.identity.ids import tool_id
from ingestors.identity.resolver import Catalogue, TableResolver
from ingestors.identity.sql import sql_lineage
from ingestors.identity.warehouse import Warehouse, WarehouseError, warehouse_from_parts
from ingestors.metabase.mbql import Ref, analyse, refs
from ingestors.metabase.models import MbCard, MbDashboard, MbDatabase, MbField, MbTable, MetabaseExport

TOOL = "metabase"
DEFAULT_INSTANCE = "metabase"
# Metabase engine -> platform of the dataset namespace
ENGINES: dict[str, str] = {
    "postgres": "postgres", "duckdb": "duckdb", "mysql": "mysql", "redshift": "redshift",
    "snowflake": "snowflake", "bigquery-cloud-sdk": "bigquery", "sqlite": "sqlite", "sparksql": "spark",
    "presto-jdbc": "trino", "starburst": "trino", "sqlserver": "mssql", "databricks": "databricks",
    "clickhouse": "clickhouse", "oracle": "oracle",
}
OPTIONAL_CLAUSE = re.compile(r"\[\[(.*?)\]\]", re.S)
TEMPLATE_TAG = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")
CARD_TAG = re.compile(r"#(\d+)")


def source_name(instance: str) -> str:
    return f"metabase:{instance}"


def warehouse_of(database: MbDatabase) -> Warehouse:
    platform = ENGINES.get(database.engine)
    if platform is None:
        raise WarehouseError(f"engine {database.engine!r} is not a warehouse the graph names")
    details = database.details
    port = details.get("port")
    return warehouse_from_parts(
        platform,
        host=details.get("account") if platform == "snowflake" else details.get("host"),
        port=int(port) if isinstance(port, (int, str)) and str(port).isdigit() else None,
        database=details.get("project-id") if platform == "bigquery" else (details.get("dbname") or details.get("db")),
        path=details.get("database_file") or details.get("db"),
    )


class _Identified(Protocol):
    id: int
    name: str


Value = TypeVar("Value")


def first_of_each_id(kind: str, entries: Iterable[tuple[_Identified, Value]], report: IngestReport) -> dict[int, Value]:
    """`{id: value}` of each (item, value), one per item id: a second item with the id of an earlier one
    would silently replace it, so it is reported and left out."""
    names: dict[int, str] = {}
    kept: dict[int, Value] = {}
    for item, value in entries:
        if item.id in kept:
            report.warn(f"{kind} {item.id}", "parse",
                        f"both {names[item.id]!r} and {item.name!r} have this id; the first is used")
        else:
            names[item.id] = item.name
            kept[item.id] = value
    return kept


class _Parser:
    def __init__(self, export: MetabaseExport, instance: str, catalogue: Catalogue, report: IngestReport,
                 include_archived: bool) -> None:
        self.instance = instance
        self.report = report
        self.catalogue = catalogue
        self.builder = GraphBuilder(report, catalogue)
        self.databases: dict[int, MbDatabase] = first_of_each_id(
            "database", ((db, db) for db in export.databases), report)
        self.tables: dict[int, tuple[MbDatabase, MbTable]] = first_of_each_id(
            "table", ((t, (db, t)) for db in self.databases.values() for t in db.tables), report)
        self.fields: dict[int, tuple[int, MbField]] = first_of_each_id(
            "field", ((f, (t.id, f)) for _, t in self.tables.values() for f in t.fields), report)
        cards = first_of_each_id("card", ((c, c) for c in export.cards), report)
        self.cards = {i: c for i, c in cards.items() if include_archived or not c.archived}
        self.dashboards = [d for d in first_of_each_id("dashboard", ((d, d) for d in export.dashboards), report).values()
                           if include_archived or not d.archived]
        self._resolvers: dict[int, TableResolver | None] = {}
        self._outputs: dict[int, dict[str, str]] = {}
        self._in_progress: set[int] = set()

    # ---- ids and warehouse objects -------------------------------------------------------------

    def card_id(self, card: int) -> str:
        return tool_id(NodeKind.CHART, TOOL, self.instance, card)

    def card_field_id(self, card: int, name: str) -> str:
        return tool_id(NodeKind.FIELD, TOOL, self.instance, card, name)

    def resolver(self, database_id: int | None, item: str) -> TableResolver | None:
        if database_id is None:
            return None
        if database_id not in self._resolvers:
            database = self.databases.get(database_id)
            resolver = None
            if database is None:
                self.report.warn(item, "identity", f"database {database_id} is not in the export's databases")
            else:
                try:
                    resolver = TableResolver(warehouse_of(database), self.catalogue, self.report)
                except WarehouseError as exc:
                    self.report.warn(f"database {database.name}", "identity", f"not linked to tables: {exc}")
                if resolver is not None:
                    for table in database.tables:
                        name = self._full_name(resolver, table)
                        if name is not None:
                            dataset = resolver.warehouse.dataset(*name)
                            resolver.know(dataset)
                            self.builder.hint_columns(dataset.id, {f.name: f.database_type or "" for f in table.fields})
            self._resolvers[database_id] = resolver
        return self._resolvers[database_id]

    @staticmethod
    def _full_name(resolver: TableResolver, table: MbTable) -> list[str] | None:
        wh = resolver.warehouse
        parts = [p for p in (wh.database, table.schema_, table.name) if p]
        return parts if len(parts) == wh.parts else None

    def table_dataset(self, table_id: int, item: str) -> str | None:
        if table_id not in self.tables:
            self.report.warn(item, "identity", f"table {table_id} is not in the export's database metadata")
            return None
        database, table = self.tables[table_id]
        resolver = self.resolver(database.id, item)
        if resolver is None:
            return None
        spelled = ".".join(p for p in (table.schema_, table.name) if p)
        name = resolver.resolve([p for p in (table.schema_, table.name) if p], item)
        if name is None:
            return None
        return self.builder.dataset(name, spelled, description=(table.description or "").strip())

    def field_column(self, field_id: int, item: str) -> str | None:
        if field_id not in self.fields:
            self.report.warn(item, "identity", f"field {field_id} is not in the export's database metadata")
            return None
        table_id, fld = self.fields[field_id]
        dataset = self.table_dataset(table_id, item)
        if dataset is None:
            return None
        return self.builder.column(dataset, fld.name, exact=True,
                                   description=(fld.description or "").strip(), data_type=fld.database_type)

    # ---- cards ---------------------------------------------------------------------------------

    def outputs(self, card_id: int, item: str) -> dict[str, str]:
        """{result column: field id} of a card, adding the card first if need be."""
        if card_id not in self._outputs:
            card = self.cards.get(card_id)
            if card is None or card_id in self._in_progress:
                self.report.warn(item, "parse", f"reads card {card_id}, which is not in the export (or archived)")
                return {}
            self.add_card(card)
        return self._outputs.get(card_id, {})

    def add_card(self, card: MbCard) -> None:
        if card.id in self._outputs:
            return
        self._in_progress.add(card.id)
        item = f"card {card.id} ({card.name})"
        query = card.dataset_query
        node = self.builder.add_node(Node(
            id=self.card_id(card.id),
            kind=NodeKind.CHART,
            name=card.name,
            qualified_name=f"{self.instance}.card.{card.id}",
            description=(card.description or "").strip(),
            props={k: v for k, v in {
                "tool": "metabase", "card_id": card.id, "card_type": card.type, "display": card.display,
                "query_type": query.type, "database": query.database or card.database_id,
                "collection_id": card.collection_id, "archived": card.archived or None,
                "sql": query.native.query if query.native else None,
            }.items() if v is not None},
        ))
        outputs: dict[str, str] = {}
        self._outputs[card.id] = outputs
        if query.native is not None:
            self.native_lineage(card, node.id, outputs, item)
        elif query.query is not None:
            self.mbql_lineage(card, query.query, node.id, outputs, item)
        self._in_progress.discard(card.id)

    def output(self, card: MbCard, outputs: dict[str, str], name: str) -> str:
        if name not in outputs:
            field = self.builder.add_node(Node(
                id=self.card_field_id(card.id, name),
                kind=NodeKind.FIELD,
                name=name,
                qualified_name=f"{card.name}.{name}",
                props={"tool": "metabase", "card": self.card_id(card.id), "field_type": "result_column"},
            ))
            outputs[name] = field.id
            self.builder.add_edge(field.id, self.card_id(card.id), EdgeKind.FEEDS, {"used_as": "result"})
        return outputs[name]

    def native_lineage(self, card: MbCard, node_id: str, outputs: dict[str, str], item: str) -> None:
        native = card.dataset_query.native
        assert native is not None
        resolver = self.resolver(card.dataset_query.database or card.database_id, item)
        if resolver is None:
            return
        sql, cards = self.render(native.query, native.template_tags, item)
        for tag in native.template_tags.values():
            dimension = tag.get("dimension") if tag.get("type") == "dimension" else None
            for ref in _field_refs(dimension):
                column = self.field_column(ref, item)
                if column is not None:
                    self.builder.add_edge(column, node_id, EdgeKind.COLUMN_SHAPES,
                                          {"role": "filter", "confidence": 1.0})
        placeholders = frozenset(f"__metabase_card_{c}" for c in cards)
        lineage = sql_lineage(sql, resolver, self.builder, item, self.report, placeholders)
        if lineage is None:
            return
        for table in lineage.tables:
            self.builder.add_edge(table, node_id, EdgeKind.FEEDS)
        for placeholder in lineage.placeholders:
            self.builder.add_edge(self.card_id(int(placeholder.rsplit("_", 1)[1])), node_id, EdgeKind.FEEDS)
        for name, sources in lineage.columns.items():
            target = self.output(card, outputs, name)
            for src in sources:
                column = self.builder.column(src.dataset_id, src.column, exact=True)
                self.builder.add_edge(column, target, EdgeKind.COLUMN_FEEDS, {
                    "transformation": src.transformation, "confidence": src.confidence, "expression": src.expression,
                })
        for name, sources in lineage.placeholder_columns.items():
            target = self.output(card, outputs, name)
            for placeholder, column, how in sources:
                upstream = self.outputs(int(placeholder.rsplit("_", 1)[1]), item).get(column)
                if upstream is not None:
                    self.builder.add_edge(upstream, target, EdgeKind.COLUMN_FEEDS,
                                          {"transformation": how, "confidence": 1.0})
        for shape in lineage.shaping:
            column = self.builder.column(shape.dataset_id, shape.column, exact=True)
            self.builder.add_edge(column, node_id, EdgeKind.COLUMN_SHAPES,
                                  {"role": shape.role, "confidence": shape.confidence})

    def render(self, sql: str, tags: dict[str, dict[str, Any]], item: str) -> tuple[str, list[int]]:
        """Native SQL with its template syntax replaced by plain SQL, and the cards it reads."""
        cards: list[int] = []

        def replace(match: re.Match[str]) -> str:
            body = match.group(1)
            card = CARD_TAG.match(body)
            if card:
                cards.append(int(card.group(1)))
                return f"__metabase_card_{card.group(1)}"
            if body.startswith("snippet:"):
                self.report.warn(item, "lineage", f"uses snippet {body[8:].strip()!r}, which the export lacks")
                return ""
            tag = tags.get(body, {})
            return "1 = 1" if tag.get("type") == "dimension" else "NULL"

        # optional clauses are kept: their columns shape the rows whenever the filter is set
        sql = OPTIONAL_CLAUSE.sub(lambda m: m.group(1), sql)
        return TEMPLATE_TAG.sub(replace, sql), list(dict.fromkeys(cards))

    def mbql_lineage(self, card: MbCard, query: dict[str, Any], node_id: str, outputs: dict[str, str],
                     item: str) -> None:
        names = {fid: fld.name for fid, (_, fld) in self.fields.items()}
        lineage = analyse(query, names)
        for problem in lineage.problems:
            self.report.warn(item, "lineage", problem)
        for table in lineage.tables:
            dataset = self.table_dataset(table, item)
            if dataset is not None:
                self.builder.add_edge(dataset, node_id, EdgeKind.FEEDS)
        source_cards = [c for c in lineage.cards if c in self.cards]
        for source in lineage.cards:
            self.outputs(source, item)  # adds the source card first; warns when it is missing
        for source in source_cards:
            self.builder.add_edge(self.card_id(source), node_id, EdgeKind.FEEDS)

        missing: set[Ref] = set()

        def upstream(ref: Ref) -> str | None:
            if ref[0] == "field" and isinstance(ref[1], int):
                return self.field_column(ref[1], item)
            for source in source_cards:
                found = self.outputs(source, item).get(str(ref[1]))
                if found is not None:
                    return found
            for t_id in lineage.tables:
                if t_id in self.tables and any(f.name == ref[1] for f in self.tables[t_id][1].fields):
                    dataset = self.table_dataset(t_id, item)
                    return self.builder.column(dataset, str(ref[1]), exact=True) if dataset else None
            if (lineage.tables or source_cards) and ref not in missing:
                missing.add(ref)
                self.report.warn(item, "lineage", f"column {ref[1]!r} is not a column of its source")
            return None

        for out in lineage.outputs:
            target = self.output(card, outputs, out.name)
            for ref, how in out.sources:
                source = upstream(ref)
                if source is not None:
                    self.builder.add_edge(source, target, EdgeKind.COLUMN_FEEDS,
                                          {"transformation": _named(how, ref, out.name, names), "confidence": 1.0})
        if lineage.raw_rows:
            self.raw_outputs(card, lineage.tables, source_cards, outputs, item)
        for ref, role in lineage.shaping:
            source = upstream(ref)
            if source is not None:
                self.builder.add_edge(source, node_id, EdgeKind.COLUMN_SHAPES,
                                      {"role": role.value, "confidence": 1.0})

    def raw_outputs(self, card: MbCard, tables: list[int], cards: list[int], outputs: dict[str, str],
                    item: str) -> None:
        """A query without breakout or aggregation shows its source's columns as they are."""
        for table_id in tables[:1]:
            if table_id not in self.tables:
                continue
            for fld in self.tables[table_id][1].fields:
                column = self.field_column(fld.id, item)
                if column is not None:
                    self.builder.add_edge(column, self.output(card, outputs, fld.name), EdgeKind.COLUMN_FEEDS,
                                          {"transformation": "passthrough", "confidence": 1.0})
        for source in cards[:1]:
            for name, field_id in self.outputs(source, item).items():
                self.builder.add_edge(field_id, self.output(card, outputs, name), EdgeKind.COLUMN_FEEDS,
                                      {"transformation": "passthrough", "confidence": 1.0})

    # ---- dashboards ----------------------------------------------------------------------------

    def add_dashboard(self, dashboard: MbDashboard) -> None:
        item = f"dashboard {dashboard.id} ({dashboard.name})"
        node = self.builder.add_node(Node(
            id=tool_id(NodeKind.DASHBOARD, TOOL, self.instance, dashboard.id),
            kind=NodeKind.DASHBOARD,
            name=dashboard.name,
            qualified_name=f"{self.instance}.dashboard.{dashboard.id}",
            description=(dashboard.description or "").strip(),
            props={k: v for k, v in {
                "tool": "metabase", "dashboard_id": dashboard.id, "collection_id": dashboard.collection_id,
                "parameters": [{k: p.get(k) for k in ("id", "name", "slug", "type") if p.get(k) is not None}
                               for p in dashboard.parameters] or None,
                "archived": dashboard.archived or None,
            }.items() if v is not None},
        ))
        for dashcard in dashboard.dashcards:
            if dashcard.card_id is None:
                continue  # a text or heading card
            if dashcard.card_id not in self.cards:
                self.report.warn(item, "parse", f"shows card {dashcard.card_id}, which is not in the export "
                                                "(or archived)")
                continue
            chart = self.card_id(dashcard.card_id)
            self.builder.add_edge(node.id, chart, EdgeKind.CONTAINS)
            # the card's data flows into the dashboard: downstream of a column reaches both
            self.builder.add_edge(chart, node.id, EdgeKind.FEEDS)
            for mapping in dashcard.parameter_mappings:
                target = mapping.get("target")
                if isinstance(target, list) and target and target[0] == "dimension":
                    for ref in _field_refs(target[1:]):
                        column = self.field_column(ref, item)
                        if column is not None:
                            self.builder.add_edge(column, node.id, EdgeKind.FEEDS, {"used_as": "filter"})


def _field_refs(clause: Any) -> list[int]:
    return [r[1] for r in refs(clause) if r[0] == "field" and isinstance(r[1], int)]


def _named(how: Transformation, ref: Ref, output: str, names: dict[int, str]) -> str:
    """A passthrough that changes the column's name is a rename."""
    if how is not Transformation.PASSTHROUGH:
        return how.value
    source = names.get(ref[1], "") if isinstance(ref[1], int) else str(ref[1])
    return how.value if source == output else Transformation.RENAMED.value


def parse_export(
    export: MetabaseExport,
    instance: str,
    catalogue: Catalogue,
    report: IngestReport,
    *,
    include_archived: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> GraphBuilder:
    parser = _Parser(export, instance, catalogue, report, include_archived)
    total = len(parser.cards) + len(parser.dashboards)
    with report.timed("parse"):
        for done, card in enumerate(parser.cards.values(), start=1):
            parser.add_card(card)
            if progress is not None:
                progress(done, total)
        for done, dashboard in enumerate(parser.dashboards, start=len(parser.cards) + 1):
            parser.add_dashboard(dashboard)
            if progress is not None:
                progress(done, total)
    report.stats.update({
        "databases": len(export.databases),
        "cards": len(parser.cards),
        "cards_archived_skipped": len(export.cards) - len(parser.cards),
        "dashboards": len(parser.dashboards),
    })
    parser.builder.count()
    return parser.builder
