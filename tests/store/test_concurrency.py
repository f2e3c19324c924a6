"""Several processes: one ingests while another reads, on each backend."""

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from graph_schema.kinds import NodeKind
from graph_schema.store import Direction
from graph_schema.models import Node
from tests.store.graph_builders import ds, feeds

REPO = Path(__file__).resolve().parents[2]


def chain(run: int, length: int) -> tuple[list[Node], list]:
    # the head keeps its id across runs, so a reader can always start from it
    nodes = [ds("head", NodeKind.MODEL, props={"run": run})]
    nodes += [ds(f"r{run}_n{i}", NodeKind.MODEL, props={"run": run}) for i in range(1, length)]
    return nodes, [feeds(a, b) for a, b in zip(nodes, nodes[1:])]


def process_spec(backend: str, tmp_path: Path, request) -> dict:
    """How a child process opens the same graph as the test's `store`."""
    if backend == "embedded":
        return {"backend": backend, "path": str(tmp_path / "graph")}
    server = request.getfixturevalue("neo4j_server")
    return {"backend": backend, "uri": server.uri, "user": server.user, "password": server.password,
            "database": server.database}


def test_a_reader_process_never_sees_half_a_run(backend, store, tmp_path, request):
    spec = process_spec(backend, tmp_path, request)
    nodes, edges = chain(0, 5)
    with store.begin_run("test:chain") as run:
        run.add_nodes(nodes)
        run.add_edges(edges)
    spec["seconds"] = 12
    spec["head"] = nodes[0].id
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.store.reader_process", json.dumps(spec)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert reader.stdout.readline().strip() == "ready"
    lengths = {}
    for run_no in range(1, 9):
        length = 5 + run_no * 3
        nodes, edges = chain(run_no, length)
        with store.begin_run("test:chain") as run:
            run.add_nodes(nodes)
            run.add_edges(edges)
        lengths[str(run_no)] = length
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["torn"] == []
    assert report["reads"] > 0
    # every state the reader saw was a whole run, and it saw the store move on
    expected = {"0": 5, **lengths}
    assert report["seen"], report
    for tag, count in report["seen"].items():
        assert expected[tag] == count
    assert report["chains"], report
    for tag, counts in report["chains"].items():
        assert counts == [expected[tag.removeprefix("r")]]
    assert store.stats().nodes == lengths["8"]


def test_two_writers_at_once_serialise(backend, store_factory):
    handles = [store_factory(), store_factory()]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def ingest(store, run_no: int, length: int) -> None:
        nodes, edges = chain(run_no, length)
        try:
            with store.begin_run(f"test:{run_no}") as run:
                run.add_nodes(nodes)
                run.add_edges(edges)
                barrier.wait(timeout=30)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(h, i + 1, 3 + i)) for i, h in enumerate(handles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    # both runs landed, one after the other: the later one's parent is the earlier one
    assert handles[0].stats().nodes == 6  # 3 + 4 nodes, the head shared
    later, earlier = handles[0].runs()
    assert later.parent_run_id == earlier.run_id
    assert {later.source, earlier.source} == {"test:1", "test:2"}


@pytest.mark.parametrize("kill_after_s", [0.3, 1.0, 2.0, 3.5])
def test_a_killed_ingest_leaves_the_last_good_state(backend, store, tmp_path, request, kill_after_s):
    nodes, edges = chain(1, 20)
    with store.begin_run("test:chain") as run:
        run.add_nodes(nodes)
        run.add_edges(edges)
    good = store.current_run().run_id
    spec = {**process_spec(backend, tmp_path, request), "run": 2, "length": 30_000}
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.store.writer_process", json.dumps(spec)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert writer.stdout.readline().strip() == "writing"
    time.sleep(kill_after_s)
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=60)
    # whatever the moment of death: the old state whole, or (had it finished) the new one whole
    tags = {n.props["run"] for n in store.nodes()}
    current = store.current_run().run_id
    if current == good:
        assert tags == {1} and store.stats().nodes == 20
    else:
        assert tags == {2} and store.stats().nodes == 30_000
    # and the store takes the next run as usual
    nodes, edges = chain(3, 5)
    with store.begin_run("test:chain") as run:
        run.add_nodes(nodes)
        run.add_edges(edges)
    assert {n.props["run"] for n in store.nodes()} == {3}
    assert len(store.traverse(nodes[0].id, Direction.DOWNSTREAM, max_depth=10).reached) == 4
