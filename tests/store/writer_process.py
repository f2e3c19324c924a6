"""A process that ingests one large run, to be killed with SIGKILL somewhere in the middle."""

import json
import sys

from graph_schema.store.embedded.store import EmbeddedStore
from graph_schema.store.neo4j_store import Neo4jStore
from tests.store.test_concurrency import chain


def main() -> None:
    spec = json.loads(sys.argv[1])
    if spec["backend"] == "embedded":
        store = EmbeddedStore(spec["path"])
    else:
        store = Neo4jStore(spec["uri"], user=spec["user"], password=spec["password"], database=spec["database"])
    nodes, edges = chain(spec["run"], spec["length"])
    print("writing", flush=True)
    with store.begin_run("test:chain") as run:
        run.add_nodes(nodes)
        run.add_edges(edges)
    print("committed", flush=True)


if __name__ == "__main__":
    main()
