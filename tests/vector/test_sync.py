"""One vector index per graph snapshot: built after a commit, copied forward so that only changed texts are
written and embedded, never half-visible, and read back into memory without holding the folder."""

from pathlib import Path

from graph_schema.config import Settings
from graph_schema.models import Node
from graph_schema.store.embedded.store import EmbeddedStore
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.index import VectorIndex
from graph_schema.vector.sync import (
    SNAPSHOTS_KEPT,
    complete_snapshots,
    load_snapshot_vectors,
    snapshot_folder,
    sync_snapshot_index,
)


def commit(store: EmbeddedStore, nodes: list[Node]) -> str:
    with store.begin_run("test:estate") as run:
        run.add_nodes(nodes)
    assert run.info is not None
    return run.info.run_id


def test_each_snapshot_gets_its_index_and_only_changes_are_written(
    tmp_path: Path, embedder: Embedder, estate: list[Node]
) -> None:
    settings = Settings(home=tmp_path / "home")
    with EmbeddedStore(settings.home / "graph") as store:
        assert sync_snapshot_index(store, settings, embedder=embedder) is None  # nothing ingested yet
        first = commit(store, estate)
        report = sync_snapshot_index(store, settings, embedder=embedder)
        assert report is not None and report.snapshot_id == first
        assert (report.docs, report.embedded, report.copied_from) == (len(estate), len(estate), None)
        again = sync_snapshot_index(store, settings, embedder=embedder)
        assert again is not None and again.already_built

        changed = [n.model_copy(update={"description": "Total income per calendar month, in euros."})
                   if n.name == "inc_m" else n for n in estate[:-1]]
        second = commit(store, changed)
        misses_before = embedder.stats.cache_misses
        report = sync_snapshot_index(store, settings, embedder=embedder)
        assert report is not None and report.copied_from == first
        assert (report.embedded, report.unchanged, report.deleted) == (1, len(estate) - 2, 1)
        assert embedder.stats.cache_misses - misses_before == 1

    assert [p.name for p in complete_snapshots(settings)] == [first, second]
    with VectorIndex.local(snapshot_folder(settings, first), embedder) as old:
        assert old.count() == len(estate)  # the earlier snapshot's index is untouched
    loaded = load_snapshot_vectors(settings, second, embedder)
    assert loaded is not None
    ids, matrix = loaded
    assert sorted(ids) == sorted(n.id for n in changed) and matrix.shape == (len(changed), embedder.dimension)
    # read and closed: another client may open the folder at once
    with VectorIndex.local(snapshot_folder(settings, second), embedder) as index:
        hits = index.search("monthly revenue in euros", limit=1)
    assert hits[0].id == "metric:finance.inc_m"
    assert load_snapshot_vectors(settings, "20990101T000000000000-00000000", embedder) is None


def test_old_snapshots_are_pruned(tmp_path: Path, embedder: Embedder, estate: list[Node]) -> None:
    settings = Settings(home=tmp_path / "home")
    runs = []
    with EmbeddedStore(settings.home / "graph") as store:
        for i in range(SNAPSHOTS_KEPT + 2):
            runs.append(commit(store, [n.model_copy(update={"tags": (f"v{i}",)}) for n in estate[:2]]))
            sync_snapshot_index(store, settings, embedder=embedder)
    kept = [p.name for p in complete_snapshots(settings)]
    assert kept == runs[-(SNAPSHOTS_KEPT + 1):]
    assert not [p for p in (settings.home / "vectors").iterdir() if p.name.startswith(".building-")]
