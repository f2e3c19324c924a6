"""A Superset export in, graph nodes and edges out. Pure: no files, no store.

A Superset dataset is a semantic model: over a warehouse table (physical) or over SQL (virtual). Its
columns and metrics are fields, fed by the warehouse columns they read. Charts read a dataset's fields;
dashboards contain charts. Table names resolve through the dataset's database connection to the dataset
node every other source names.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from ingestors.common.report import IngestReport
from ingestors.identity.builder import GraphBuilder, unique
from ingestors.identity.ids import tool_id
from ingestors.identity.resolver import Catalogue, TableResolver
from ingestors.identity.sql import SqlLineage, expression_columns, sql_lineage
from ingestors.identity.warehouse import Warehouse, WarehouseError, warehouse_from_url
from ingestors.superset.models import (
    SupersetChart,
    SupersetDashboard,
    SupersetDatabase,
    SupersetDataset,
    SupersetExport,
)
from ingestors.superset.params import chart_uses

TOOL = "superset"
JINJA = ("{{", "{%")


def source_name(instance: str) -> str:
    return f"superset:{instance}"


Exported = TypeVar("Exported", SupersetDatabase, SupersetDataset, SupersetChart, SupersetDashboard)


def first_of_each_uuid(objects: list[tuple[str, Exported]], report: IngestReport) -> list[tuple[str, Exported]]:
    """The (file, object) pairs of one folder, one per uuid: a second file holding an object's uuid would
    silently replace the first, so it is reported and left out."""
    first_file: dict[str, str] = {}
    kept = []
    for file, obj in objects:
        uuid = str(obj.uuid)
        if uuid in first_file:
            report.warn(f"uuid {uuid}", "parse", f"both {first_file[uuid]} and {file} hold it; the first is used")
        else:
            first_file[uuid] = file
            kept.append((file, obj))
    return kept


class _Parser:
    def __init__(self, export: SupersetExport, instance: str, catalogue: Catalogue, report: IngestReport) -> None:
        self.export = export
        self.instance = instance
        self.report = report
        self.catalogue = catalogue
        self.builder = GraphBuilder(report, catalogue)
        self.databases = {str(db.uuid): db for _, db in first_of_each_uuid(export.databases, report)}
        self.resolvers: dict[str, TableResolver | None] = {}
        self.datasets: dict[str, SupersetDataset] = {}

    def dataset_id(self, uuid: str) -> str:
        return tool_id(NodeKind.SEMANTIC_MODEL, TOOL, self.instance, uuid)

    def field_id(self, dataset_uuid: str, kind: str, name: str) -> str:
        return tool_id(NodeKind.FIELD, TOOL, self.instance, dataset_uuid, kind, name)

    def resolver(self, database_uuid: str, item: str) -> TableResolver | None:
        if database_uuid not in self.resolvers:
            database = self.databases.get(database_uuid)
            resolver = None
            if database is None:
                self.report.warn(item, "identity", f"its database {database_uuid} is not in the export")
            else:
                try:
                    resolver = TableResolver(warehouse_from_url(database.sqlalchemy_uri), self.catalogue, self.report)
                except WarehouseError as exc:
                    self.report.warn(f"database {database.database_name}", "identity", f"not linked to tables: {exc}")
            self.resolvers[database_uuid] = resolver
        return self.resolvers[database_uuid]

    # ---- datasets ------------------------------------------------------------------------------

    def add_dataset(self, file: str, dataset: SupersetDataset) -> None:
        uuid = str(dataset.uuid)
        item = f"dataset {dataset.table_name}"
        self.datasets[uuid] = dataset
        database = self.databases.get(str(dataset.database_uuid))
        resolver = self.resolver(str(dataset.database_uuid), item)
        node_id = self.dataset_id(uuid)
        table: str | None = None
        lineage: SqlLineage | None = None
        if resolver is not None and dataset.virtual:
            sql = dataset.sql or ""
            if any(mark in sql for mark in JINJA):
                self.report.warn(item, "lineage", "virtual dataset SQL is a Jinja template; not analysed")
            else:
                lineage = sql_lineage(sql, _with_schema(resolver, dataset.schema_), self.builder, item, self.report)
        elif resolver is not None:
            parts = [p for p in (dataset.schema_, dataset.table_name) if p]
            name = resolver.resolve(parts, item)
            if name is not None:
                table = self.builder.dataset(name, ".".join(parts))
        props: dict[str, Any] = {
            "tool": "superset", "uuid": uuid, "file": file, "kind": "virtual" if dataset.virtual else "physical",
            "database": database.database_name if database else None, "schema": dataset.schema_,
            "table": table, "sql": dataset.sql if dataset.virtual else None, "main_dttm_col": dataset.main_dttm_col,
        }
        self.builder.add_node(Node(
            id=node_id,
            kind=NodeKind.SEMANTIC_MODEL,
            name=dataset.table_name,
            qualified_name=".".join(p for p in (database.database_name if database else None, dataset.schema_,
                                                dataset.table_name) if p),
            description=(dataset.description or "").strip(),
            props={k: v for k, v in props.items() if v is not None},
        ))
        if table is not None:
            self.builder.add_edge(table, node_id, EdgeKind.FEEDS)
        if lineage is not None:
            for read in lineage.tables:
                self.builder.add_edge(read, node_id, EdgeKind.FEEDS)
            for shape in lineage.shaping:
                column = self.builder.column(shape.dataset_id, shape.column, exact=True)
                self.builder.add_edge(column, node_id, EdgeKind.COLUMN_SHAPES,
                                      {"role": shape.role, "confidence": shape.confidence})
        self.add_fields(dataset, node_id, table, lineage, item)

    def add_fields(self, dataset: SupersetDataset, node_id: str, table: str | None, lineage: SqlLineage | None,
                   item: str) -> None:
        uuid = str(dataset.uuid)
        plain = {c.column_name: c for c in dataset.columns if not c.expression}
        outputs = {name.lower(): sources for name, sources in (lineage.columns if lineage else {}).items()}
        for column in dataset.columns:
            field_id = self._field(node_id, uuid, "column", column.column_name, column.verbose_name,
                                   column.description, {"type": column.type, "expression": column.expression,
                                                        "is_dttm": column.is_dttm or None})
            if column.expression:
                self.expression_edges(dataset, table, column.expression, field_id, plain, item)
            elif table is not None:
                source = self.builder.column(table, column.column_name)
                self.builder.add_edge(source, field_id, EdgeKind.COLUMN_FEEDS,
                                      {"transformation": "passthrough", "confidence": 1.0})
            elif lineage is not None:
                for src in outputs.get(column.column_name.lower(), []):
                    source = self.builder.column(src.dataset_id, src.column, exact=True)
                    self.builder.add_edge(source, field_id, EdgeKind.COLUMN_FEEDS, {
                        "transformation": src.transformation, "confidence": src.confidence,
                        "expression": src.expression,
                    })
        for metric in dataset.metrics:
            field_id = self._field(node_id, uuid, "metric", metric.metric_name, metric.verbose_name,
                                   metric.description, {"expression": metric.expression,
                                                        "metric_type": metric.metric_type, "d3format": metric.d3format})
            self.expression_edges(dataset, table, metric.expression, field_id, plain, item)

    def _field(self, dataset_node: str, uuid: str, kind: str, name: str, label: str | None,
               description: str | None, props: dict[str, Any]) -> str:
        node = self.builder.add_node(Node(
            id=self.field_id(uuid, kind, name),
            kind=NodeKind.FIELD,
            name=name,
            qualified_name=f"{self.builder.nodes[dataset_node].name}.{name}",
            description=(description or "").strip(),
            aliases=unique([label]),
            props={"tool": "superset", "dataset": dataset_node, "field_type": kind,
                   **{k: v for k, v in props.items() if v is not None}},
        ))
        self.builder.add_edge(dataset_node, node.id, EdgeKind.HAS_FIELD)
        return node.id

    def expression_edges(self, dataset: SupersetDataset, table: str | None, expression: str, target: str,
                         plain: dict[str, Any], item: str) -> None:
        """Edges into a calculated column or metric from the dataset columns its SQL reads."""
        known = {name: str(col.type or "") for name, col in plain.items()}
        if table is not None:
            known = {**self.builder.known_columns(table), **known}
        read = expression_columns(expression, known, self._dialect(dataset))
        if read is None:
            self.report.warn(item, "lineage", f"expression {expression[:80]!r} does not parse")
            return
        for column, how in read:
            props = {"transformation": how, "confidence": 1.0, "expression": expression}
            if column in plain:
                self.builder.add_edge(self.field_id(str(dataset.uuid), "column", column), target,
                                      EdgeKind.COLUMN_FEEDS, props)
            elif table is not None:
                self.builder.add_edge(self.builder.column(table, column), target, EdgeKind.COLUMN_FEEDS, props)

    def _dialect(self, dataset: SupersetDataset) -> str:
        # without a known database, sqlglot's generic dialect reads the common subset of SQL
        resolver = self.resolvers.get(str(dataset.database_uuid))
        return resolver.warehouse.dialect if resolver is not None else ""

    # ---- charts and dashboards -----------------------------------------------------------------

    def add_chart(self, file: str, chart: SupersetChart) -> None:
        item = f"chart {chart.slice_name}"
        uuid = str(chart.uuid)
        dataset_uuid = str(chart.dataset_uuid)
        dataset = self.datasets.get(dataset_uuid)
        node = self.builder.add_node(Node(
            id=tool_id(NodeKind.CHART, TOOL, self.instance, uuid),
            kind=NodeKind.CHART,
            name=chart.slice_name,
            qualified_name=f"{self.instance}.{chart.slice_name}",
            description=(chart.description or "").strip(),
            props={k: v for k, v in {
                "tool": "superset", "uuid": uuid, "file": file, "viz_type": chart.viz_type,
                "dataset": self.dataset_id(dataset_uuid) if dataset else None, "certified_by": chart.certified_by,
            }.items() if v is not None},
        ))
        if dataset is None:
            self.report.warn(item, "parse", f"its dataset {dataset_uuid} is not in the export")
            return
        self.builder.add_edge(self.dataset_id(dataset_uuid), node.id, EdgeKind.FEEDS)
        metrics = {m.metric_name for m in dataset.metrics}
        columns = {c.column_name: str(c.type or "") for c in dataset.columns}
        for use in chart_uses(chart.params):
            props = {"used_as": use.used_as, "aggregate": use.aggregate}
            if use.kind == "metric" and use.value in metrics:
                names = [("metric", use.value)]
            elif use.kind == "column" and use.value in columns:
                names = [("column", use.value)]
            elif use.kind == "sql":
                read = expression_columns(use.value, columns, self._dialect(dataset))
                names = [("column", c) for c, _ in read or [] if c in columns]
                props["expression"] = use.value
            else:
                self.report.warn(item, "parse", f"reads {use.kind} {use.value!r}, which its dataset "
                                                f"{dataset.table_name} does not define")
                continue
            for kind, name in names:
                self.builder.add_edge(self.field_id(dataset_uuid, kind, name), node.id, EdgeKind.FEEDS, props)

    def add_dashboard(self, file: str, dashboard: SupersetDashboard) -> None:
        item = f"dashboard {dashboard.dashboard_title}"
        node = self.builder.add_node(Node(
            id=tool_id(NodeKind.DASHBOARD, TOOL, self.instance, str(dashboard.uuid)),
            kind=NodeKind.DASHBOARD,
            name=dashboard.dashboard_title,
            qualified_name=f"{self.instance}.{dashboard.slug or dashboard.uuid}",
            description=(dashboard.description or "").strip(),
            aliases=unique([dashboard.slug]),
            props={k: v for k, v in {
                "tool": "superset", "uuid": str(dashboard.uuid), "file": file, "slug": dashboard.slug,
                "published": dashboard.published, "certified_by": dashboard.certified_by or None,
            }.items() if v is not None},
        ))
        charts = {str(c.uuid) for _, c in self.export.charts}
        for chart_uuid in dashboard.chart_uuids():
            if chart_uuid not in charts:
                self.report.warn(item, "parse", f"shows chart {chart_uuid}, which is not in the export")
                continue
            chart_id = tool_id(NodeKind.CHART, TOOL, self.instance, chart_uuid)
            self.builder.add_edge(node.id, chart_id, EdgeKind.CONTAINS)
            # the chart's data flows into the dashboard: downstream of a column reaches both
            self.builder.add_edge(chart_id, node.id, EdgeKind.FEEDS)
        for name, dataset_uuid, column in dashboard.filter_targets():
            dataset = self.datasets.get(dataset_uuid)
            if dataset is None or column not in {c.column_name for c in dataset.columns}:
                self.report.warn(item, "parse", f"filter {name} targets {column} of a dataset not in the export")
                continue
            self.builder.add_edge(self.field_id(dataset_uuid, "column", column), node.id, EdgeKind.FEEDS,
                                  {"used_as": "filter"})


def _with_schema(resolver: TableResolver, schema: str | None) -> TableResolver:
    """A virtual dataset's SQL runs with the dataset's schema as the default one."""
    if not schema or resolver.warehouse.default_schema:
        return resolver
    wh = resolver.warehouse
    return resolver.with_warehouse(Warehouse(wh.platform, wh.authority, wh.database, schema))


def parse_export(
    export: SupersetExport,
    instance: str,
    catalogue: Catalogue,
    report: IngestReport,
    progress: Callable[[int, int], None] | None = None,
) -> GraphBuilder:
    with report.timed("parse"):
        parser = _Parser(export, instance, catalogue, report)
        steps = [*((parser.add_dataset, f, d) for f, d in first_of_each_uuid(export.datasets, report)),
                 *((parser.add_chart, f, c) for f, c in first_of_each_uuid(export.charts, report)),
                 *((parser.add_dashboard, f, d) for f, d in first_of_each_uuid(export.dashboards, report))]
        for done, (step, file, obj) in enumerate(steps, start=1):
            step(file, obj)  # type: ignore[operator]
            if progress is not None:
                progress(done, len(steps))
    report.stats.update({
        "databases": len(export.databases),
        "datasets": len(export.datasets),
        "virtual_datasets": sum(1 for _, d in export.datasets if d.virtual),
        "charts": len(export.charts),
        "dashboards": len(export.dashboards),
    })
    parser.builder.count()
    return parser.builder
