"""Build the `saas_dbt` fixture project with real dbt on DuckDB, cached by content like the shop project.

The steps are the shop build's (seed, build, docs generate, run results of seed and build kept); only the
project, its profile name and its database file differ.
"""

import json
import shutil
import sys
import tempfile
from pathlib import Path

from tests.support.dbt_build import ARTIFACTS, DbtBuildError, _copy_sources, _dbt, project_fingerprint

SAAS_PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "saas_dbt"
SAAS_DATABASE_FILE = "saas.duckdb"
_DONE_MARKER = ".build-complete"


def build_saas_project(dest: Path, cache_dir: Path | None = None) -> Path:
    """A built copy of the saas project in `dest/saas_dbt`, reused from `cache_dir` when built before."""
    project_dir = Path(dest) / "saas_dbt"
    if cache_dir is None:
        _copy_sources(SAAS_PROJECT, project_dir)
        _build(project_dir)
        return project_dir
    cached = Path(cache_dir) / f"saas_dbt-{project_fingerprint(SAAS_PROJECT)}"
    if not (cached / _DONE_MARKER).exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cached.parent))
        try:
            work = staging / "saas_dbt"
            _copy_sources(SAAS_PROJECT, work)
            _build(work)
            (work / _DONE_MARKER).write_text("ok\n")
            try:
                work.rename(cached)
            except OSError:
                if not (cached / _DONE_MARKER).exists():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if project_dir.exists():
        shutil.rmtree(project_dir)
    shutil.copytree(cached, project_dir, ignore=shutil.ignore_patterns(_DONE_MARKER, "logs"))
    _write_profile(project_dir)
    return project_dir


def _write_profile(project_dir: Path) -> None:
    db_path = (project_dir / SAAS_DATABASE_FILE).as_posix()
    (project_dir / "profiles.yml").write_text(
        "saas:\n"
        "  target: dev\n"
        "  outputs:\n"
        "    dev:\n"
        "      type: duckdb\n"
        f"      path: '{db_path}'\n"
        "      schema: main\n"
        "      threads: 2\n"
    )


def _build(project_dir: Path) -> None:
    _write_profile(project_dir)
    target = project_dir / "target"
    _dbt(project_dir, "seed")
    seed_results = json.loads((target / "run_results.json").read_text())["results"]
    _dbt(project_dir, "build", "--exclude-resource-type", "seed")
    build_results = json.loads((target / "run_results.json").read_text())
    build_results["results"] = seed_results + build_results["results"]
    _dbt(project_dir, "docs", "generate")
    (target / "run_results.json").write_text(json.dumps(build_results, indent=2))
    missing = [name for name in ARTIFACTS if not (target / name).is_file()]
    if missing:
        raise DbtBuildError(f"dbt build of {project_dir} left no {', '.join(missing)} in target/")


if __name__ == "__main__":
    print(build_saas_project(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None))
