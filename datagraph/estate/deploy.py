"""The shop project a deploy later: one intermediate model's filter changed and a column dropped from
another, rebuilt with real dbt over the built project's warehouse (cached by content).

It is the regression `recent_changes` finds in `datagraph demo`, and the scenario of its tests.
"""

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from datagraph.estate.build import (
    IGNORED,
    DONE_MARKER,
    DbtProject,
    Step,
    publish_cached,
    restore_cached,
    run_dbt,
    write_profile,
)
from graph_schema.errors import DatagraphError

FILTER_BEFORE = "where order_status <> 'placed'"
FILTER_AFTER = "where order_status not in ('placed', 'returned')"
DROPPED_COLUMN = "gift_card_amount"


class EditNotAppliedError(DatagraphError):
    """An edit's text does not occur exactly once in its file."""


@dataclass(frozen=True)
class Edit:
    """Replace `old` (which must occur exactly once) by `new` in the model file `path` (relative to the project)."""

    path: str
    old: str
    new: str


DEPLOY = (
    Edit("models/intermediate/int_customer_events_unioned.sql", FILTER_BEFORE, FILTER_AFTER),
    Edit("models/intermediate/int_orders_enriched.sql",
         f"        coalesce(payments.{DROPPED_COLUMN}, 0) as {DROPPED_COLUMN},\n", ""),
)


def rebuilt_copy(
    built: Path,
    project: DbtProject,
    edits: tuple[Edit, ...] | list[Edit],
    dest: Path,
    cache_dir: Path | None = None,
    step: Step | None = None,
) -> Path:
    """A copy of the built project `built` with `edits` applied and its models rebuilt, in `dest/<name>`."""
    project_dir = Path(dest) / project.name
    if cache_dir is None:
        _rebuild(built, project, edits, project_dir, step)
        return project_dir
    digest = hashlib.sha256((built / "target" / "manifest.json").read_bytes())
    digest.update(json.dumps([asdict(e) for e in edits], sort_keys=True).encode() + Path(__file__).read_bytes())
    cached = Path(cache_dir) / f"{project.name}-deploy-{digest.hexdigest()[:16]}"
    if not (cached / DONE_MARKER).exists():
        publish_cached(cached, lambda work: _rebuild(built, project, edits, work, step))
    restore_cached(cached, project_dir, project)
    return project_dir


def apply_edits(project_dir: Path, edits: tuple[Edit, ...] | list[Edit]) -> None:
    for edit in edits:
        path = project_dir / edit.path
        text = path.read_text()
        if text.count(edit.old) != 1:
            raise EditNotAppliedError(f"{edit.path}: {edit.old!r} occurs {text.count(edit.old)} times, expected once")
        path.write_text(text.replace(edit.old, edit.new))


def _rebuild(
    built: Path, project: DbtProject, edits: tuple[Edit, ...] | list[Edit], project_dir: Path, step: Step | None
) -> None:
    if project_dir.exists():
        shutil.rmtree(project_dir)
    kept = tuple(name for name in IGNORED if name != "target")  # target/ holds the state dbt builds on
    shutil.copytree(built, project_dir, ignore=shutil.ignore_patterns(*kept, DONE_MARKER, "__pycache__"))
    apply_edits(project_dir, edits)
    write_profile(project, project_dir)
    target = project_dir / "target"
    # The warehouse already holds the seeds and the previous models: rebuild models and tests only, then
    # keep the build's run results (docs generate overwrites them) as the first build does.
    run_dbt(project_dir, "build", "--exclude-resource-type", "seed", step=step)
    results = (target / "run_results.json").read_text()
    run_dbt(project_dir, "docs", "generate", step=step)
    (target / "run_results.json").write_text(results)
