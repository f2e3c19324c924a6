"""The embedded store's folder: immutable snapshots, run history, and the pointer that makes a run current.

    graph/
      CURRENT                      {"run_id": ..., "snapshot": ...}; replaced atomically = the commit point
      write.lock                   held by the one process committing a run
      runs/<run_id>.json           RunInfo (+ the snapshot it produced or kept)
      runs/<run_id>.changes.jsonl  the run's ChangeRecords
      snapshots/<snapshot_id>/     nodes.parquet, edges.parquet (the canonical state), db (LadybugDB built from them)

A snapshot is written whole into a fresh folder before CURRENT names it, so a reader never sees half a run
and a killed run leaves only an orphan folder that the next run removes.
"""

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from graph_schema.errors import StoreError
from graph_schema.store.models import ChangeRecord, RunInfo

LOCK_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Pointer:
    run_id: str
    snapshot: str


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs_dir = root / "runs"
        self.snapshots_dir = root / "snapshots"
        self.pointer_path = root / "CURRENT"

    def ensure(self) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)

    # ---- pointer -----------------------------------------------------------------------------

    def pointer_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.pointer_path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def read_pointer(self) -> Pointer | None:
        try:
            data = json.loads(self.pointer_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"graph pointer {self.pointer_path} is unreadable: {exc}") from exc
        return Pointer(run_id=data["run_id"], snapshot=data["snapshot"])

    def write_pointer(self, pointer: Pointer) -> None:
        write_atomic(self.pointer_path, json.dumps({"run_id": pointer.run_id, "snapshot": pointer.snapshot}))

    # ---- snapshots ---------------------------------------------------------------------------

    def snapshot_dir(self, snapshot: str) -> Path:
        return self.snapshots_dir / snapshot

    def new_snapshot_dir(self, snapshot: str) -> Path:
        path = self.snapshot_dir(snapshot)
        path.mkdir(parents=True)
        return path

    # ---- runs --------------------------------------------------------------------------------

    def write_run(self, run: RunInfo, snapshot: str, changes: list[ChangeRecord]) -> None:
        changes_path = self.runs_dir / f"{run.run_id}.changes.jsonl"
        with open(changes_path, "w", encoding="utf-8") as fh:
            for change in changes:
                fh.write(change.model_dump_json())
                fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        record = {"run": run.model_dump(mode="json"), "snapshot": snapshot}
        write_atomic(self.runs_dir / f"{run.run_id}.json", json.dumps(record))

    def read_run(self, run_id: str) -> tuple[RunInfo, str] | None:
        try:
            record = json.loads((self.runs_dir / f"{run_id}.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return RunInfo.model_validate(record["run"]), record["snapshot"]

    def committed_runs(self) -> Iterator[RunInfo]:
        """Runs from the current one back through its parents: only these were committed."""
        pointer = self.read_pointer()
        run_id = pointer.run_id if pointer else None
        while run_id:
            found = self.read_run(run_id)
            if found is None:
                return
            run, _ = found
            yield run
            run_id = run.parent_run_id

    def read_changes(self, run_id: str) -> Iterator[ChangeRecord]:
        path = self.runs_dir / f"{run_id}.changes.jsonl"
        try:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield ChangeRecord.model_validate_json(line)
        except FileNotFoundError:
            return

    # ---- housekeeping ------------------------------------------------------------------------

    def collect_garbage(self, keep: int) -> None:
        """Remove what failed runs left and all but the newest `keep` snapshots (history files stay)."""
        committed = list(self.committed_runs())
        committed_ids = {r.run_id for r in committed}
        for path in self.runs_dir.glob("*.json"):
            if path.stem not in committed_ids:
                path.unlink(missing_ok=True)
                (self.runs_dir / f"{path.stem}.changes.jsonl").unlink(missing_ok=True)
        for path in self.runs_dir.glob("*.changes.jsonl"):
            if path.name.removesuffix(".changes.jsonl") not in committed_ids:
                path.unlink(missing_ok=True)
        snapshots_in_use: list[str] = []
        for run in committed:
            found = self.read_run(run.run_id)
            if found and found[1] not in snapshots_in_use:
                snapshots_in_use.append(found[1])
        kept = set(snapshots_in_use[:keep])
        for path in self.snapshots_dir.iterdir():
            if path.name not in kept:
                shutil.rmtree(path, ignore_errors=True)

    @contextmanager
    def write_lock(self, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
        self.ensure()
        with open(self.root / "write.lock", "a+") as fh:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreError(
                            f"another ingestion holds {self.root / 'write.lock'}; gave up after {timeout_s:.0f} s"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
