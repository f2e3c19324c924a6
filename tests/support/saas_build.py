"""The `saas_dbt` fixture project, built with real dbt on DuckDB by the estate's build, cached by content.

Only the project, its profile name and its database file differ from the shop's build.
"""

import sys
from pathlib import Path

from datagraph.estate.build import DbtProject, build_project

SAAS_PROJECT = DbtProject(
    Path(__file__).resolve().parent.parent / "fixtures" / "saas_dbt", profile="saas", database_file="saas.duckdb"
)


def build_saas_project(dest: Path, cache_dir: Path | None = None) -> Path:
    """A built copy of the saas project in `dest/saas_dbt`, reused from `cache_dir` when built before."""
    return build_project(SAAS_PROJECT, dest, cache_dir)


if __name__ == "__main__":
    print(build_saas_project(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None))
