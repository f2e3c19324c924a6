"""Typed views of the dbt artifacts we read: manifest.json (schema v10..v12, dbt 1.6..1.11), catalog.json,
run_results.json and semantic_manifest.json.

Only the fields the ingestor uses are typed; everything else is ignored, so new dbt releases that add
fields still load. A manifest of another schema version is refused with a clear error rather than read
half-right.
"""

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ingestors.dbt.errors import (
    ArtifactFormatError,
    ArtifactNotFoundError,
    ManifestIntegrityError,
    UnsupportedVersionError,
)
from ingestors.dbt.manifest import ArtifactView, DependsOn, Manifest, manifest_version

SUPPORTED_MANIFEST_VERSIONS = (10, 11, 12)
MANIFEST = "manifest.json"
CATALOG = "catalog.json"
RUN_RESULTS = "run_results.json"
SEMANTIC_MANIFEST = "semantic_manifest.json"
ARTIFACT_FILES = (MANIFEST, CATALOG, RUN_RESULTS, SEMANTIC_MANIFEST)


# ---- catalog, run results, semantic manifest ---------------------------------------------------------


class CatalogColumn(ArtifactView):
    name: str
    type: str | None = None
    index: int | None = None
    comment: str | None = None


class CatalogTableMetadata(ArtifactView):
    type: str | None = None
    database: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    name: str
    comment: str | None = None
    owner: str | None = None


class CatalogTable(ArtifactView):
    unique_id: str | None = None
    metadata: CatalogTableMetadata
    columns: dict[str, CatalogColumn] = Field(default_factory=dict)


class Catalog(ArtifactView):
    nodes: dict[str, CatalogTable] = Field(default_factory=dict)
    sources: dict[str, CatalogTable] = Field(default_factory=dict)

    def table(self, unique_id: str) -> CatalogTable | None:
        return self.nodes.get(unique_id) or self.sources.get(unique_id)


class Timing(ArtifactView):
    name: str
    started_at: str | None = None
    completed_at: str | None = None


class RunResult(ArtifactView):
    unique_id: str
    status: str
    timing: list[Timing] = Field(default_factory=list)
    execution_time: float | None = None
    message: str | None = None
    failures: int | None = None


class RunResultsMetadata(ArtifactView):
    dbt_schema_version: str | None = None
    generated_at: str | None = None
    invocation_id: str | None = None


class RunResults(ArtifactView):
    metadata: RunResultsMetadata = Field(default_factory=RunResultsMetadata)
    results: list[RunResult] = Field(default_factory=list)
    elapsed_time: float | None = None

    def by_id(self) -> dict[str, RunResult]:
        return {r.unique_id: r for r in self.results}


class NamedItem(ArtifactView):
    name: str


class SemanticManifest(ArtifactView):
    semantic_models: list[NamedItem] = Field(default_factory=list)
    metrics: list[NamedItem] = Field(default_factory=list)
    saved_queries: list[NamedItem] = Field(default_factory=list)
    project_configuration: dict[str, Any] = Field(default_factory=dict)


# ---- loading ------------------------------------------------------------------------------------------


class DbtArtifacts(BaseModel):
    """Everything read from one dbt target folder."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    target_dir: Path
    manifest: Manifest
    catalog: Catalog | None = None
    run_results: RunResults | None = None
    semantic_manifest: SemanticManifest | None = None


def find_target_dir(path: Path) -> Path:
    """A dbt project folder (its target/) or a target folder itself."""
    path = Path(path)
    if not path.exists():
        raise ArtifactNotFoundError(str(path), "no such file or folder")
    if path.is_file():
        if path.name == MANIFEST:
            return path.parent
        raise ArtifactNotFoundError(str(path), "is a file; give a dbt project folder or its target folder")
    if (path / MANIFEST).is_file():
        return path
    if (path / "target" / MANIFEST).is_file():
        return path / "target"
    raise ArtifactNotFoundError(
        str(path), f"no {MANIFEST} here or in target/ (run `dbt compile` or `dbt build` first)"
    )


def _read_json(path: Path) -> Any:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ArtifactFormatError(str(path), f"cannot be read: {exc.strerror or exc}") from None
    if not text.strip():
        raise ArtifactFormatError(str(path), "is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # dbt writes one object: text that does not close it was cut short (a killed run, a full disk)
        truncated = text.lstrip()[:1] in (b"{", b"[") and not text.rstrip().endswith((b"}", b"]"))
        hint = " (the file looks truncated)" if truncated else ""
        raise ArtifactFormatError(
            str(path), f"is not valid JSON{hint}: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except UnicodeDecodeError:
        raise ArtifactFormatError(str(path), "is not UTF-8 text") from None


_V = TypeVar("_V", bound=BaseModel)


def _validate(path: Path, data: Any, view: type[_V]) -> _V:
    if not isinstance(data, dict):
        raise ArtifactFormatError(str(path), f"must hold a JSON object, not {type(data).__name__}")
    try:
        return view.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ArtifactFormatError(str(path), f"{where}: {first['msg']}{more}") from None


def load_manifest(path: Path) -> Manifest:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise ArtifactFormatError(str(path), f"must hold a JSON object, not {type(data).__name__}")
    metadata = data.get("metadata")
    schema_url = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    if not isinstance(schema_url, str):
        raise ArtifactFormatError(str(path), "has no metadata.dbt_schema_version; is it a dbt manifest?")
    version = manifest_version(schema_url)
    if version is None:
        raise UnsupportedVersionError(str(path), f"metadata.dbt_schema_version {schema_url!r} is not a manifest schema")
    if version not in SUPPORTED_MANIFEST_VERSIONS:
        supported = ", ".join(f"v{v}" for v in SUPPORTED_MANIFEST_VERSIONS)
        raise UnsupportedVersionError(
            str(path), f"manifest schema v{version} is not supported (supported: {supported}, dbt 1.6 to 1.11)"
        )
    manifest = _validate(path, data, Manifest)
    check_integrity(path, manifest)
    return manifest


def check_integrity(path: Path, manifest: Manifest) -> None:
    """Every node a node depends on is in the manifest; dbt never writes one that is not."""
    known = manifest.known_ids()
    holders: list[tuple[str, DependsOn]] = [
        *((i, n.depends_on) for i, n in manifest.nodes.items()),
        *((i, n.depends_on) for i, n in manifest.exposures.items()),
        *((i, n.depends_on) for i, n in manifest.metrics.items()),
        *((i, n.depends_on) for i, n in manifest.semantic_models.items()),
        *((i, n.depends_on) for i, n in manifest.saved_queries.items()),
        *((i, n.depends_on) for i, n in manifest.unit_tests.items()),
    ]
    for unique_id, depends_on in holders:
        for parent in depends_on.nodes:
            if parent not in known:
                raise ManifestIntegrityError(
                    str(path), f"{unique_id} depends on {parent}, which is not in the manifest"
                )


def load_artifacts(path: Path) -> DbtArtifacts:
    """Read the artifacts of a dbt project or target folder; only manifest.json is required."""
    target = find_target_dir(path)
    manifest = load_manifest(target / MANIFEST)
    catalog = _load_optional(target / CATALOG, Catalog)
    run_results = _load_optional(target / RUN_RESULTS, RunResults)
    semantic = _load_optional(target / SEMANTIC_MANIFEST, SemanticManifest)
    return DbtArtifacts(
        target_dir=target, manifest=manifest, catalog=catalog, run_results=run_results, semantic_manifest=semantic
    )


def _load_optional(path: Path, view: type[_V]) -> _V | None:
    if not path.is_file():
        return None
    return _validate(path, _read_json(path), view)
