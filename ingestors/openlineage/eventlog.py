"""The raw event log: every valid OpenLineage event as received, append-only, in SQLite under DATAGRAPH_HOME.

Events are stored before they are projected, so the graph can always be rebuilt from them, and stored
once: an event received twice (a retried HTTP post, a file ingested again) is recognised by the hash of
its JSON. A lock file serialises append-project-commit across processes, so that a projection of an
older log never commits after a newer one.
"""

import fcntl
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from graph_schema.models import canonical_json, content_hash
from ingestors.openlineage.errors import EventLogError
from ingestors.openlineage.models import Event, JobEvent, RunEvent, parse_event

LOG_FOLDER = "openlineage"
LOG_FILE = "events.sqlite"
LOCK_FILE = "ingest.lock"

_SCHEMA = (
    "create table if not exists events ("
    " seq integer primary key autoincrement,"
    " hash text not null unique,"
    " received_at text not null,"
    " kind text not null,"
    " event_type text,"
    " event_time text not null,"
    " job_namespace text,"
    " job_name text,"
    " run_id text,"
    " body text not null)",
    "create index if not exists events_by_run on events (job_namespace, job_name, run_id)",
    "create table if not exists log_meta (key text primary key, value text not null)",
)


@dataclass(frozen=True)
class Appended:
    received: int
    new: int


def _kind(event: Event) -> str:
    return "run" if isinstance(event, RunEvent) else "job" if isinstance(event, JobEvent) else "dataset"


class EventLog:
    def __init__(self, home: Path) -> None:
        self.folder = Path(home) / LOG_FOLDER
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.folder / LOG_FILE, timeout=30.0)
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._db.execute("insert or ignore into log_meta (key, value) values ('log_id', ?)", (uuid4().hex,))
            self._db.commit()
            # which log a projection came from: another home's log may have reached the same sequence number
            self.log_id = str(self._db.execute("select value from log_meta where key = 'log_id'").fetchone()[0])
        except (OSError, sqlite3.Error) as exc:
            raise EventLogError(f"cannot open the OpenLineage event log in {self.folder}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "EventLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def locked(self) -> Iterator[None]:
        with open(self.folder / LOCK_FILE, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def append(self, events: list[tuple[Event, dict[str, Any]]]) -> Appended:
        """Store each (validated event, raw JSON) not stored yet; all or none."""
        received_at = datetime.now(UTC).isoformat()
        rows = []
        for event, raw in events:
            job = event.job if isinstance(event, (RunEvent, JobEvent)) else None
            rows.append((
                content_hash(raw),
                received_at,
                _kind(event),
                event.eventType if isinstance(event, RunEvent) else None,
                event.eventTime.isoformat(),
                job.namespace if job else None,
                job.name if job else None,
                str(event.run.runId) if isinstance(event, RunEvent) else None,
                canonical_json(raw),
            ))
        try:
            with self._db:
                before = self._db.total_changes
                self._db.executemany(
                    "insert or ignore into events (hash, received_at, kind, event_type, event_time, job_namespace,"
                    " job_name, run_id, body) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                new = self._db.total_changes - before
        except sqlite3.Error as exc:
            raise EventLogError(f"cannot write the OpenLineage event log in {self.folder}: {exc}") from None
        return Appended(received=len(rows), new=new)

    def last_seq(self) -> int:
        return int(self._db.execute("select coalesce(max(seq), 0) from events").fetchone()[0])

    def count(self) -> int:
        return int(self._db.execute("select count(*) from events").fetchone()[0])

    def projection_events(self, runs_kept: int) -> list[Event]:
        """The events the graph is projected from: each job's last `runs_kept` runs, job and dataset events."""
        runs = self._db.execute(
            "select job_namespace, job_name, run_id, min(event_time) as started from events"
            " where kind = 'run' group by job_namespace, job_name, run_id"
            " order by job_namespace, job_name, started desc, run_id"
        ).fetchall()
        kept: set[tuple[str, str, str]] = set()
        per_job: dict[tuple[str, str], int] = {}
        for namespace, name, run_id, _ in runs:
            seen = per_job.get((namespace, name), 0)
            if seen < runs_kept:
                kept.add((namespace, name, run_id))
            per_job[(namespace, name)] = seen + 1
        events: list[Event] = []
        cursor = self._db.execute(
            "select kind, job_namespace, job_name, run_id, body from events order by event_time, seq"
        )
        for kind, namespace, name, run_id, body in cursor:
            if kind == "run" and (namespace, name, run_id) not in kept:
                continue
            events.append(parse_event(json.loads(body)))
        return events
