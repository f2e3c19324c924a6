"""The proposal store's SQLite database: the audit log's file, in tables of its own."""

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from server.proposals.errors import ProposalsUnavailableError
from server.proposals.sql import schema

T = TypeVar("T")


class SqliteDatabase:
    placeholder = "?"

    def __init__(self, path: Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = path
        self.location = str(path)
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE.
            self._conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self.transaction(lambda run: [run(statement) for statement in schema("INTEGER PRIMARY KEY")])
        except (OSError, sqlite3.Error) as exc:
            raise ProposalsUnavailableError(f"cannot open the proposal store {path}: {exc}") from None

    def read(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return self._conn.execute(statement, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise ProposalsUnavailableError(f"cannot read the proposal store {self.path}: {exc}") from None

    def transaction(self, work: Callable[[Callable[..., tuple[list[tuple[Any, ...]], int]]], T]) -> T:
        def run(statement: str, params: Sequence[Any] = ()) -> tuple[list[tuple[Any, ...]], int]:
            cursor = self._conn.execute(statement, tuple(params))
            return cursor.fetchall(), cursor.rowcount

        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(run)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
                return result
        except sqlite3.Error as exc:
            raise ProposalsUnavailableError(f"cannot write the proposal store {self.path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
