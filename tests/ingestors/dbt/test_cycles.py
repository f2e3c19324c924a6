"""A depends_on cycle among dbt models is ingested as the manifest says, and each cycle is reported."""

import sys

from graph_schema.kinds import EdgeKind
from graph_schema.sql_lineage import analyze
from ingestors.dbt.artifacts import DbtArtifacts
from ingestors.dbt.cycles import MAX_NAMED, Cycle, depends_on_cycles
from ingestors.dbt.parser import parse
from tests.ingestors.dbt.graph_helpers import ds, edges_into


def test_a_cycle_among_models_is_reported_naming_its_nodes_and_still_ingested(shop_artifacts: DbtArtifacts) -> None:
    looped = shop_artifacts.model_copy(deep=True)
    nodes = looped.manifest.nodes
    # stg_orders feeds fct_orders through int_orders_enriched; now fct_orders feeds stg_orders too
    nodes["model.shop.stg_orders"].depends_on.nodes.append("model.shop.fct_orders")
    # and a model lists itself among what it depends on
    nodes["model.shop.dim_products"].depends_on.nodes.append("model.shop.dim_products")

    graph = parse(looped, analyze)

    reported = {(w.item, w.message) for w in graph.report.warnings if w.stage == "parse"}
    assert reported == {
        ("model.shop.dim_products", "depends on itself"),
        ("model.shop.fct_orders",
         "depends on itself through model.shop.int_orders_enriched -> model.shop.stg_orders"),
    }
    assert graph.report.failures == []
    # reported, not repaired: the edge closing the cycle is in the graph like any other
    assert ds("analytics.fct_orders") in edges_into(graph, ds("staging.stg_orders"), EdgeKind.FEEDS)
    assert ds("intermediate.int_orders_enriched") in edges_into(graph, ds("analytics.fct_orders"), EdgeKind.FEEDS)


def test_the_shop_project_has_no_cycle_to_report(shop_artifacts: DbtArtifacts) -> None:
    parents = {uid: n.depends_on.nodes for uid, n in shop_artifacts.manifest.nodes.items()}
    assert len(parents) > 20
    assert depends_on_cycles(parents) == []


def test_every_cycle_is_found_however_long_without_recursion() -> None:
    ring = [f"model.p.r{i:06d}" for i in range(3 * sys.getrecursionlimit())]
    parents: dict[str, list[str]] = {node: [ring[i - 1]] for i, node in enumerate(ring)}  # r0 -> r_last: closed
    parents |= {
        "model.p.a": ["model.p.b", "source.p.raw.a"],  # a source is not a node of the graph
        "model.p.b": ["model.p.c", "model.p.a"],
        "model.p.c": ["model.p.a"],  # a -> b -> a is the shortest; c is in cycles with them too
        "model.p.self": ["model.p.self"],
        "model.p.chain": ["model.p.a", ring[5]],  # downstream of two cycles, on none
    }

    found = depends_on_cycles(parents)

    assert [c.path[0] for c in found] == ["model.p.a", ring[0], "model.p.self"]
    small, long, alone = found
    assert small == Cycle(path=("model.p.a", "model.p.b"), others=("model.p.c",))
    assert small.message() == "depends on itself through model.p.b; 1 more node is in cycles with it: model.p.c"
    assert long.path == (ring[0], *reversed(ring[1:])) and long.others == ()
    assert alone == Cycle(path=("model.p.self",))
    # a cycle as long as a project is counted past the first names, so the report line stays short
    assert long.message().count("model.p.") == MAX_NAMED
    assert long.message().endswith(f"({len(ring) - 1 - MAX_NAMED} more)")
