"""Benchmark: load a synthetic lineage estate and time downstream closures, on each graph backend.

The estate is a layered DAG like a warehouse's: LAYERS layers of datasets, each feeding FANOUT datasets
of the next layer chosen near its own position, so closures grow with depth as real lineage does rather
than exploding to the whole graph. Default: 200,000 nodes and about 1,000,000 edges.

    python bench/graph_traversal.py [--nodes 200000] [--fanout 5] [--queries 200] [--backend embedded neo4j]

Prints load time and closure p50/p95 per backend and writes bench/results/graph_traversal.json.
Targets: embedded p95 <= 10 ms, Neo4j p95 <= 50 ms.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _results import machine, write_results  # noqa: E402
from graph_schema.kinds import EdgeKind, NodeKind  # noqa: E402
from graph_schema.models import Edge, Node  # noqa: E402
from graph_schema.store import Direction  # noqa: E402
from graph_schema.store.base import GraphStore  # noqa: E402
from graph_schema.store.embedded.store import EmbeddedStore  # noqa: E402

TARGETS_MS = {"embedded": 10.0, "neo4j": 50.0}
LAYERS = 20
WINDOW = 40


def estate(n_nodes: int, fanout: int, seed: int = 7) -> tuple[list[Node], list[Edge]]:
    rng = random.Random(seed)
    per_layer = n_nodes // LAYERS
    ids = [[f"dataset:duckdb://bench/l{layer}.t{i}" for i in range(per_layer)] for layer in range(LAYERS)]
    nodes = [
        Node(id=ids[layer][i], kind=NodeKind.MODEL if layer else NodeKind.SOURCE, name=f"l{layer}_t{i}")
        for layer in range(LAYERS)
        for i in range(per_layer)
    ]
    edges = []
    for layer in range(LAYERS - 1):
        for i in range(per_layer):
            targets = {min(per_layer - 1, max(0, i + rng.randint(-WINDOW, WINDOW))) for _ in range(fanout)}
            edges.extend(
                Edge(source=ids[layer][i], target=ids[layer + 1][t], kind=EdgeKind.FEEDS) for t in sorted(targets)
            )
    return nodes, edges


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(store: GraphStore, nodes: list[Node], edges: list[Edge], queries: int, depth: int) -> dict:
    started = time.perf_counter()
    with store.begin_run("bench:estate") as run:
        run.add_nodes(nodes)
        run.add_edges(edges)
    load_s = time.perf_counter() - started
    rng = random.Random(11)
    per_layer = len(nodes) // LAYERS
    starts = [nodes[rng.randrange(0, per_layer * (LAYERS - depth))].id for _ in range(queries)]
    for node_id in starts[:10]:  # warm caches and connections
        store.traverse(node_id, Direction.DOWNSTREAM, [EdgeKind.FEEDS], max_depth=depth)
    latencies, sizes = [], []
    for node_id in starts:
        t0 = time.perf_counter()
        reached = store.traverse(node_id, Direction.DOWNSTREAM, [EdgeKind.FEEDS], max_depth=depth).reached
        latencies.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(reached))
    return {
        "load_s": round(load_s, 2),
        "closure_p50_ms": round(percentile(latencies, 0.50), 2),
        "closure_p95_ms": round(percentile(latencies, 0.95), 2),
        "closure_mean_nodes": round(statistics.mean(sizes), 1),
        "queries": queries,
        "depth": depth,
    }


def open_backend(name: str, stack: ExitStack) -> GraphStore:
    if name == "embedded":
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        return stack.enter_context(EmbeddedStore(folder / "graph"))
    from graph_schema.store.neo4j_store import Neo4jStore
    from tests.support.neo4j import HEAP_ENV, PAGECACHE_ENV, neo4j_test_server, wipe_neo4j

    # One run is one transaction: a million edges need more heap than the test suite's Neo4j has, and a
    # page cache that holds the graph, as a production Neo4j would be given.
    os.environ.setdefault(HEAP_ENV, "8g")
    os.environ.setdefault(PAGECACHE_ENV, "4096")
    server = stack.enter_context(neo4j_test_server())
    wipe_neo4j(server)
    return stack.enter_context(
        Neo4jStore(server.uri, user=server.user, password=server.password, database=server.database)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--fanout", type=int, default=5)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--backend", nargs="+", default=["embedded", "neo4j"], choices=["embedded", "neo4j"])
    args = parser.parse_args()

    t0 = time.perf_counter()
    nodes, edges = estate(args.nodes, args.fanout)
    print(f"estate: {len(nodes):,} nodes, {len(edges):,} edges (generated in {time.perf_counter() - t0:.1f} s)")
    results: dict = {
        "benchmark": "graph_traversal",
        "machine": machine(),
        "estate": {"nodes": len(nodes), "edges": len(edges), "layers": LAYERS, "fanout": args.fanout},
        "backends": {},
    }
    for name in args.backend:
        with ExitStack() as stack:
            store = open_backend(name, stack)
            figures = measure(store, nodes, edges, args.queries, args.depth)
        figures["target_p95_ms"] = TARGETS_MS[name]
        figures["meets_target"] = figures["closure_p95_ms"] <= TARGETS_MS[name]
        results["backends"][name] = figures
        print(
            f"{name:>9}: load {figures['load_s']:.1f} s · closure (depth {args.depth}, "
            f"~{figures['closure_mean_nodes']:.0f} nodes) p50 {figures['closure_p50_ms']:.1f} ms, "
            f"p95 {figures['closure_p95_ms']:.1f} ms (target ≤ {TARGETS_MS[name]:.0f} ms)"
        )
    out = write_results("graph_traversal", results, same_run_keys=("estate",))
    print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
