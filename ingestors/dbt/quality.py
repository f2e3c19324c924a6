"""dbt data tests (generic and singular) and unit tests, each linked to what it tests."""

import re
from typing import Any

from graph_schema.ids import make_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from ingestors.dbt.manifest import ManifestNode, UnitTest
from ingestors.dbt.context import ParseContext, owners_from_meta, unique
from ingestors.dbt.ids import dbt_node_id


def add_tests(ctx: ParseContext) -> None:
    manifest = ctx.artifacts.manifest
    for unique_id, node in manifest.nodes.items():
        if node.resource_type == "test" and node.config.enabled:
            with ctx.item(unique_id):
                _add_data_test(ctx, unique_id, node)
    for unique_id, unit in manifest.unit_tests.items():
        if unit.config.enabled:
            with ctx.item(unique_id):
                _add_unit_test(ctx, unique_id, unit)


def _kwargs(node: ManifestNode) -> dict[str, Any]:
    if node.test_metadata is None:
        return {}
    # `model` is the rendered relation the test runs on: an implementation detail, not an argument.
    return {k: v for k, v in node.test_metadata.kwargs.items() if k != "model"}


def _add_data_test(ctx: ParseContext, unique_id: str, node: ManifestNode) -> None:
    generic = node.test_metadata is not None
    meta = node.all_meta()
    props: dict[str, Any] = {
        "dbt_unique_ids": [unique_id],
        "test_type": "generic" if generic else "singular",
        "severity": (node.config.severity or "error").lower(),
        "file_path": node.original_file_path,
        "meta": meta,
    }
    if generic and node.test_metadata is not None:
        props["test_name"] = node.test_metadata.name
        if node.test_metadata.namespace:
            props["test_namespace"] = node.test_metadata.namespace
        props["kwargs"] = _kwargs(node)
    else:
        props["raw_sql"] = node.raw_code
    if node.compiled_code:
        props["compiled_sql"] = node.compiled_code
    if node.column_name:
        props["column_name"] = node.column_name
    if node.config.where:
        props["where"] = node.config.where
    last_run = ctx.last_run(unique_id)
    if last_run:
        props["last_run"] = last_run
    test = Node(
        id=dbt_node_id(NodeKind.TEST, unique_id),
        kind=NodeKind.TEST,
        name=node.name,
        qualified_name=f"{ctx.project}.{node.name}",
        description=node.description.strip(),
        owners=unique(owners_from_meta(meta)),
        tags=unique(node.all_tags()),
        aliases=(unique_id,),
        props=props,
    )
    ctx.add_node(test, unique_id)
    targets = _tested(ctx, node)
    if not targets:
        ctx.report.warn(unique_id, "parse", "tests nothing in the graph")
    attached = ctx.graph_id.get(node.attached_node or "")
    other = [p for p in node.depends_on.nodes
             if ctx.graph_id.get(p) and ctx.graph_id[p] not in targets and ctx.graph_id[p] != attached]
    if other:
        # e.g. the parent side of a relationships test: read, not tested
        ctx.replace_node(test.model_copy(update={"props": {**props, "references": [ctx.graph_id[p] for p in other]}}))
    for target in targets:
        ctx.add_edge(test.id, target, EdgeKind.TESTS)


_PLAIN_COLUMN = re.compile(r"^[\"`\[]?[A-Za-z_][\w$]*[\"`\]]?$")


def _tested(ctx: ParseContext, node: ManifestNode) -> list[str]:
    """The column a generic test checks, else the dataset it is attached to, else all it reads.

    A test on an expression (`column_name: lower(email)`) is attached to the dataset.
    """
    attached = ctx.graph_id.get(node.attached_node or "")
    if attached is not None:
        if node.column_name and _PLAIN_COLUMN.match(node.column_name.strip()):
            return [ctx.ensure_column(attached, node.column_name.strip(), "test")]
        return [attached]
    return [ctx.graph_id[p] for p in node.depends_on.nodes if p in ctx.graph_id]


def _add_unit_test(ctx: ParseContext, unique_id: str, unit: UnitTest) -> None:
    inputs = [str(g.get("input", "")) for g in unit.given]
    test = Node(
        id=make_id(NodeKind.TEST.value, f"dbt.{unique_id}"),
        kind=NodeKind.TEST,
        name=unit.name,
        qualified_name=f"{ctx.project}.{unit.model}.{unit.name}",
        description=unit.description.strip(),
        tags=unique(unit.config.tags),
        aliases=(unique_id,),
        props={
            "dbt_unique_ids": [unique_id],
            "test_type": "unit",
            "model": unit.model,
            "inputs": inputs,
            "file_path": unit.original_file_path,
            **({"last_run": run} if (run := ctx.last_run(unique_id)) else {}),
        },
    )
    ctx.add_node(test, unique_id)
    for parent in unit.depends_on.nodes:
        target = ctx.graph_id.get(parent)
        if target is not None:
            ctx.add_edge(test.id, target, EdgeKind.TESTS)
