"""A built copy of the shop project with a few models edited, rebuilt with real dbt (cached by content).

The regression scenario of recent_changes: the same project a deploy later, with one intermediate model's
filter changed and a column dropped from another.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_IGNORED = ("logs", "dbt_packages", "profiles.yml", ".user.yml")
_DONE = ".rebuild-complete"


@dataclass(frozen=True)
class Edit:
    """Replace `old` (which must occur exactly once) by `new` in the model file `path` (relative to the project)."""

    path: str
    old: str
    new: str


class RebuildError(RuntimeError):
    """An edit did not apply or dbt failed; the message says which and carries dbt's output."""


def rebuilt_copy(built: Path, edits: list[Edit], dest: Path, cache_dir: Path | None = None) -> Path:
    """A copy of the built project `built` with `edits` applied and models rebuilt, in `dest/shop_dbt`."""
    digest = hashlib.sha256((built / "target" / "manifest.json").read_bytes())
    digest.update(json.dumps([e.__dict__ for e in edits], sort_keys=True).encode() + Path(__file__).read_bytes())
    key = digest.hexdigest()[:16]
    project = Path(dest) / "shop_dbt"
    if cache_dir is None:
        _rebuild(built, edits, project)
        return project
    cached = Path(cache_dir) / f"shop_dbt-{key}"
    if not (cached / _DONE).exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".rebuilding-", dir=cached.parent))
        try:
            _rebuild(built, edits, staging / "shop_dbt")
            (staging / "shop_dbt" / _DONE).write_text("ok\n")
            try:
                (staging / "shop_dbt").rename(cached)
            except OSError:
                if not (cached / _DONE).exists():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if project.exists():
        shutil.rmtree(project)
    shutil.copytree(cached, project, ignore=shutil.ignore_patterns(_DONE, "logs"))
    _write_profile(project)
    return project


def _rebuild(built: Path, edits: list[Edit], project: Path) -> None:
    shutil.copytree(built, project, ignore=shutil.ignore_patterns(*_IGNORED, "__pycache__"))
    for edit in edits:
        path = project / edit.path
        text = path.read_text()
        if text.count(edit.old) != 1:
            raise RebuildError(f"{edit.path}: {edit.old!r} occurs {text.count(edit.old)} times, expected once")
        path.write_text(text.replace(edit.old, edit.new))
    _write_profile(project)
    target = project / "target"
    # The warehouse already holds the seeds and the previous models: rebuild models and tests only, then
    # keep the build's run results (docs generate overwrites them) as the fixture build does.
    _dbt(project, "build", "--exclude-resource-type", "seed")
    results = (target / "run_results.json").read_text()
    _dbt(project, "docs", "generate")
    (target / "run_results.json").write_text(results)


def _write_profile(project: Path) -> None:
    (project / "profiles.yml").write_text(
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{(project / 'shop.duckdb').as_posix()}'\n      schema: main\n      threads: 2\n"
    )


def _dbt(project: Path, *args: str) -> None:
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(project),
        "DBT_PROJECT_DIR": str(project),
        "DBT_LOG_PATH": str(project / "logs"),
        "DBT_TARGET_PATH": str(project / "target"),
    }
    command = [sys.executable, "-c", "from dbt.cli.main import cli; cli()", *args, "--no-use-colors"]
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RebuildError(f"dbt {' '.join(args)} failed in {project}:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
