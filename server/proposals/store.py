"""Where proposals live: beside the audit log, in the same database (the SQLite file in DATAGRAPH_HOME, or
PostgreSQL at DATAGRAPH_AUDIT_URL), so they survive restarts and are backed up with it."""

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from graph_schema.config import Settings
from graph_schema.models import canonical_json
from server.governance.audit import AUDIT_FILE
from server.governance.audit_models import format_time
from server.proposals import sql
from server.tools.schemas.changes import ExportRecord, Proposal, ProposalStatus, ReviewRecord

T = TypeVar("T")
EventKind = Literal["approve", "reject", "export"]
# Folded from events on every read, never kept in the document.
_DERIVED = {"status", "reviews", "exports", "reviewed_by", "reviewed_at", "review_comment", "approvals_missing"}


class Executor(Protocol):
    def __call__(self, statement: str, params: Sequence[Any] = ()) -> tuple[list[tuple[Any, ...]], int]:
        """Rows (for a SELECT) and the row count."""


class Database(Protocol):
    """A connection to one SQL database, as the proposal store needs it."""

    placeholder: str
    location: str

    def read(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...

    def transaction(self, work: Callable[[Executor], T]) -> T:
        """`work` in one transaction, rolled back if it raises."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Event:
    proposal_id: str
    kind: EventKind
    principal: str
    role: str
    at: datetime
    comment: str | None = None
    details: dict[str, Any] | None = None

    def params(self) -> tuple[Any, ...]:
        return (self.proposal_id, self.kind, self.principal, self.role, format_time(self.at), self.comment,
                canonical_json(self.details or {}))


class ProposalStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._ph = db.placeholder

    @property
    def location(self) -> str:
        return self.db.location

    def add(self, proposal: Proposal) -> None:
        """Store a new proposal in one statement: it is there whole or not at all."""
        document = proposal.model_dump(mode="json", exclude=_DERIVED)
        params = (proposal.proposal_id, proposal.target, proposal.status, proposal.proposed_by,
                  format_time(proposal.proposed_at), 0, canonical_json(document))
        self.db.transaction(lambda run: run(sql.insert_proposal(self._ph), params))

    def get(self, proposal_id: str) -> Proposal | None:
        rows = self.db.read(sql.select_proposals(self._ph, by_id=True), (proposal_id, 1))
        found = self._fold(rows)
        return found[0] if found else None

    def decide(self, event: Event, status: ProposalStatus, expected_version: int) -> bool:
        """Record a decision if nobody decided since the proposal was read at `expected_version`."""

        def work(run: Executor) -> bool:
            _, count = run(sql.decide(self._ph), (status, event.proposal_id, expected_version))
            if count != 1:
                return False
            run(sql.insert_event(self._ph), event.params())
            return True

        return self.db.transaction(work)

    def record(self, event: Event) -> None:
        """An event that changes no status (an export)."""
        self.db.transaction(lambda run: run(sql.insert_event(self._ph), event.params()))

    def close(self) -> None:
        self.db.close()

    def _fold(self, rows: list[tuple[Any, ...]]) -> list[Proposal]:
        if not rows:
            return []
        ids = [r[0] for r in rows]
        events: dict[str, list[tuple[Any, ...]]] = {i: [] for i in ids}
        for event in self.db.read(sql.select_events(self._ph, len(ids)), ids):
            events[event[0]].append(event)
        return [fold(json.loads(document), status, events[pid]) for pid, status, _, document in rows]

    # Last in the class body: its name would shadow the builtin in the annotations that follow it.
    def list(self, status: ProposalStatus | None = None, target: str | None = None, limit: int = 100) -> list[Proposal]:
        """Newest first."""
        params = [p for p in (status, target) if p is not None]
        statement = sql.select_proposals(self._ph, status=status is not None, target=target is not None)
        return self._fold(self.db.read(statement, (*params, limit)))


def fold(document: dict[str, Any], status: str, events: list[tuple[Any, ...]]) -> Proposal:
    """The proposal as its document and events make it now. Its version (decisions made) is len(reviews)."""
    reviews: list[ReviewRecord] = []
    exports: list[ExportRecord] = []
    for _, kind, principal, role, at, comment, details_text in events:
        details = json.loads(details_text)
        if kind in ("approve", "reject"):
            reviews.append(ReviewRecord(decision=kind, reviewer=principal, role=role, at=at, comment=comment or ""))
        elif kind == "export":
            exports.append(ExportRecord(by=principal, at=at, **details))
    proposal = Proposal.model_validate({**document, "status": status, "reviews": reviews, "exports": exports})
    if status != "pending_review" and reviews:
        last = reviews[-1]
        proposal = proposal.model_copy(update={"reviewed_by": last.reviewer, "reviewed_at": last.at,
                                               "review_comment": last.comment})
    return proposal


def open_proposal_store(settings: Settings) -> ProposalStore:
    """PostgreSQL when DATAGRAPH_AUDIT_URL is set, else the audit log's SQLite file in DATAGRAPH_HOME."""
    if settings.audit_url:
        from server.proposals.store_postgres import PostgresDatabase

        return ProposalStore(PostgresDatabase(settings.audit_url))
    from server.proposals.store_sqlite import SqliteDatabase

    return ProposalStore(SqliteDatabase(Path(settings.home) / AUDIT_FILE))


@contextmanager
def proposal_store(settings: Settings) -> Iterator[ProposalStore]:
    store = open_proposal_store(settings)
    try:
        yield store
    finally:
        store.close()
