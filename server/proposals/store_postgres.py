"""The proposal store's PostgreSQL database: the audit log's database, in tables of its own."""

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg

from server.governance.audit_postgres import psycopg_url
from server.proposals.errors import ProposalsUnavailableError
from server.proposals.sql import schema

T = TypeVar("T")
# Several replicas starting at once would race on CREATE ... IF NOT EXISTS without a lock.
SCHEMA_LOCK_KEY = 0x6461_7461_7072_6F70  # "dataprop"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


class PostgresDatabase:
    placeholder = "%s"

    def __init__(self, url: str, *, connect_timeout_s: int = 5) -> None:
        self._url = psycopg_url(url)
        self._connect_timeout_s = connect_timeout_s
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self.location = self._url.split("://", 1)[-1].rsplit("@", 1)[-1]

        def create(run: Callable[..., Any]) -> None:
            run("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            for statement in schema("BIGSERIAL"):
                run(statement)

        self.transaction(create, action="open")

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=self._connect_timeout_s)
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def read(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._connection().execute(statement, tuple(params)).fetchall()
            except psycopg.Error as exc:
                self._drop()
                raise ProposalsUnavailableError(
                    f"cannot read the proposal store at {self.location}: {_one_line(exc)}"
                ) from None

    def transaction(self, work: Callable[[Callable[..., tuple[list[tuple[Any, ...]], int]]], T],
                    action: str = "write") -> T:
        with self._lock:
            try:
                conn = self._connection()

                def run(statement: str, params: Sequence[Any] = ()) -> tuple[list[tuple[Any, ...]], int]:
                    cursor = conn.execute(statement, tuple(params))
                    rows = cursor.fetchall() if cursor.description else []
                    return rows, cursor.rowcount

                with conn.transaction():
                    return work(run)
            except psycopg.Error as exc:
                self._drop()
                raise ProposalsUnavailableError(
                    f"cannot {action} the proposal store at {self.location}: {_one_line(exc)}"
                ) from None

    def close(self) -> None:
        with self._lock:
            self._drop()
