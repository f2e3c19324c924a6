"""Build a dbt project with real dbt on DuckDB, cached by content.

A build runs `dbt seed`, `dbt build` (seeds excluded: they are loaded first so that models reading the
seeded relations through `source()` never race the loader) and `dbt docs generate`, then keeps the
results of seed and build in run_results.json (docs generate would overwrite it with compile results).
dbt runs in a subprocess of this interpreter so its global state and logging stay out of the caller's
process, and never reaches the network.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from datagraph.estate import SHOP_DBT_DIR
from graph_schema.errors import DatagraphError

ARTIFACTS = ("manifest.json", "catalog.json", "run_results.json", "semantic_manifest.json")
DBT_DISTRIBUTIONS = ("dbt-core", "dbt-duckdb")
IGNORED = ("target", "logs", "dbt_packages", "profiles.yml", ".user.yml")
DONE_MARKER = ".build-complete"

Step = Callable[[str], None]


class DbtBuildError(DatagraphError):
    """A dbt command failed; the message carries the command and dbt's output."""


class DbtMissingError(DatagraphError):
    """dbt-core or dbt-duckdb is not installed in this environment."""


@dataclass(frozen=True)
class DbtProject:
    """A dbt project's source folder, the profile its dbt_project.yml names and the DuckDB file it builds."""

    source: Path
    profile: str
    database_file: str

    @property
    def name(self) -> str:
        return self.source.name


SHOP_PROJECT = DbtProject(SHOP_DBT_DIR, profile="shop", database_file="shop.duckdb")


def require_dbt() -> None:
    """Raise DbtMissingError unless dbt-core and dbt-duckdb are installed."""
    missing = []
    for name in DBT_DISTRIBUTIONS:
        try:
            version(name)
        except PackageNotFoundError:
            missing.append(name)
    if missing:
        raise DbtMissingError(
            f"{' and '.join(missing)} not installed: install datagraph[demo] (pip install 'datagraph[demo]')"
        )


def project_fingerprint(project: DbtProject) -> str:
    """Hash of every project file (path and bytes), of this build code and of the dbt versions."""
    require_dbt()
    digest = hashlib.sha256()
    digest.update(";".join(f"{name}={version(name)}" for name in DBT_DISTRIBUTIONS).encode())
    digest.update(Path(__file__).read_bytes())  # how the project is built is part of what is cached
    digest.update(project.profile.encode() + b"\0" + project.database_file.encode() + b"\0")
    for path in sorted(project.source.rglob("*")):
        rel = path.relative_to(project.source)
        if not path.is_file() or rel.parts[0] in IGNORED or "__pycache__" in rel.parts:
            continue
        digest.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_project(project: DbtProject, dest: Path, cache_dir: Path | None = None, step: Step | None = None) -> Path:
    """A built copy of `project` in `dest/<project name>`, with its target/ artifacts and its database.

    With `cache_dir`, a build of the same project files and dbt version is reused from there. `step` is
    told each dbt command before it runs.
    """
    project_dir = Path(dest) / project.name
    if cache_dir is None:
        copy_sources(project.source, project_dir)
        _build(project, project_dir, step)
        return project_dir
    cached = Path(cache_dir) / f"{project.name}-{project_fingerprint(project)}"
    if not (cached / DONE_MARKER).exists():
        publish_cached(cached, lambda work: (copy_sources(project.source, work), _build(project, work, step)))
    restore_cached(cached, project_dir, project)
    return project_dir


def publish_cached(cached: Path, make: Callable[[Path], object]) -> None:
    """Make a project in a staging folder next to `cached`, then move it there in one rename."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    # Absolute: dbt runs inside the project folder and is handed paths to it.
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cached.parent)).resolve()
    try:
        work = staging / cached.name
        make(work)
        (work / DONE_MARKER).write_text("ok\n")
        try:
            work.rename(cached)
        except OSError:
            # Another process published the same build first; theirs is as good as ours.
            if not (cached / DONE_MARKER).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def restore_cached(cached: Path, project_dir: Path, project: DbtProject) -> None:
    if project_dir.exists():
        shutil.rmtree(project_dir)
    shutil.copytree(cached, project_dir, ignore=shutil.ignore_patterns(DONE_MARKER, "logs"))
    write_profile(project, project_dir)


def copy_sources(source: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*IGNORED, "__pycache__"))


def write_profile(project: DbtProject, project_dir: Path) -> None:
    """profiles.yml next to the project, pointing dbt at the project's DuckDB file in `project_dir`."""
    db_path = (project_dir / project.database_file).as_posix()
    (project_dir / "profiles.yml").write_text(
        f"{project.profile}:\n"
        "  target: dev\n"
        "  outputs:\n"
        "    dev:\n"
        "      type: duckdb\n"
        f"      path: '{db_path}'\n"
        "      schema: main\n"
        "      threads: 2\n"
    )


def _build(project: DbtProject, project_dir: Path, step: Step | None) -> None:
    project_dir = project_dir.resolve()  # dbt runs inside it and is handed paths to it
    write_profile(project, project_dir)
    target = project_dir / "target"
    run_dbt(project_dir, "seed", step=step)
    seed_results = json.loads((target / "run_results.json").read_text())["results"]
    run_dbt(project_dir, "build", "--exclude-resource-type", "seed", step=step)
    # one run_results.json for the whole build, seeds included, as a single `dbt build` would write
    build_results = json.loads((target / "run_results.json").read_text())
    build_results["results"] = seed_results + build_results["results"]
    run_dbt(project_dir, "docs", "generate", step=step)
    (target / "run_results.json").write_text(json.dumps(build_results, indent=2))
    missing = [name for name in ARTIFACTS if not (target / name).is_file()]
    if missing:
        raise DbtBuildError(f"dbt build of {project_dir} left no {', '.join(missing)} in target/")


def run_dbt(project_dir: Path, *args: str, step: Step | None = None) -> None:
    """One dbt command in `project_dir`, with its profile, logs and target kept inside the project."""
    if step is not None:
        step(f"dbt {' '.join(args[:2])}")
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_PROJECT_DIR": str(project_dir),
        "DBT_LOG_PATH": str(project_dir / "logs"),
        "DBT_TARGET_PATH": str(project_dir / "target"),
    }
    command = [sys.executable, "-c", "from dbt.cli.main import cli; cli()", *args, "--no-use-colors"]
    done = subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DbtBuildError(
            f"dbt {' '.join(args)} failed in {project_dir}:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
        )


if __name__ == "__main__":
    out = build_project(SHOP_PROJECT, Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(out)
