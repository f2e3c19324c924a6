"""The audit log in PostgreSQL. A transaction-level advisory lock around read-last + insert keeps
several server replicas from forking the chain."""

import threading
from collections.abc import Callable, Iterator
from datetime import datetime

import psycopg

from server.errors import AuditUnavailableError
from server.governance.audit_models import GENESIS_HASH, AuditEntry, AuditQuery, AuditRecord, utc_now
from server.governance.audit_sql import LAST_ENTRY, TABLE, batch_sql, entry_params, insert_sql, query_sql, row_to_entry
from server.governance.chain import seal

# One fixed key per database: every writer of the chain takes the same lock.
ADVISORY_LOCK_KEY = 0x6461_7461_6175_6474  # "dataaudt"

_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        "seq" BIGINT PRIMARY KEY,
        "time" TEXT NOT NULL,
        "principal" TEXT NOT NULL,
        "role" TEXT NOT NULL,
        "transport" TEXT NOT NULL,
        "tool" TEXT NOT NULL,
        "arguments" TEXT NOT NULL,
        "decision" TEXT NOT NULL,
        "outcome" TEXT NOT NULL,
        "error" TEXT,
        "result_size" BIGINT NOT NULL,
        "latency_ms" DOUBLE PRECISION NOT NULL,
        "prev_hash" TEXT NOT NULL,
        "hash" TEXT NOT NULL
    )""",
    f'CREATE INDEX IF NOT EXISTS {TABLE}_principal ON {TABLE} ("principal", "seq")',
    f'CREATE INDEX IF NOT EXISTS {TABLE}_tool ON {TABLE} ("tool", "seq")',
    f'CREATE INDEX IF NOT EXISTS {TABLE}_time ON {TABLE} ("time")',
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{TABLE} is append-only'; END $$""",
    f"""CREATE OR REPLACE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()""",
    f"""CREATE OR REPLACE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()""",
)


def psycopg_url(url: str) -> str:
    """psycopg takes libpq URLs; SQLAlchemy-style `postgresql+psycopg://` is accepted too."""
    return "postgresql://" + url.split("://", 1)[1] if url.startswith("postgresql+") else url


def _safe_location(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.rsplit("@", 1)[-1]


class PostgresAuditStore:
    def __init__(self, url: str, *, clock: Callable[[], datetime] = utc_now, connect_timeout_s: int = 5) -> None:
        self._url = psycopg_url(url)
        self._clock = clock
        self._connect_timeout_s = connect_timeout_s
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self.location = _safe_location(self._url)
        try:
            with self._lock:
                conn = self._connection()
                with conn.transaction():
                    # Two replicas starting at once would race on CREATE ... IF NOT EXISTS without the lock.
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                    for sql in _SCHEMA:
                        conn.execute(sql)
        except psycopg.Error as exc:
            self._drop()
            raise AuditUnavailableError(f"cannot open the audit log at {self.location}: {_one_line(exc)}") from None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=self._connect_timeout_s)
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def append(self, record: AuditRecord) -> AuditEntry:
        with self._lock:
            try:
                conn = self._connection()
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                    last = conn.execute(LAST_ENTRY).fetchone()
                    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
                    entry = seal(record, seq, self._clock(), prev_hash)
                    conn.execute(insert_sql("%s"), entry_params(entry))
                return entry
            except psycopg.Error as exc:
                self._drop()
                raise AuditUnavailableError(
                    f"cannot write the audit log at {self.location}: {_one_line(exc)}"
                ) from None

    def query(self, query: AuditQuery) -> list[AuditEntry]:
        sql, params = query_sql(query, "%s")
        with self._lock:
            try:
                rows = self._connection().execute(sql, params).fetchall()
            except psycopg.Error as exc:
                self._drop()
                raise AuditUnavailableError(f"cannot read the audit log at {self.location}: {_one_line(exc)}") from None
        return [row_to_entry(r) for r in rows]

    def iter_entries(self, batch: int = 1000) -> Iterator[AuditEntry]:
        after = 0
        while True:
            with self._lock:
                try:
                    rows = self._connection().execute(batch_sql("%s"), (after, batch)).fetchall()
                except psycopg.Error as exc:
                    self._drop()
                    raise AuditUnavailableError(
                        f"cannot read the audit log at {self.location}: {_one_line(exc)}"
                    ) from None
            if not rows:
                return
            for row in rows:
                yield row_to_entry(row)
            after = rows[-1][0]

    def close(self) -> None:
        with self._lock:
            self._drop()


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
