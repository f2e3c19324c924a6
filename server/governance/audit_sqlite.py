"""The audit log in a SQLite file. `BEGIN IMMEDIATE` serialises writers across processes."""

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from server.errors import AuditUnavailableError
from server.governance.audit_models import GENESIS_HASH, AuditEntry, AuditQuery, AuditRecord, utc_now
from server.governance.audit_sql import LAST_ENTRY, TABLE, batch_sql, entry_params, insert_sql, query_sql, row_to_entry
from server.governance.chain import seal

T = TypeVar("T")

_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        "seq" INTEGER PRIMARY KEY,
        "time" TEXT NOT NULL,
        "principal" TEXT NOT NULL,
        "role" TEXT NOT NULL,
        "transport" TEXT NOT NULL,
        "tool" TEXT NOT NULL,
        "arguments" TEXT NOT NULL,
        "decision" TEXT NOT NULL,
        "outcome" TEXT NOT NULL,
        "error" TEXT,
        "result_size" INTEGER NOT NULL,
        "latency_ms" REAL NOT NULL,
        "prev_hash" TEXT NOT NULL,
        "hash" TEXT NOT NULL
    )""",
    f'CREATE INDEX IF NOT EXISTS {TABLE}_principal ON {TABLE} ("principal", "seq")',
    f'CREATE INDEX IF NOT EXISTS {TABLE}_tool ON {TABLE} ("tool", "seq")',
    f'CREATE INDEX IF NOT EXISTS {TABLE}_time ON {TABLE} ("time")',
    # Append-only at the database too: editing the log needs dropping these first, which verify() then exposes.
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END""",
)


def _identity(path: Path) -> tuple[int, int]:
    """Which file `path` names now (device, inode); OSError when it names none."""
    stat = path.stat()
    return stat.st_dev, stat.st_ino


class SqliteAuditStore:
    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now, busy_timeout_s: float = 10.0) -> None:
        self.path = path
        self._clock = clock
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn, self._file = self._open()
            self._in_write_transaction(lambda: [self._conn.execute(sql) for sql in _SCHEMA])
        except (OSError, sqlite3.Error) as exc:
            raise AuditUnavailableError(f"cannot open the audit log {path}: {exc}") from None

    @property
    def location(self) -> str:
        return str(self.path)

    def _open(self) -> tuple[sqlite3.Connection, tuple[int, int]]:
        # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE.
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            return conn, _identity(self.path)
        except (OSError, sqlite3.Error):
            conn.close()
            raise

    def _checked(self) -> sqlite3.Connection:
        """The connection to the file at `path` now; the caller holds the lock.

        An open SQLite file that is removed or moved away takes writes without a murmur, into a file nobody
        will read again, so a log no longer at its path fails closed. It is not recreated either: a new file
        would restart the chain and hide the loss. A file put back at the path (moved back, or restored from
        a backup) is written again, reopened if it is another file than before.
        """
        try:
            current = _identity(self.path)
        except OSError:
            raise FileNotFoundError("the file is gone (removed or moved away)") from None
        if current != self._file:
            self._conn.close()
            self._conn, self._file = self._open()
        return self._conn

    def _in_write_transaction(self, work: Callable[[], T]) -> T:
        with self._lock:
            self._checked()
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = work()
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    def append(self, record: AuditRecord) -> AuditEntry:
        def write() -> AuditEntry:
            last = self._conn.execute(LAST_ENTRY).fetchone()
            seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
            entry = seal(record, seq, self._clock(), prev_hash)
            self._conn.execute(insert_sql("?"), entry_params(entry))
            return entry

        try:
            return self._in_write_transaction(write)
        except (OSError, sqlite3.Error) as exc:
            raise AuditUnavailableError(f"cannot write the audit log {self.path}: {exc}") from None

    def query(self, query: AuditQuery) -> list[AuditEntry]:
        sql, params = query_sql(query, "?")
        try:
            with self._lock:
                rows = self._checked().execute(sql, params).fetchall()
        except (OSError, sqlite3.Error) as exc:
            raise AuditUnavailableError(f"cannot read the audit log {self.path}: {exc}") from None
        return [row_to_entry(r) for r in rows]

    def iter_entries(self, batch: int = 1000) -> Iterator[AuditEntry]:
        after = 0
        while True:
            try:
                with self._lock:
                    rows = self._checked().execute(batch_sql("?"), (after, batch)).fetchall()
            except (OSError, sqlite3.Error) as exc:
                raise AuditUnavailableError(f"cannot read the audit log {self.path}: {exc}") from None
            if not rows:
                return
            for row in rows:
                yield row_to_entry(row)
            after = rows[-1][0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
