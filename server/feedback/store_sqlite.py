"""Feedback in a SQLite file beside the audit log."""

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from server.feedback.errors import FeedbackUnavailableError
from server.feedback.models import FeedbackItem, FeedbackStatus, Review
from server.feedback.sql import (
    insert_sql,
    item_params,
    review_params,
    review_sql,
    row_to_item,
    schema,
    select_sql,
    version_sql,
)

T = TypeVar("T")


class SqliteFeedbackStore:
    def __init__(self, path: Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = path
        self.location = str(path)
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            with self._lock:
                for sql in schema("INTEGER PRIMARY KEY"):
                    self._conn.execute(sql)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackUnavailableError(f"cannot open the feedback store {path}: {exc}") from None

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise FeedbackUnavailableError(f"cannot {action} the feedback store {self.path}: {exc}") from None

    def _run(self, action: str, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock, self._errors(action):
            return work(self._conn)

    def add(self, item: FeedbackItem) -> FeedbackItem:
        self._run("write", lambda c: c.execute(insert_sql("?"), item_params(item)))
        return item

    def get(self, feedback_id: str) -> FeedbackItem | None:
        sql = select_sql("?", status=None, by_id=True)
        rows = self._run("read", lambda c: c.execute(sql, (feedback_id, 1)).fetchall())
        return row_to_item(rows[0]) if rows else None

    def list(self, status: FeedbackStatus | None = None, limit: int = 100) -> list[FeedbackItem]:
        params = (status.value, limit) if status is not None else (limit,)
        rows = self._run("read", lambda c: c.execute(select_sql("?", status=status), params).fetchall())
        return [row_to_item(r) for r in rows]

    def review(self, review: Review) -> bool:
        """Record a decision on a pending item; False when it is not pending (decided already or unknown)."""
        params = review_params(review.status, review.reviewer, review.at, review.comment, review.feedback_id)
        cursor = self._run("write", lambda c: c.execute(review_sql("?"), params))
        return cursor.rowcount == 1

    def version(self) -> int:
        row = self._run("read", lambda c: c.execute(version_sql("?"), (FeedbackStatus.APPROVED.value,)).fetchone())
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
