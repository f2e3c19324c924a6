"""A database catalog in, graph nodes and edges out. Pure: no database, no store.

Tables and views become dataset nodes named the way every other source names them, with their columns,
keys and comments; a view's definition is parsed for column lineage from the relations it reads.
"""

from collections.abc import Callable
from typing import Any

from graph_schema.errors import InvalidIdError
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.naming import DatasetName, dataset_name, namespace_for, normalise_part, platform
from graph_schema.sql_lineage import SqlLineageError, analyze
from ingestors.catalog.snapshot import CatalogSnapshot, Relation
from ingestors.common.report import IngestReport
from ingestors.identity.builder import GraphBuilder
from ingestors.identity.resolver import Catalogue

# Platforms whose identifiers are case-insensitive even when quoted: a stored spelling is folded like any.
CASE_BLIND_PLATFORMS = frozenset({"duckdb"})


def source_name(snapshot: CatalogSnapshot) -> str:
    """`catalog:<namespace>/<database>`: one source per database, so ingesting one never retires another."""
    return f"catalog:{namespace_for(snapshot.platform, snapshot.authority)}/{snapshot.database}"


def _stored(part: str, snapshot: CatalogSnapshot) -> str:
    """A name part as the database stores it, quoted where folding it would name another relation."""
    plat = platform(snapshot.platform)
    if snapshot.platform in CASE_BLIND_PLATFORMS or normalise_part(part, plat) == part:
        return part
    return '"' + part.replace('"', '""') + '"'


def relation_name(snapshot: CatalogSnapshot, schema: str, name: str) -> DatasetName:
    parts = [snapshot.database, schema, name][-platform(snapshot.platform).parts:]
    return dataset_name(snapshot.platform, snapshot.authority, *(_stored(p, snapshot) for p in parts))


def parse_catalog(
    snapshot: CatalogSnapshot,
    catalogue: Catalogue,
    report: IngestReport,
    *,
    view_lineage: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> GraphBuilder:
    builder = GraphBuilder(report, catalogue)
    ids: dict[tuple[str, str], str] = {}
    with report.timed("parse"):
        for relation in snapshot.relations:
            try:
                ids[(relation.schema_name, relation.name)] = _add_relation(builder, snapshot, relation)
            except InvalidIdError as exc:
                report.fail(f"{relation.schema_name}.{relation.name}", "parse", f"skipped: {exc}")
        _add_foreign_keys(builder, snapshot, ids)
    views = [r for r in snapshot.relations if r.definition and (r.schema_name, r.name) in ids]
    coverage = {"complete": 0, "partial": 0, "unknown": 0}
    with report.timed("lineage"):
        if view_lineage:
            schema = _schema(snapshot)
            by_name = {builder.nodes[i].qualified_name: i for i in ids.values()}
            for done, view in enumerate(views, start=1):
                coverage[_add_view_lineage(builder, snapshot, view, ids[(view.schema_name, view.name)],
                                           schema, by_name)] += 1
                if progress is not None:
                    progress(done, len(views))
    report.stats.update({
        "database": snapshot.database,
        "tables": sum(1 for r in snapshot.relations if r.kind == "table"),
        "views": sum(1 for r in snapshot.relations if r.kind != "table"),
        "view_lineage": f"{coverage['complete']} complete / {coverage['partial']} partial / "
                        f"{coverage['unknown']} unknown",
    })
    builder.count()
    return builder


def _add_relation(builder: GraphBuilder, snapshot: CatalogSnapshot, relation: Relation) -> str:
    name = relation_name(snapshot, relation.schema_name, relation.name)
    written = f"{relation.schema_name}.{relation.name}"
    props: dict[str, Any] = {
        "platform": snapshot.platform,
        "database": snapshot.database,
        "schema": relation.schema_name,
        "identifier": relation.name,
        "table_type": relation.kind,
        "comment": relation.comment,
        "primary_key": list(relation.primary_key) or None,
        "view_definition": relation.definition,
    }
    dataset_id = builder.dataset(
        name,
        written,
        kind=NodeKind.TABLE if relation.kind == "table" else NodeKind.VIEW,
        description=(relation.comment or "").strip(),
        props={k: v for k, v in props.items() if v is not None},
    )
    primary = set(relation.primary_key)
    for column in relation.columns:
        builder.column(
            dataset_id,
            column.name,
            exact=True,
            description=(column.comment or "").strip(),
            data_type=column.data_type,
            data_type_source="warehouse",
            index=column.ordinal,
            nullable=column.nullable,
            default=column.default,
            comment=column.comment,
            primary_key=True if column.name in primary else None,
        )
    return dataset_id


def _add_foreign_keys(builder: GraphBuilder, snapshot: CatalogSnapshot, ids: dict[tuple[str, str], str]) -> None:
    for relation in snapshot.relations:
        dataset_id = ids.get((relation.schema_name, relation.name))
        if dataset_id is None or not relation.foreign_keys:
            continue
        keys = []
        for fk in relation.foreign_keys:
            referred = ids.get((fk.ref_schema, fk.ref_table))
            if referred is None:
                referred = relation_name(snapshot, fk.ref_schema, fk.ref_table).id
            keys.append({"name": fk.name, "columns": list(fk.columns), "references": referred,
                         "referenced_columns": list(fk.ref_columns)})
            for column, ref_column in zip(fk.columns, fk.ref_columns):
                col_id = builder.column(dataset_id, column, exact=True)
                builder.update_props(col_id, foreign_key={"dataset": referred, "column": ref_column})
        builder.update_props(dataset_id, foreign_keys=keys)


def _schema(snapshot: CatalogSnapshot) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for relation in snapshot.relations:
        tables = schema.setdefault(snapshot.database, {}).setdefault(relation.schema_name, {})
        tables[relation.name] = {c.name: c.data_type for c in relation.columns}
    return schema


def _add_view_lineage(
    builder: GraphBuilder,
    snapshot: CatalogSnapshot,
    view: Relation,
    view_id: str,
    schema: dict[str, dict[str, dict[str, dict[str, str]]]],
    by_name: dict[str, str],
) -> str:
    """Column edges from the relations a view reads into its columns; returns the view's coverage."""
    item = f"{view.schema_name}.{view.name}"
    default_db = view.schema_name if snapshot.views_bind_in_own_schema else snapshot.default_schema
    try:
        lineage = analyze(view.definition or "", snapshot.dialect, schema,
                          default_catalog=snapshot.database, default_db=default_db)
    except SqlLineageError as exc:
        reason = " ".join(str(exc).split())[:300]
        builder.report.warn(item, "lineage", f"view definition not analysed: {reason}")
        _set_lineage(builder, view_id, {"status": "unparsed", "coverage": "unknown", "reason": reason})
        return "unknown"
    partial = False
    unknown: dict[str, None] = {}

    def dataset_for(table: str) -> str | None:
        try:
            found = by_name.get(dataset_name(snapshot.platform, snapshot.authority, table).name)
        except InvalidIdError:
            found = None
        if found is None:
            unknown[table] = None
        return found

    for column in lineage.columns:
        if column.name == "*":
            partial = True
            continue
        target = builder.column(view_id, column.name, exact=True)
        for src in column.sources:
            source_dataset = dataset_for(src.table)
            if source_dataset is None or src.column == "*" or source_dataset == view_id:
                partial = True
                continue
            partial = partial or src.confidence < 1.0
            source = builder.column(source_dataset, src.column, exact=True)
            # no `expression`: the view's SQL is on the view node, and a dbt model's own text reads better
            builder.add_edge(source, target, EdgeKind.COLUMN_FEEDS,
                             {"transformation": src.transformation.value, "confidence": src.confidence})
    for shape in lineage.row_shaping:
        source_dataset = dataset_for(shape.table)
        if source_dataset is None or shape.column == "*" or source_dataset == view_id:
            continue
        source = builder.column(source_dataset, shape.column, exact=True)
        builder.add_edge(source, view_id, EdgeKind.COLUMN_SHAPES,
                         {"role": shape.role.value, "confidence": shape.confidence})
    for table in lineage.tables.read:
        source_dataset = dataset_for(table)
        if source_dataset is not None:
            builder.add_edge(source_dataset, view_id, EdgeKind.FEEDS)
    if unknown:
        partial = True
        builder.report.warn(item, "lineage", f"reads relations outside this catalog: {', '.join(list(unknown)[:3])}")
    coverage = "partial" if partial else "complete"
    _set_lineage(builder, view_id, {"status": "parsed", "coverage": coverage})
    return coverage


def _set_lineage(builder: GraphBuilder, view_id: str, lineage: dict[str, Any]) -> None:
    # Not `lineage`: that property is the dbt ingestor's, and merged props keep the first source's value.
    builder.update_props(view_id, view_lineage=lineage)
