"""An approved proposal as one commit on a new branch of a local git repository.

Only git plumbing is used: the new file is hashed into the object store, a tree is built in a temporary
index from the base commit with that one file replaced, a commit is made on that tree and a branch is
created pointing at it, refused if the branch exists. The working tree, the index and every other branch are
left as they were, and nothing is pushed anywhere.
"""

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from server.proposals.diff import as_file, same_sql
from server.proposals.errors import ExportError
from server.tools.schemas.changes import Proposal

GIT_TIMEOUT_S = 60
# Settings of the caller's environment that would point git at another repository or index.
_GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE")


@dataclass(frozen=True)
class GitExport:
    worktree: Path
    branch: str
    commit: str
    path: str  # the model file, relative to the repository root


def default_branch(proposal: Proposal) -> str:
    return f"datagraph/{proposal.proposal_id}"


def export_to_branch(proposal: Proposal, project_dir: Path, exporter: str, branch: str | None = None,
                     base: str = "HEAD") -> GitExport:
    """`proposal` as a commit on new branch `branch` (from `base`) of the repository holding `project_dir`."""
    inside = _Git(project_dir)
    root = Path(inside.run("rev-parse", "--show-toplevel").strip())
    prefix = inside.run("rev-parse", "--show-prefix").strip()
    git = _Git(root)  # paths below are relative to the repository root
    name = branch or default_branch(proposal)
    git.check_branch_name(name)
    base_commit = git.commit_of(base)
    if git.ok("show-ref", "--verify", "--quiet", f"refs/heads/{name}"):
        raise ExportError(f"branch {name} exists already in {root}; an export never moves a branch: pass another "
                          "--branch")
    path = _repo_path(prefix, proposal.file_path)
    listed = git.run("ls-tree", base_commit, "--", path).split()
    if len(listed) < 4:
        raise ExportError(f"{path} is not in {base} of {root}: give the dbt project folder as the git folder")
    mode, blob = listed[0], listed[2]
    current = git.run("cat-file", "blob", blob)
    if not same_sql(current, proposal.base_sql):
        raise ExportError(f"{path} at {base} is not the SQL {proposal.proposal_id} was proposed against: the model "
                          "changed since; propose the change again on its current SQL")
    content = as_file(proposal.new_sql)
    if not current.endswith("\n"):
        content = content.rstrip("\n")
    if "\r\n" in current:
        content = content.replace("\n", "\r\n")
    new_blob = git.run("hash-object", "-w", "--stdin", f"--path={path}", stdin=content).strip()
    with tempfile.TemporaryDirectory(prefix="datagraph-export-") as scratch:
        index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git.run("read-tree", base_commit, env=index)
        git.run("update-index", "--cacheinfo", f"{mode},{new_blob},{path}", env=index)
        tree = git.run("write-tree", env=index).strip()
    identity = {
        "GIT_AUTHOR_NAME": proposal.proposed_by,
        "GIT_AUTHOR_EMAIL": _email(proposal.proposed_by),
        "GIT_COMMITTER_NAME": exporter,
        "GIT_COMMITTER_EMAIL": _email(exporter),
    }
    commit = git.run("commit-tree", tree, "-p", base_commit, "-F", "-", stdin=commit_message(proposal),
                     env=identity).strip()
    # `create` fails if the ref exists by now: a branch is never overwritten, even in a race.
    git.run("update-ref", "-m", f"datagraph: export {proposal.proposal_id}", "--stdin",
            stdin=f"create refs/heads/{name} {commit}\n")
    return GitExport(worktree=root, branch=name, commit=commit, path=path)


def remove_branch(export: GitExport) -> None:
    """Undo an export: delete its branch, only if it still points at the exported commit."""
    _Git(export.worktree).run("update-ref", "-d", f"refs/heads/{export.branch}", export.commit)


def commit_message(proposal: Proposal) -> str:
    approvals = [r for r in proposal.reviews if r.decision == "approve"]
    trailers = [f"Proposal-Id: {proposal.proposal_id}", f"Proposed-By: {proposal.proposed_by}"]
    trailers += [f"Approved-By: {r.reviewer}" for r in approvals]
    body = proposal.rationale.strip()
    comments = "\n".join(f"{r.reviewer}: {r.comment}" for r in approvals if r.comment)
    parts = [proposal.title.strip(), body] + ([f"Review:\n{comments}"] if comments else []) + ["\n".join(trailers)]
    return "\n\n".join(parts) + "\n"


def _email(name: str) -> str:
    return name if "@" in name else ""


def _repo_path(prefix: str, file_path: str) -> str:
    path = PurePosixPath(prefix) / PurePosixPath(file_path.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise ExportError(f"model file {file_path!r} is not a path inside the project")
    return path.as_posix()


class _Git:
    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise ExportError(f"{folder} is not a folder")
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARS}
        self.env["GIT_TERMINAL_PROMPT"] = "0"

    def _call(self, args: tuple[str, ...], stdin: str | None, env: dict[str, str] | None
              ) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["git", "-C", str(self.folder), *args], input=stdin, capture_output=True, text=True,
                env={**self.env, **(env or {})}, timeout=GIT_TIMEOUT_S, check=False,
            )
        except FileNotFoundError:
            raise ExportError("git is not installed (no `git` on PATH)") from None
        except subprocess.TimeoutExpired:
            raise ExportError(f"git {args[0]} took longer than {GIT_TIMEOUT_S} s in {self.folder}") from None

    def run(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
        done = self._call(args, stdin, env)
        if done.returncode != 0:
            message = " ".join((done.stderr or done.stdout).split()) or f"exit status {done.returncode}"
            if "not a git repository" in message:
                raise ExportError(f"{self.folder} is not in a git working tree")
            raise ExportError(f"git {args[0]} failed in {self.folder}: {message}")
        return done.stdout

    def ok(self, *args: str) -> bool:
        return self._call(args, None, None).returncode == 0

    def commit_of(self, revision: str) -> str:
        if revision.startswith("-"):
            raise ExportError(f"base {revision!r} is not a revision")
        done = self._call(("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"), None, None)
        if done.returncode != 0:
            self.run("rev-parse", "--show-toplevel")  # a folder outside any repository says so first
            raise ExportError(f"{revision!r} is not a commit in the repository of {self.folder}")
        return done.stdout.strip()

    def check_branch_name(self, name: str) -> None:
        if name.startswith("-") or not self.ok("check-ref-format", "--branch", name):
            raise ExportError(f"{name!r} is not a valid branch name")
