"""The append-only, hash-chained audit log: one entry per tool call, in SQLite or PostgreSQL.

Writes fail closed: a record that cannot be stored raises AuditUnavailableError, and the server then
refuses the call rather than serve it unaudited.
"""

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, TextIO

from graph_schema.config import Settings
from graph_schema.models import canonical_json
from server.governance.audit_models import AuditEntry, AuditPage, AuditQuery, AuditRecord, ChainHead, VerifyReport
from server.governance.audit_postgres import PostgresAuditStore
from server.governance.audit_sql import COLUMNS
from server.governance.audit_sqlite import SqliteAuditStore
from server.governance.chain import verify_chain
from server.governance.redaction import MAX_STRING, redact_arguments, storable

AUDIT_FILE = "audit.sqlite"


class AuditStore(Protocol):
    """A backend: appends atomically against its own last entry, reads in seq order."""

    location: str

    def append(self, record: AuditRecord) -> AuditEntry: ...

    def query(self, query: AuditQuery) -> list[AuditEntry]: ...

    def iter_entries(self, batch: int = 1000) -> Iterator[AuditEntry]: ...

    def close(self) -> None: ...


class AuditLog:
    def __init__(self, store: AuditStore, *, max_string: int = MAX_STRING) -> None:
        self.store = store
        self._max_string = max_string

    @property
    def location(self) -> str:
        return self.store.location

    def append(self, record: AuditRecord) -> AuditEntry:
        """Seal `record` (arguments redacted) as the next entry; AuditUnavailableError if it cannot be stored."""
        arguments = redact_arguments(record.arguments, self._max_string)
        error = storable(record.error) if record.error is not None else None
        safe = record.model_copy(update={"arguments": arguments, "error": error})
        return self.store.append(safe)

    def query(self, query: AuditQuery) -> AuditPage:
        entries = self.store.query(query)
        more = len(entries) == query.limit and entries[-1].seq > 1
        return AuditPage(entries=entries, next_cursor=entries[-1].seq if more else None)

    def entries(self) -> Iterator[AuditEntry]:
        """Every entry, oldest first."""
        return self.store.iter_entries()

    def verify(self, anchor: ChainHead | None = None) -> VerifyReport:
        return verify_chain(self.store.iter_entries(), anchor)

    def export_jsonl(self, out: TextIO) -> int:
        count = 0
        for entry in self.store.iter_entries():
            out.write(canonical_json(entry.model_dump(mode="json")) + "\n")
            count += 1
        return count

    def export_csv(self, out: TextIO) -> int:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        count = 0
        for entry in self.store.iter_entries():
            row = entry.model_dump(mode="json")
            row["arguments"] = canonical_json(row["arguments"])
            writer.writerow([row[c] for c in COLUMNS])
            count += 1
        return count

    def close(self) -> None:
        self.store.close()


def open_audit_log(settings: Settings) -> AuditLog:
    """PostgreSQL when DATAGRAPH_AUDIT_URL is set, else a SQLite file in DATAGRAPH_HOME."""
    if settings.audit_url:
        return AuditLog(PostgresAuditStore(settings.audit_url))
    return AuditLog(SqliteAuditStore(Path(settings.home) / AUDIT_FILE))
