"""The server's search state follows the graph: it builds the vector index of a snapshot that has none,
moves to a new snapshot after a commit, and answers lexically when no embedding model can be had."""

import shutil
from pathlib import Path

from graph_schema.config import Settings
from graph_schema.models import Node
from graph_schema.store import open_store
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.sync import complete_snapshots, is_complete, snapshot_folder
from server.feedback.store_sqlite import SqliteFeedbackStore
from server.search.catalog import build_catalog
from server.search.service import SearchService
from tests.resolve.conftest import Project


def copy_graph_only(project: Project, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    shutil.copytree(project.home / "graph", home / "graph")
    return Settings(home=home)


def test_a_missing_index_is_built_and_a_new_snapshot_followed(
    shop: Project, embedder: Embedder, tmp_path: Path
) -> None:
    settings = copy_graph_only(shop, tmp_path)
    feedback = SqliteFeedbackStore(tmp_path / "feedback.sqlite")
    service = SearchService(settings, embedder=embedder, feedback=feedback)
    try:
        with open_store(settings) as store:
            first = service.snapshot(store)
            run = store.current_run()
            assert run is not None and first.dense_status == "local index"
            assert is_complete(snapshot_folder(settings, run.run_id))
            assert service.snapshot(store) is first

            glossary = Node(id="glossary_term:finance/gmv", kind="glossary_term", name="GMV",
                            description="Gross merchandise value: the total value of goods sold through the shop.")
            with store.begin_run("glossary:finance") as writer:
                writer.add_nodes([glossary])
            second = service.snapshot(store)
            assert second is not first and second.catalog.get(glossary.id) is not None
            latest = store.current_run()
            assert latest is not None and complete_snapshots(settings)[-1].name == latest.run_id
            hits = service.search(store, "gross merchandise value", scope_key="all", visible=lambda _: True,
                                  limit=3)
            assert hits[0].entry.id == glossary.id
    finally:
        service.close()
        feedback.close()


def test_without_vectors_the_answer_is_lexical(shop: Project, tmp_path: Path) -> None:
    settings = copy_graph_only(shop, tmp_path)
    feedback = SqliteFeedbackStore(tmp_path / "feedback.sqlite")
    service = SearchService(settings, feedback=feedback, use_vectors=False)
    try:
        with open_store(settings, read_only=True) as store:
            answer = service.resolve_metric(store, "net revnue by week", scope_key="all", visible=lambda _: True)
            assert service.snapshot(store).dense_status == "off"
        assert answer.status == "resolved" and answer.metric is not None and answer.metric.name == "net_revenue"
        assert not (settings.home / "vectors").exists()
    finally:
        service.close()
        feedback.close()


def test_graph_priors_are_read_from_the_graph(saas: Project) -> None:
    with open_store(saas.settings, read_only=True) as store:
        catalog = build_catalog(store)
    entry = {e.node.name: e for e in catalog.entries if e.node.kind == "metric"}
    # the board dashboard (an exposure) reads mrr, and net_new_mrr through its inputs
    assert entry["mrr"].usage >= 1 and entry["new_mrr"].usage >= 1 and entry["trials_started"].usage == 0
    assert entry["mrr"].certified and not entry["billings"].certified
    legacy = entry["mrr_invoiced"]
    assert legacy.deprecated and legacy.replaced_by == entry["mrr"].id
