"""Ingest a dbt project: read its artifacts, reuse what the last run can lend, parse, write one run."""

import hashlib
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import graph_schema.sql_lineage as sql_lineage
import ingestors.dbt as dbt_package
from graph_schema.store import GraphStore, RunInfo, RunSummary
from ingestors.common.report import IngestReport
from ingestors.common.sink import write_run
from ingestors.dbt.artifacts import ARTIFACT_FILES, find_target_dir, load_artifacts
from ingestors.dbt.lineage import LineageStats
from ingestors.dbt.parser import parse
from ingestors.dbt.state import model_dataset_ids, previous_lineage


# how far back to look for a run of the same artifacts: other sources' runs come in between
RUNS_SEARCHED = 50


@dataclass
class IngestOutcome:
    project: str
    source: str
    report: IngestReport
    lineage: LineageStats
    summary: RunSummary
    # True when the artifacts were byte for byte those of the source's last run: nothing was re-parsed
    unchanged: bool = False


def _code_fingerprint(seed: str, *packages: ModuleType) -> str:
    digest = hashlib.sha256(seed.encode())
    for package in packages:
        for path in sorted(Path(str(package.__file__)).parent.glob("*.py")):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


# The code as imported: a stored lineage key stops matching when the engine or sqlglot changes, a stored
# run fingerprint when this ingestor changes too.
ENGINE_FINGERPRINT = _code_fingerprint(f"sqlglot={version('sqlglot')}", sql_lineage)
CODE_FINGERPRINT = _code_fingerprint(ENGINE_FINGERPRINT, dbt_package)


def artifacts_fingerprint(target_dir: Path, authority: str | None) -> str:
    """Hash of the artifact files as bytes, the code and the options: equal means nothing to redo."""
    digest = hashlib.sha256(f"{CODE_FINGERPRINT}|{authority}".encode())
    for name in ARTIFACT_FILES:
        path = target_dir / name
        if path.is_file():
            digest.update(name.encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def _last_identical_run(store: GraphStore, fingerprint: str) -> RunInfo | None:
    """The latest run of a dbt project if it read exactly these artifacts (found without parsing them)."""
    for run in store.runs(limit=RUNS_SEARCHED):
        if run.source.startswith("dbt:") and run.meta.get("fingerprint") == fingerprint:
            latest = store.runs(source=run.source, limit=1)
            return run if latest and latest[0].run_id == run.run_id else None
    return None


def _unchanged_outcome(run: RunInfo) -> IngestOutcome:
    report = IngestReport(source=run.source)
    counts = run.meta.get("counts")
    counts = counts if isinstance(counts, dict) else {}
    report.count_output(Counter(counts.get("nodes_by_kind") or {}), Counter(counts.get("edges_by_kind") or {}))
    lineage = LineageStats(**(counts.get("lineage") or {}))
    lineage.reused, lineage.parsed = lineage.reused + lineage.parsed, 0
    report.stats["unchanged"] = True
    report.finish()
    return IngestOutcome(project=run.source.removeprefix("dbt:"), source=run.source, report=report,
                         lineage=lineage, summary=RunSummary(), unchanged=True)


def ingest_dbt_project(
    path: Path,
    store: GraphStore,
    *,
    authority: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> IngestOutcome:
    """Raises DbtArtifactError (nothing written) when the artifacts cannot be read.

    Artifacts identical to those of the project's last run are not parsed again: the graph already
    holds what they say. Otherwise models whose SQL and upstream schema did not change keep their
    previous column lineage.
    """
    fingerprint = artifacts_fingerprint(find_target_dir(path), authority)
    identical = _last_identical_run(store, fingerprint)
    if identical is not None:
        return _unchanged_outcome(identical)
    artifacts = load_artifacts(path)
    source = f"dbt:{artifacts.manifest.project_name}"
    previous = previous_lineage(store, model_dataset_ids(artifacts, authority))
    result = parse(
        artifacts,
        sql_lineage.analyze,
        engine_version=ENGINE_FINGERPRINT,
        previous=previous,
        authority=authority,
        progress=progress,
        workers=(os.cpu_count() or 1) if workers is None else workers,
    )
    report = result.report
    manifest = artifacts.manifest
    stats = result.lineage
    meta = {
        "fingerprint": fingerprint,
        "target": str(artifacts.target_dir),
        "dbt_version": manifest.metadata.dbt_version,
        "manifest_schema": f"v{manifest.schema_version}",
        "invocation_id": manifest.metadata.invocation_id,
        "generated_at": manifest.metadata.generated_at,
        "has_catalog": artifacts.catalog is not None,
        "has_run_results": artifacts.run_results is not None,
        "lineage_coverage": dict(result.lineage.coverage),
        "warnings": report.warning_count,
        "counts": {
            "nodes_by_kind": report.nodes_by_kind,
            "edges_by_kind": report.edges_by_kind,
            "lineage": {"coverage": stats.coverage, "parsed": stats.parsed, "reused": stats.reused,
                        "unparsed": stats.unparsed, "no_sql": stats.no_sql, "column_edges": stats.column_edges,
                        "shaping_edges": stats.shaping_edges},
        },
    }
    summary = write_run(store, source, result.work_units(), report, meta)
    report.finish()
    return IngestOutcome(project=result.project, source=source, report=report, lineage=result.lineage, summary=summary)
