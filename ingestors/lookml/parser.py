"""A LookML project in, graph nodes and edges out. Pure: no files, no store.

A LookML view is a semantic model over a table (its `sql_table_name`) or over SQL (its derived table);
its dimensions and measures are fields fed by the columns their SQL reads. Explores contain views;
dashboard elements read an explore's fields, and dashboards contain the elements. Table names resolve
through the model's connection to the dataset every other source names.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graph_schema.kinds import EdgeKind, NodeKind, Transformation
from graph_schema.models import Node
from ingestors.common.report import IngestReport
from ingestors.identity.builder import GraphBuilder, unique
from ingestors.identity.ids import tool_id
from ingestors.identity.resolver import Catalogue, TableResolver
from ingestors.identity.sql import Shaping, SourceColumn, sql_lineage
from ingestors.identity.warehouse import warehouse_from_url
from ingestors.lookml.config import LookmlConfig
from ingestors.lookml.fields import FIELD_REF, LIQUID, SQL_TABLE_NAME, analyse_field, combine, find_field, unquote
from ingestors.lookml.models import LookmlDashboard, LookmlExplore, LookmlProject, LookmlView

TOOL = "lookml"


def source_name(project: LookmlProject) -> str:
    return f"lookml:{project.name}"


@dataclass
class _ViewSource:
    """What a view's `${TABLE}` is: a warehouse table, or the output columns of its derived SQL."""

    table: str | None = None
    derived: dict[str, list[SourceColumn]] | None = None
    shaping: list[Shaping] = field(default_factory=list)
    # native derived table: column -> field reference (`view.field`) in its explore
    native: dict[str, str] = field(default_factory=dict)
    native_explore: str | None = None


class _Parser:
    def __init__(self, project: LookmlProject, config: LookmlConfig, catalogue: Catalogue,
                 report: IngestReport) -> None:
        self.project = project
        self.config = config
        self.report = report
        self.builder = GraphBuilder(report, catalogue)
        self.catalogue = catalogue
        self.views = {v.name: v for v in project.views if not v.abstract}
        self.models = {m.name: m for m in project.models}
        self.explores = {(e.model, e.name): e for e in project.explores}
        self.sources: dict[str, _ViewSource] = {}
        self._resolvers: dict[str | None, TableResolver | None] = {}
        self._unmapped: set[str | None] = set()

    # ---- ids -----------------------------------------------------------------------------------

    def view_id(self, view: str) -> str:
        return tool_id(NodeKind.SEMANTIC_MODEL, TOOL, self.project.name, view)

    def field_id(self, view: str, name: str) -> str:
        return tool_id(NodeKind.FIELD, TOOL, self.project.name, view, name)

    def explore_id(self, model: str, explore: str) -> str:
        return tool_id(NodeKind.EXPLORE, TOOL, self.project.name, model, explore)

    # ---- connections ---------------------------------------------------------------------------

    def connection_of(self, view: LookmlView) -> str | None:
        names = sorted({self.models[m].connection for m in self.project.view_models.get(view.name, ())
                        if m in self.models and self.models[m].connection})
        if len(names) > 1:
            self.report.warn(f"view {view.name}", "parse",
                             f"included by models on connections {', '.join(names)}; {names[0]} is used")
        return names[0] if names else None

    def resolver(self, connection: str | None) -> TableResolver | None:
        if connection not in self._resolvers:
            url = self.config.url_for(connection)
            if url is None:
                self._resolvers[connection] = None
            else:
                self._resolvers[connection] = TableResolver(warehouse_from_url(url), self.catalogue, self.report)
        found = self._resolvers[connection]
        if found is None and connection not in self._unmapped:
            self._unmapped.add(connection)
            self.report.warn(f"connection {connection}", "identity",
                             f"LookML connection {connection!r} has no warehouse URL (--connection "
                             f"{connection or 'NAME'}=URL): its views are not linked to tables")
        return found

    # ---- views ---------------------------------------------------------------------------------

    def add_view(self, view: LookmlView) -> None:
        item = f"view {view.name}"
        connection = self.connection_of(view)
        source = _ViewSource()
        # a native derived table reads an explore, not the warehouse
        resolver = None if view.explore_source else self.resolver(connection)
        props: dict[str, Any] = {"tool": "looker", "project": self.project.name, "file": view.file,
                                 "connection": connection, "sql_table_name": view.sql_table_name,
                                 "derived_sql": view.derived_sql}
        if view.explore_source is not None:
            explore, columns = view.explore_source
            source.native = dict(columns)
            source.native_explore = explore
            props["explore_source"] = explore
        elif view.derived_sql is not None:
            if resolver is not None:
                source.derived, source.shaping = self.derived_columns(view, resolver, item)
        elif resolver is not None:
            # a view without sql_table_name reads the table named like the view
            table = (view.sql_table_name or view.name).strip()
            if LIQUID.search(table) or "${" in table:
                self.report.warn(item, "identity", f"sql_table_name {table!r} is templated; not linked")
            else:
                name = resolver.resolve(table, item)
                if name is not None:
                    source.table = self.builder.dataset(name, table)
                    props["table"] = source.table
        self.sources[view.name] = source
        node = self.builder.add_node(Node(
            id=self.view_id(view.name),
            kind=NodeKind.SEMANTIC_MODEL,
            name=view.name,
            qualified_name=f"{self.project.name}.{view.name}",
            description=(view.description or "").strip(),
            aliases=unique([view.label]),
            props={k: v for k, v in props.items() if v is not None},
        ))
        if source.table:
            self.builder.add_edge(source.table, node.id, EdgeKind.FEEDS)
        for shape in source.shaping:
            column = self.builder.column(shape.dataset_id, shape.column, exact=True)
            self.builder.add_edge(column, node.id, EdgeKind.COLUMN_SHAPES,
                                  {"role": shape.role, "confidence": shape.confidence})
        for fld in view.fields:
            field_node = self.builder.add_node(Node(
                id=self.field_id(view.name, fld.name),
                kind=NodeKind.FIELD,
                name=fld.name,
                qualified_name=f"{view.name}.{fld.name}",
                description=(fld.description or "").strip(),
                tags=unique(fld.tags),
                aliases=unique([fld.label]),
                props={k: v for k, v in {
                    "tool": "looker", "view": node.id, "field_type": fld.kind, "type": fld.type,
                    "sql": fld.sql, "hidden": fld.hidden or None, "primary_key": fld.primary_key or None,
                    "timeframes": list(fld.timeframes) or None, "value_format_name": fld.value_format_name,
                }.items() if v is not None},
            ))
            self.builder.add_edge(node.id, field_node.id, EdgeKind.HAS_FIELD)

    def derived_columns(self, view: LookmlView, resolver: TableResolver,
                        item: str) -> tuple[dict[str, list[SourceColumn]] | None, list[Shaping]]:
        sql = view.derived_sql or ""
        if LIQUID.search(sql):
            self.report.warn(item, "lineage", "derived table SQL is templated (Liquid); templates read as NULL")
            sql = LIQUID.sub("NULL", sql)

        def table_of(match: Any) -> str:
            other = self.views.get(match.group(1))
            if other is not None and other.sql_table_name and not other.derived_sql:
                return other.sql_table_name
            self.report.warn(item, "lineage", f"reads derived view {match.group(1)}, whose columns are not followed")
            return f"__lookml_view_{match.group(1)}"

        sql = SQL_TABLE_NAME.sub(table_of, sql)
        placeholders = frozenset(f"__lookml_view_{v}" for v in self.views)
        lineage = sql_lineage(sql, resolver, self.builder, item, self.report, placeholders)
        if lineage is None:
            return None, []
        for table in lineage.tables:
            self.builder.add_edge(table, self.view_id(view.name), EdgeKind.FEEDS)
        return {name.lower(): srcs for name, srcs in lineage.columns.items()}, lineage.shaping

    def add_field_lineage(self, view: LookmlView) -> None:
        item = f"view {view.name}"
        source = self.sources[view.name]
        for fld in view.fields:
            target = self.field_id(view.name, fld.name)
            sql = analyse_field(fld)
            props = {"transformation": sql.transformation.value, "confidence": 1.0, "expression": sql.expression}
            for written in sql.columns:
                column, quoted = unquote(written)
                self.column_edges(view, source, column, quoted, target, sql.transformation, props, item)
            for ref_view, ref_field in sql.fields:
                owner = self.views.get(ref_view or view.name)
                found = find_field(owner, ref_field) if owner is not None else None
                if owner is None or found is None:
                    shown = f"{ref_view}.{ref_field}" if ref_view else ref_field
                    self.report.warn(item, "lineage",
                                     f"field {fld.name} refers to ${{{shown}}}, which the project does not define")
                    continue
                self.builder.add_edge(self.field_id(owner.name, found.name), target, EdgeKind.COLUMN_FEEDS, props)

    def column_edges(self, view: LookmlView, source: _ViewSource, column: str, quoted: bool, target: str,
                     how: Transformation, props: dict[str, Any], item: str) -> None:
        if source.table is not None:
            col = self.builder.column(source.table, column, exact=quoted)
            self.builder.add_edge(col, target, EdgeKind.COLUMN_FEEDS, props)
        elif source.derived is not None:
            upstream = source.derived.get(column.lower())
            if upstream is None:
                self.report.warn(item, "lineage", f"${{TABLE}}.{column} is not a column of the derived table")
                return
            for src in upstream:
                col = self.builder.column(src.dataset_id, src.column, exact=True)
                combined = combine(how, Transformation(src.transformation))
                self.builder.add_edge(col, target, EdgeKind.COLUMN_FEEDS,
                                      {**props, "transformation": combined.value,
                                       "confidence": min(1.0, src.confidence)})
        elif source.native:
            reference = source.native.get(column)
            resolved = self.explore_field(view.name, source.native_explore, reference, item) if reference else None
            if resolved is not None:
                self.builder.add_edge(resolved, target, EdgeKind.COLUMN_FEEDS, props)

    def explore_field(self, view: str, explore: str | None, reference: str, item: str) -> str | None:
        """A `view.field` reference of a native derived table's explore, as a field id."""
        matches = [e for (m, name), e in self.explores.items() if name == explore]
        if not matches:
            self.report.warn(item, "lineage", f"explore_source {explore} is not an explore of the project")
            return None
        return self.element_field(matches[0], reference, item)

    # ---- explores and dashboards ---------------------------------------------------------------

    def add_explore(self, explore: LookmlExplore) -> None:
        item = f"explore {explore.model}.{explore.name}"
        model = self.models.get(explore.model)
        node = self.builder.add_node(Node(
            id=self.explore_id(explore.model, explore.name),
            kind=NodeKind.EXPLORE,
            name=explore.name,
            qualified_name=f"{self.project.name}.{explore.model}.{explore.name}",
            description=(explore.description or "").strip(),
            aliases=unique([explore.label]),
            props={k: v for k, v in {
                "tool": "looker", "project": self.project.name, "model": explore.model, "file": explore.file,
                "connection": model.connection if model else None, "base_view": explore.view,
                "hidden": explore.hidden or None,
                "joins": [j.model_dump(exclude_none=True) for j in explore.joins] or None,
            }.items() if v is not None},
        ))
        for alias, view in explore.aliases().items():
            if view not in self.views:
                self.report.warn(item, "parse", f"{alias} names view {view}, which the project does not define")
                continue
            self.builder.add_edge(node.id, self.view_id(view), EdgeKind.CONTAINS)
            self.builder.add_edge(self.view_id(view), node.id, EdgeKind.FEEDS)
        for join in explore.joins:
            for ref_view, ref_field in analyse_join(join.sql_on):
                found = self.element_field(explore, f"{ref_view}.{ref_field}", item)
                if found is not None:
                    self.builder.add_edge(found, node.id, EdgeKind.COLUMN_SHAPES, {"role": "join", "confidence": 1.0})

    def element_field(self, explore: LookmlExplore, reference: str, item: str) -> str | None:
        alias, _, name = reference.partition(".")
        view = self.views.get(explore.aliases().get(alias, ""))
        found = find_field(view, name) if view is not None and name else None
        if view is None or found is None:
            self.report.warn(item, "parse", f"field {reference} is not a field of explore {explore.name}")
            return None
        return self.field_id(view.name, found.name)

    def add_dashboard(self, dashboard: LookmlDashboard) -> None:
        item = f"dashboard {dashboard.name}"
        node = self.builder.add_node(Node(
            id=tool_id(NodeKind.DASHBOARD, TOOL, self.project.name, dashboard.name),
            kind=NodeKind.DASHBOARD,
            name=dashboard.name,
            qualified_name=f"{self.project.name}.{dashboard.name}",
            description=(dashboard.description or "").strip(),
            aliases=unique([dashboard.title]),
            props={k: v for k, v in {
                "tool": "looker", "project": self.project.name, "file": dashboard.file, "title": dashboard.title,
                "layout": dashboard.layout,
                "filters": [f.model_dump(exclude_none=True) for f in dashboard.filters] or None,
            }.items() if v is not None},
        ))
        for flt in dashboard.filters:
            explore = self.explores.get((flt.model or "", flt.explore or ""))
            if explore is not None and flt.field:
                found = self.element_field(explore, flt.field, item)
                if found is not None:
                    self.builder.add_edge(found, node.id, EdgeKind.FEEDS, {"used_as": "filter"})
        for element in dashboard.elements:
            if not element.explore:
                continue  # text and button tiles read no data
            chart = self.builder.add_node(Node(
                id=tool_id(NodeKind.CHART, TOOL, self.project.name, dashboard.name, element.name),
                kind=NodeKind.CHART,
                name=element.name,
                qualified_name=f"{self.project.name}.{dashboard.name}.{element.name}",
                aliases=unique([element.title]),
                props={k: v for k, v in {
                    "tool": "looker", "dashboard": node.id, "title": element.title, "type": element.type,
                    "model": element.model, "explore": element.explore, "fields": list(element.fields) or None,
                    "filters": {k: str(v) for k, v in element.filters.items()} or None,
                    "pivots": list(element.pivots) or None, "sorts": list(element.sorts) or None,
                }.items() if v is not None},
            ))
            self.builder.add_edge(node.id, chart.id, EdgeKind.CONTAINS)
            # the chart's data flows into the dashboard: downstream of a column reaches both
            self.builder.add_edge(chart.id, node.id, EdgeKind.FEEDS)
            explore = self.explores.get((element.model or "", element.explore))
            if explore is None:
                self.report.warn(f"{item}.{element.name}", "parse",
                                 f"reads explore {element.model}.{element.explore}, which the project does not define")
                continue
            self.builder.add_edge(self.explore_id(explore.model, explore.name), chart.id, EdgeKind.FEEDS)
            uses = [(f, "field") for f in element.fields] + [(f, "pivot") for f in element.pivots] + \
                [(f, "filter") for f in element.filters] + [(f, "filter") for f in element.listen.values()]
            for reference, used_as in uses:
                if "." not in reference:
                    continue  # a table calculation or custom field of the tile
                found = self.element_field(explore, reference, f"{item}.{element.name}")
                if found is not None:
                    self.builder.add_edge(found, chart.id, EdgeKind.FEEDS, {"used_as": used_as})


def analyse_join(sql_on: str | None) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FIELD_REF.finditer(sql_on or "") if m.group(2)]


def parse_project(
    project: LookmlProject,
    config: LookmlConfig,
    catalogue: Catalogue,
    report: IngestReport,
    progress: Callable[[int, int], None] | None = None,
) -> GraphBuilder:
    parser = _Parser(project, config, catalogue, report)
    views = list(parser.views.values())
    total = len(views) + len(project.dashboards)
    with report.timed("parse"):
        for done, view in enumerate(views, start=1):
            parser.add_view(view)
            if progress is not None:
                progress(done, total)
        for explore in project.explores:
            parser.add_explore(explore)
        for view in views:
            parser.add_field_lineage(view)
        for done, dashboard in enumerate(project.dashboards, start=len(views) + 1):
            parser.add_dashboard(dashboard)
            if progress is not None:
                progress(done, total)
    report.stats.update({
        "project": project.name,
        "models": len(project.models),
        "views": len(views),
        "explores": len(project.explores),
        "dashboards": len(project.dashboards),
    })
    parser.builder.count()
    return parser.builder
