"""A second process that reads the graph while the test process ingests: it reports every state it saw.

Each ingestion run in the test writes one chain of nodes all tagged with the run's number, from a head
node whose id never changes. Each single read must show one whole run: all nodes of one run (a listing),
or a chain of one run's nodes of that run's length (a traversal from the head).
"""

import json
import sys
import time

from graph_schema.kinds import EdgeKind
from graph_schema.store import Direction
from graph_schema.store.embedded.store import EmbeddedStore
from graph_schema.store.neo4j_store import Neo4jStore


def main() -> None:
    spec = json.loads(sys.argv[1])
    if spec["backend"] == "embedded":
        store = EmbeddedStore(spec["path"], read_only=True)
    else:
        store = Neo4jStore(spec["uri"], user=spec["user"], password=spec["password"], database=spec["database"])
    deadline = time.monotonic() + spec["seconds"]
    seen: dict[str, int] = {}
    chains: dict[str, set[int]] = {}
    torn: list[str] = []
    reads = 0
    print("ready", flush=True)
    head_id = spec["head"]
    while time.monotonic() < deadline:
        nodes = list(store.nodes())
        if not nodes:
            continue
        tags = {n.props["run"] for n in nodes}
        reads += 1
        if len(tags) != 1:
            torn.append(f"listing: tags={sorted(tags)}")
            continue
        seen[str(tags.pop())] = len(nodes)
        reached = store.traverse(head_id, Direction.DOWNSTREAM, [EdgeKind.FEEDS], max_depth=30).reached
        runs = {r.name.split("_")[0] for r in reached}
        if len(runs) != 1:
            torn.append(f"traversal: runs={sorted(runs)}")
            continue
        chains.setdefault(runs.pop(), set()).add(len(reached) + 1)
    store.close()
    print(json.dumps({"seen": seen, "chains": {k: sorted(v) for k, v in chains.items()}, "torn": torn, "reads": reads}), flush=True)


if __name__ == "__main__":
    main()
