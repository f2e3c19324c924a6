"""Feedback in PostgreSQL, in the database of the audit log."""

import threading
from collections.abc import Callable
from typing import TypeVar

import psycopg

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
from server.governance.audit_postgres import psycopg_url

T = TypeVar("T")
# Several replicas starting at once would race on CREATE ... IF NOT EXISTS without a lock.
SCHEMA_LOCK_KEY = 0x6461_7461_6662_636B  # "datafbck"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


class PostgresFeedbackStore:
    def __init__(self, url: str, *, connect_timeout_s: int = 5) -> None:
        self._url = psycopg_url(url)
        self._connect_timeout_s = connect_timeout_s
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self.location = self._url.split("://", 1)[-1].rsplit("@", 1)[-1]

        def create(conn: psycopg.Connection) -> None:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
                for sql in schema("BIGSERIAL"):
                    conn.execute(sql)

        self._run("open", create)

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=self._connect_timeout_s)
        return self._conn

    def _run(self, action: str, work: Callable[[psycopg.Connection], T]) -> T:
        with self._lock:
            try:
                return work(self._connection())
            except psycopg.Error as exc:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                raise FeedbackUnavailableError(
                    f"cannot {action} the feedback store at {self.location}: {_one_line(exc)}"
                ) from None

    def add(self, item: FeedbackItem) -> FeedbackItem:
        self._run("write", lambda c: c.execute(insert_sql("%s"), item_params(item)))
        return item

    def get(self, feedback_id: str) -> FeedbackItem | None:
        rows = self._run(
            "read", lambda c: c.execute(select_sql("%s", status=None, by_id=True), (feedback_id, 1)).fetchall()
        )
        return row_to_item(rows[0]) if rows else None

    def list(self, status: FeedbackStatus | None = None, limit: int = 100) -> list[FeedbackItem]:
        params = (status.value, limit) if status is not None else (limit,)
        rows = self._run("read", lambda c: c.execute(select_sql("%s", status=status), params).fetchall())
        return [row_to_item(r) for r in rows]

    def review(self, review: Review) -> bool:
        params = review_params(review.status, review.reviewer, review.at, review.comment, review.feedback_id)
        return self._run("write", lambda c: c.execute(review_sql("%s"), params).rowcount == 1)

    def version(self) -> int:
        row = self._run("read", lambda c: c.execute(version_sql("%s"), (FeedbackStatus.APPROVED.value,)).fetchone())
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
