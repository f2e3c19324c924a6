"""The embedder: the real all-MiniLM-L6-v2, offline, with its persistent cache."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graph_schema.vector.embeddings import Embedder, bundled_model_path
from graph_schema.vector.errors import EmbeddingModelError

REPO = Path(__file__).resolve().parents[2]


def test_vectors_are_normalised_and_mean_something(embedder: Embedder) -> None:
    vectors = embedder.embed(["total income per month", "monthly revenue", "shipping address of a parcel"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    income, revenue, address = vectors
    assert income @ revenue > income @ address + 0.2


def test_query_and_document_embeddings_agree(embedder: Embedder) -> None:
    [doc] = embedder.embed(["a sentence embedded twice"])
    assert np.allclose(doc, embedder.embed_query("a sentence embedded twice"), atol=1e-5)


def test_cached_texts_are_not_re_embedded(embedder: Embedder) -> None:
    texts = ["cache probe alpha", "cache probe beta", "cache probe alpha"]
    before = embedder.stats
    first = embedder.embed(texts)
    middle = embedder.stats
    assert middle.encoded - before.encoded == 2  # the repeated text is embedded once
    assert middle.cache_misses - before.cache_misses == 3
    second = embedder.embed(texts)
    after = embedder.stats
    assert after.encoded == middle.encoded
    assert after.cache_hits - middle.cache_hits == 3
    assert np.array_equal(first, second)


def test_cache_outlives_the_embedder_and_spares_loading_the_model(embedder: Embedder) -> None:
    texts = ["persisted probe one", "persisted probe two"]
    vectors = embedder.embed(texts)
    reopened = Embedder(cache_path=embedder.cache_path)
    try:
        assert np.array_equal(reopened.embed(texts), vectors)
        assert reopened.stats.cache_hits == 2 and reopened.stats.encoded == 0
        assert not reopened.loaded
    finally:
        reopened.close()


def test_dimension_is_known_without_loading_the_model() -> None:
    fresh = Embedder()
    assert fresh.dimension == 384
    assert not fresh.loaded and fresh.stats.model_loads == 0


def test_importing_loads_neither_torch_nor_the_model() -> None:
    code = (
        "import sys\n"
        "from graph_schema.vector.embeddings import Embedder\n"
        "import graph_schema.vector.index\n"
        "Embedder().dimension\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_missing_folder_is_a_typed_error(tmp_path: Path) -> None:
    missing = Embedder(model_path=tmp_path / "no-model")
    with pytest.raises(EmbeddingModelError, match="does not exist"):
        missing.embed(["anything"])
    with pytest.raises(EmbeddingModelError):
        missing.dimension


def _model_copy_without_weights(target: Path) -> Path:
    source = bundled_model_path()
    for item in source.rglob("*"):
        if item.is_file() and item.name != "model.safetensors":
            link = target / item.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(item, link)
    return target


def test_missing_weights_are_a_typed_error(tmp_path: Path) -> None:
    folder = _model_copy_without_weights(tmp_path / "model")
    with pytest.raises(EmbeddingModelError, match="weights .* missing"):
        Embedder(model_path=folder).embed(["anything"])


def test_damaged_weights_are_a_typed_error(tmp_path: Path) -> None:
    folder = _model_copy_without_weights(tmp_path / "model")
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(EmbeddingModelError, match="cannot load the embedding model"):
        Embedder(model_path=folder).embed(["anything"])
