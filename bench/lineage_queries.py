"""Benchmark: trace_lineage and impact_analysis answers on a synthetic estate, on each graph backend.

The estate is bench/graph_traversal.py's layered DAG (default 200,000 datasets, about 1,000,000 feeds
edges). Each query is the full answer the tools compute - walk, node details, coverage, severities, owners
and tests - without the MCP transport and governance around it. Starts are drawn from the upper layers so
every walk has `depth` layers below it.

    python bench/lineage_queries.py [--nodes 200000] [--queries 100] [--depth 5] [--backend embedded neo4j]

Prints p50/p95 per query and backend and writes bench/results/lineage_queries.json.
Targets: embedded p95 <= 10 ms, Neo4j p95 <= 50 ms.
"""

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from _results import machine, write_results  # noqa: E402
from graph_traversal import LAYERS, estate, open_backend, percentile  # noqa: E402

from graph_schema.models import Edge, Node  # noqa: E402
from graph_schema.store import Direction  # noqa: E402
from graph_schema.store.base import GraphStore  # noqa: E402
from server.heap import settle_heap  # noqa: E402
from server.lineage.impact import ImpactRequest, analyse  # noqa: E402
from server.lineage.trace import TraceRequest, trace  # noqa: E402
from server.tools.schemas import ChangeSpec  # noqa: E402

TARGETS_MS = {"embedded": 10.0, "neo4j": 50.0}
# Roots asked before timing each query, none of them timed again: a server answers in steady state, and just
# after a bulk load Neo4j is still compiling plans and collecting the load's garbage.
WARMUP = 20
# Neo4j caps the memory of one transaction: the estate goes in as several runs (sources) of whole layers,
# the last layers first so that every edge's target already exists. The graph is the same either way.
CHUNKS = {"embedded": 1, "neo4j": 10}

Query = Callable[[GraphStore, Node, int], int]


def trace_downstream(store: GraphStore, root: Node, depth: int) -> int:
    return len(trace(store, TraceRequest(root=root, direction=Direction.DOWNSTREAM, depth=depth)).nodes)


def trace_upstream(store: GraphStore, root: Node, depth: int) -> int:
    return len(trace(store, TraceRequest(root=root, direction=Direction.UPSTREAM, depth=depth)).nodes)


def impact_modify_logic(store: GraphStore, root: Node, depth: int) -> int:
    request = ImpactRequest(target=root, change=ChangeSpec(type="modify_logic"), depth=depth)
    return len(analyse(store, request).impacted)


def impact_drop_asset(store: GraphStore, root: Node, depth: int) -> int:
    request = ImpactRequest(target=root, change=ChangeSpec(type="drop_asset"), depth=depth)
    return len(analyse(store, request).impacted)


def impact_rename_asset(store: GraphStore, root: Node, depth: int) -> int:
    request = ImpactRequest(target=root, change=ChangeSpec(type="rename_asset", new_name="renamed"), depth=depth)
    return len(analyse(store, request).impacted)


QUERIES: dict[str, Query] = {
    "trace_downstream": trace_downstream,
    "trace_upstream": trace_upstream,
    "impact_modify_logic": impact_modify_logic,
    "impact_drop_asset": impact_drop_asset,
    "impact_rename_asset": impact_rename_asset,
}


def load(store: GraphStore, nodes: list[Node], edges: list[Edge], chunks: int) -> None:
    per_layer = len(nodes) // LAYERS
    layer_of = {node.id: i // per_layer for i, node in enumerate(nodes)}
    bounds = [round(i * LAYERS / chunks) for i in range(chunks + 1)]
    for part in reversed(range(chunks)):
        layers = range(bounds[part], bounds[part + 1])
        with store.begin_run(f"bench:estate:{part}") as run:
            run.add_nodes(n for n in nodes if layer_of[n.id] in layers)
            run.add_edges(e for e in edges if layer_of[e.source] in layers)


def load_estate(store: GraphStore, n_nodes: int, fanout: int, chunks: int) -> float:
    """Build the estate, load it, let go of it and settle the heap as a server does before serving; the
    seconds the load took.

    The estate's millions of Python objects are dropped before any query is timed: a server holds none
    of them, and a full garbage collection over them would be charged to whichever query triggered it.
    """
    nodes, edges = estate(n_nodes, fanout)
    started = time.perf_counter()
    load(store, nodes, edges, chunks)
    elapsed = time.perf_counter() - started
    del nodes, edges
    settle_heap()
    return elapsed


def pick_roots(nodes: list[Node], queries: int, depth: int) -> list[Node]:
    """Query roots with `depth` layers on the side walked: upstream walks start below `depth` layers of
    sources, downstream ones above `depth` layers of readers."""
    rng = random.Random(11)
    per_layer = len(nodes) // LAYERS
    low, high = per_layer * depth, per_layer * (LAYERS - depth)
    return [nodes[rng.randrange(low, high)] for _ in range(queries + WARMUP)]


def measure(store: GraphStore, picks: list[Node], depth: int) -> dict:
    out: dict = {}
    for name, query in QUERIES.items():
        for root in picks[:WARMUP]:
            query(store, root, depth)
        latencies, sizes = [], []
        for root in picks[WARMUP:]:
            started = time.perf_counter()
            sizes.append(query(store, root, depth))
            latencies.append((time.perf_counter() - started) * 1000)
        out[name] = {
            "p50_ms": round(percentile(latencies, 0.50), 2),
            "p95_ms": round(percentile(latencies, 0.95), 2),
            "mean_items": round(statistics.mean(sizes), 1),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--fanout", type=int, default=5)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--backend", nargs="+", default=["embedded", "neo4j"], choices=["embedded", "neo4j"])
    args = parser.parse_args()

    nodes, edges = estate(args.nodes, args.fanout)
    shape = {"nodes": len(nodes), "edges": len(edges), "layers": LAYERS, "fanout": args.fanout}
    print(f"estate: {len(nodes):,} nodes, {len(edges):,} edges; {args.queries} queries each at depth {args.depth}")
    picks = pick_roots(nodes, args.queries, args.depth)
    del nodes, edges
    results: dict = {
        "benchmark": "lineage_queries",
        "machine": machine(),
        "estate": shape,
        "depth": args.depth,
        "queries": args.queries,
        "backends": {},
    }
    for name in args.backend:
        with ExitStack() as stack:
            store = open_backend(name, stack)
            load_s = load_estate(store, args.nodes, args.fanout, CHUNKS[name])
            figures = measure(store, picks, args.depth)
        target = TARGETS_MS[name]
        results["backends"][name] = {
            "load_s": round(load_s, 1),
            "target_p95_ms": target,
            "queries": figures,
            "meets_target": all(f["p95_ms"] <= target for f in figures.values()),
        }
        print(f"{name} (load {load_s:.0f} s, target p95 <= {target:.0f} ms)")
        for query, f in figures.items():
            print(f"  {query:<22} p50 {f['p50_ms']:>8.1f} ms   p95 {f['p95_ms']:>8.1f} ms   ~{f['mean_items']:.0f} items")
    out = write_results("lineage_queries", results, same_run_keys=("estate",))
    print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
