"""A git repository holding a copy of the shop project, for export tests (git run as a child process)."""

import os
import shutil
import subprocess
from pathlib import Path

from datagraph.estate import SHOP_DBT_DIR as FIXTURE_PROJECT

IDENTITY = {
    "GIT_AUTHOR_NAME": "Repo Owner",
    "GIT_AUTHOR_EMAIL": "owner@shop.example",
    "GIT_COMMITTER_NAME": "Repo Owner",
    "GIT_COMMITTER_EMAIL": "owner@shop.example",
    "GIT_CONFIG_NOSYSTEM": "1",
}
# What a dbt project builds and keeps out of version control.
IGNORED = "target/\nlogs/\ndbt_packages/\n*.duckdb\n*.duckdb.wal\nprofiles.yml\n.user.yml\n"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False,
                          env={**os.environ, **IDENTITY})
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def make_repo(root: Path, project: Path = FIXTURE_PROJECT, subfolder: str = "analytics/shop") -> Path:
    """A repository at `root` with the dbt project in `subfolder`, committed on branch main; the project folder."""
    project_dir = root / subfolder
    shutil.copytree(project, project_dir, ignore=shutil.ignore_patterns("__pycache__"))
    (project_dir / ".gitignore").write_text(IGNORED)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "shop project")
    return project_dir


def state(repo: Path) -> tuple[str, str, str, str]:
    """HEAD's branch and commit, the status of the working tree and index, and every ref: what must not move."""
    return (
        git(repo, "symbolic-ref", "HEAD").strip(),
        git(repo, "rev-parse", "HEAD").strip(),
        git(repo, "status", "--porcelain", "--ignored"),
        git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
    )
