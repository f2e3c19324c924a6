"""The vector index on real Qdrant local mode with the real model."""

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from qdrant_client import QdrantClient, models

from graph_schema.config import Settings
from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from graph_schema.vector.documents import IndexDoc, doc_from_node
from graph_schema.vector.embeddings import Embedder
from graph_schema.vector.errors import (
    EmbeddingModelError,
    VectorIndexError,
    VectorIndexLockedError,
    VectorIndexUnavailableError,
)
from graph_schema.vector.index import VectorIndex, open_index, point_id

REPO = Path(__file__).resolve().parents[2]
INCOME = "metric:finance.inc_m"


def _docs(nodes: list[Node]) -> list[IndexDoc]:
    return [doc_from_node(node) for node in nodes]


def _changed(doc: IndexDoc, **fields: object) -> IndexDoc:
    return doc.model_copy(update=fields)


def test_search_finds_by_meaning(index: VectorIndex, estate: list[Node]) -> None:
    index.upsert(_docs(estate))
    hits = index.search("monthly revenue", limit=3)
    assert hits[0].id == INCOME
    assert hits[0].kind == "metric" and hits[0].payload["name"] == "inc_m"
    assert hits[0].score > hits[1].score + 0.1
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_unchanged_docs_are_skipped_entirely(index: VectorIndex, embedder: Embedder, estate: list[Node]) -> None:
    docs = _docs(estate)
    assert index.upsert(docs).embedded == len(docs)
    before = embedder.stats
    report = index.upsert(docs)
    after = embedder.stats
    assert (report.embedded, report.payload_updated, report.unchanged) == (0, 0, len(docs))
    # not embedded, and not even looked up in the cache
    assert after.encoded == before.encoded
    assert (after.cache_hits, after.cache_misses) == (before.cache_hits, before.cache_misses)


def test_skip_survives_reopening_the_folder(tmp_path: Path, embedder: Embedder, estate: list[Node]) -> None:
    docs = _docs(estate)
    with VectorIndex.local(tmp_path / "vectors", embedder) as first:
        first.upsert(docs)
    with VectorIndex.local(tmp_path / "vectors", embedder) as again:
        assert again.count() == len(docs)
        assert again.upsert(docs).unchanged == len(docs)
        assert again.search("monthly revenue", limit=1)[0].id == INCOME


def test_changed_text_is_re_embedded(index: VectorIndex, embedder: Embedder, estate: list[Node]) -> None:
    docs = _docs(estate)
    index.upsert(docs)
    churn = next(d for d in docs if d.id == "metric:cx.churn_rate")
    # a text no other test embeds, so the session cache cannot hold it
    new_text = f"churn rate (metric)\nMedian delivery delay of parcels, test {index.location}"
    before = embedder.stats
    report = index.upsert([_changed(churn, text=new_text), *(d for d in docs if d is not churn)])
    assert (report.embedded, report.unchanged) == (1, len(docs) - 1)
    assert embedder.stats.encoded - before.encoded == 1
    assert index.search("late parcel delivery", limit=1)[0].id == churn.id
    assert index.count() == len(docs)


def test_payload_change_rewrites_payload_without_embedding(
    index: VectorIndex, embedder: Embedder, estate: list[Node]
) -> None:
    docs = _docs(estate)
    index.upsert(docs)
    income = next(d for d in docs if d.id == INCOME)
    before = embedder.stats
    report = index.upsert([_changed(income, payload={**income.payload, "status": "deprecated"})])
    assert (report.embedded, report.payload_updated) == (0, 1)
    assert embedder.stats.encoded == before.encoded
    live = index.search("monthly revenue", limit=10, where_not={"status": "deprecated"})
    assert INCOME not in {h.id for h in live}
    [hit] = index.search("monthly revenue", limit=1, where={"status": "deprecated"})
    assert hit.id == INCOME and hit.payload["tags"] == ["finance"]


def test_kinds_filter(index: VectorIndex, estate: list[Node]) -> None:
    index.upsert(_docs(estate))
    hits = index.search("monthly revenue", limit=10, kinds=[NodeKind.MODEL, "table"])
    assert {h.kind for h in hits} == {"model", "table"}
    assert len(hits) == 3
    assert {h.id for h in index.search("anything", kinds=["column"])} == {
        "column:duckdb://local/shop.main.customers#shipping_address"
    }
    with pytest.raises(VectorIndexError, match="unknown kind 'widget'"):
        index.search("anything", kinds=["widget"])


def test_payload_filters_match_list_fields(index: VectorIndex, estate: list[Node]) -> None:
    index.upsert(_docs(estate))
    tagged = index.search("anything", limit=10, where={"tags": "finance"})
    assert {h.id for h in tagged} == {INCOME, "dataset:duckdb://local/shop.main.orders"}
    either = index.search("anything", limit=10, where={"tags": ["core", "nope"], "schema": "main"})
    assert {h.id for h in either} == {"dataset:duckdb://local/shop.main.orders"}


def test_delete(index: VectorIndex, estate: list[Node]) -> None:
    index.upsert(_docs(estate))
    assert index.delete([INCOME, "metric:never.indexed"]) == 1
    assert index.count() == len(estate) - 1
    assert INCOME not in {h.id for h in index.search("monthly revenue", limit=10)}
    assert index.delete([INCOME]) == 0


def test_sync_removes_what_is_gone(index: VectorIndex, embedder: Embedder, estate: list[Node]) -> None:
    docs = _docs(estate)
    index.sync(docs)
    kept = [d for d in docs if d.kind is not NodeKind.METRIC]
    before = embedder.stats
    report = index.sync(kept)
    assert (report.deleted, report.unchanged, report.embedded) == (2, len(kept), 0)
    assert embedder.stats.encoded == before.encoded
    assert index.ids() == {d.id for d in kept}
    assert index.sync([]).deleted == len(kept)
    assert index.count() == 0
    assert index.search("monthly revenue") == []


def test_point_ids_are_stable_and_distinct() -> None:
    assert point_id(INCOME) == point_id(INCOME)
    assert point_id(INCOME) != point_id("metric:cx.churn_rate")


def test_a_doc_twice_in_one_write_is_refused(index: VectorIndex, estate: list[Node]) -> None:
    doc = doc_from_node(estate[0])
    with pytest.raises(VectorIndexError, match="appears twice"):
        index.upsert([doc, doc])
    assert index.count() == 0


def test_bad_search_arguments(index: VectorIndex) -> None:
    with pytest.raises(VectorIndexError, match="empty"):
        index.search("  ")
    with pytest.raises(VectorIndexError, match="limit"):
        index.search("x", limit=0)


def test_closed_index_says_so(tmp_path: Path, embedder: Embedder) -> None:
    opened = VectorIndex.local(tmp_path / "vectors", embedder)
    opened.close()
    with pytest.raises(VectorIndexError, match="is closed"):
        opened.count()


def test_collection_of_another_dimension_is_refused(tmp_path: Path, embedder: Embedder) -> None:
    client = QdrantClient(path=str(tmp_path / "vectors"))
    client.create_collection("assets", vectors_config=models.VectorParams(size=8, distance=models.Distance.COSINE))
    client.close()
    with pytest.raises(VectorIndexError, match="8-dim"):
        VectorIndex.local(tmp_path / "vectors", embedder)


def test_second_client_in_the_same_process_is_locked_out(index: VectorIndex, embedder: Embedder) -> None:
    for _ in range(2):  # probing the lock must not release the holder's
        with pytest.raises(VectorIndexLockedError, match="open in another process or client"):
            VectorIndex.local(Path(index.location), embedder)


@contextmanager
def _held_by_another_process(folder: Path) -> Iterator[subprocess.Popen[str]]:
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.vector.lock_holder", str(folder)],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        if holder.stdin is not None and not holder.stdin.closed:
            holder.stdin.close()
        holder.wait(timeout=60)


def test_folder_held_by_another_process_is_a_typed_error(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(home=tmp_path, qdrant_url=None)
    with _held_by_another_process(tmp_path / "vectors"):
        with pytest.raises(VectorIndexLockedError, match="vectors is open in another process"):
            open_index(settings, embedder=embedder)
    with open_index(settings, embedder=embedder) as reopened:  # the holder's exit released the lock
        assert reopened.count() == 0


def test_open_waits_for_the_holder_when_asked(tmp_path: Path, embedder: Embedder) -> None:
    with _held_by_another_process(tmp_path / "vectors") as holder:
        assert holder.stdin is not None
        release = threading.Timer(1.0, holder.stdin.close)
        release.start()
        try:
            with VectorIndex.local(tmp_path / "vectors", embedder, wait_seconds=30) as opened:
                assert opened.count() == 0
        finally:
            release.join()


def test_open_index_follows_settings(tmp_path: Path, embedder: Embedder, estate: list[Node]) -> None:
    with open_index(Settings(home=tmp_path, qdrant_url=None), embedder=embedder) as local:
        assert Path(local.location) == tmp_path / "vectors" and not local.server
        local.upsert(_docs(estate))
    # without an embedder, open_index makes one whose cache lives in home
    with open_index(Settings(home=tmp_path, qdrant_url=None)) as owned:
        assert owned.embedder.cache_path == tmp_path / "embeddings.sqlite"
        assert owned.count() == len(estate)
        assert not owned.embedder.loaded


def test_unreachable_server_is_a_typed_error(embedder: Embedder) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(VectorIndexUnavailableError, match=f"127.0.0.1:{port}"):
        open_index(Settings(qdrant_url=f"http://127.0.0.1:{port}"), embedder=embedder)


def test_missing_model_fails_at_open_with_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError):
        VectorIndex.local(tmp_path / "vectors", Embedder(model_path=tmp_path / "no-model"))
