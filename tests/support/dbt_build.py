"""Build the `shop_dbt` fixture project with real dbt on DuckDB, cached by content.

A build runs `dbt seed`, `dbt build` (seeds excluded: they are loaded first so that models reading the
seeded relations through `source()` never race the loader) and `dbt docs generate`, then keeps the
results of seed and build in run_results.json (docs generate would overwrite it with compile results). dbt runs in a
subprocess so its global state and logging stay out of the test process, and never reaches the network.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

FIXTURE_PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "shop_dbt"
DATABASE_FILE = "shop.duckdb"
ARTIFACTS = ("manifest.json", "catalog.json", "run_results.json", "semantic_manifest.json")
_IGNORED = ("target", "logs", "dbt_packages", "profiles.yml", ".user.yml")
_DONE_MARKER = ".build-complete"


class DbtBuildError(RuntimeError):
    """A dbt command failed; the message carries the command and dbt's output."""


def project_fingerprint(project: Path = FIXTURE_PROJECT) -> str:
    """Hash of every project file (path and bytes) and of the dbt-core and dbt-duckdb versions."""
    digest = hashlib.sha256()
    digest.update(f"dbt-core={version('dbt-core')};dbt-duckdb={version('dbt-duckdb')}".encode())
    digest.update(Path(__file__).read_bytes())  # how the project is built is part of what is cached
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project)
        if not path.is_file() or rel.parts[0] in _IGNORED or "__pycache__" in rel.parts:
            continue
        digest.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_shop_project(dest: Path, cache_dir: Path | None = None) -> Path:
    """A built copy of the shop project in `dest` (`dest/shop_dbt`), with its target/ artifacts.

    With `cache_dir`, a build of the same project files and dbt version is reused from there.
    """
    dest = Path(dest)
    project_dir = dest / "shop_dbt"
    if cache_dir is None:
        _copy_sources(FIXTURE_PROJECT, project_dir)
        _build(project_dir)
        return project_dir
    cached = Path(cache_dir) / f"shop_dbt-{project_fingerprint()}"
    if not (cached / _DONE_MARKER).exists():
        _build_into_cache(cached)
    if project_dir.exists():
        shutil.rmtree(project_dir)
    shutil.copytree(cached, project_dir, ignore=shutil.ignore_patterns(_DONE_MARKER, "logs"))
    _write_profile(project_dir)
    return project_dir


def _build_into_cache(cached: Path) -> None:
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cached.parent))
    try:
        work = staging / "shop_dbt"
        _copy_sources(FIXTURE_PROJECT, work)
        _build(work)
        (work / _DONE_MARKER).write_text("ok\n")
        try:
            work.rename(cached)
        except OSError:
            # Another process published the same build first; theirs is as good as ours.
            if not (cached / _DONE_MARKER).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _copy_sources(source: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*_IGNORED, "__pycache__"))


def _write_profile(project_dir: Path) -> None:
    db_path = (project_dir / DATABASE_FILE).as_posix()
    (project_dir / "profiles.yml").write_text(
        "shop:\n"
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
    # one run_results.json for the whole build, seeds included, as a single `dbt build` would write
    build_results = json.loads((target / "run_results.json").read_text())
    build_results["results"] = seed_results + build_results["results"]
    _dbt(project_dir, "docs", "generate")
    (target / "run_results.json").write_text(json.dumps(build_results, indent=2))
    missing = [name for name in ARTIFACTS if not (target / name).is_file()]
    if missing:
        raise DbtBuildError(f"dbt build of {project_dir} left no {', '.join(missing)} in target/")


def _dbt(project_dir: Path, *args: str) -> None:
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
        raise DbtBuildError(f"dbt {' '.join(args)} failed in {project_dir}:\n{done.stdout}\n{done.stderr}")


if __name__ == "__main__":
    out = build_shop_project(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(out)
