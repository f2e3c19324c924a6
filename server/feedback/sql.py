"""SQL shared by the SQLite and PostgreSQL feedback stores; values always travel as parameters."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from server.feedback.models import FeedbackItem, FeedbackStatus
from server.governance.audit_models import format_time

TABLE = "datagraph_feedback"
COLUMNS: tuple[str, ...] = (
    "feedback_id",
    "kind",
    "target",
    "target_id",
    "question",
    "value",
    "value_id",
    "note",
    "submitted_by",
    "submitted_role",
    "submitted_at",
    "status",
    "reviewed_by",
    "reviewed_at",
    "review_comment",
)
SELECT_COLUMNS = ", ".join(f'"{c}"' for c in COLUMNS)


def schema(seq_type: str) -> tuple[str, ...]:
    columns = ",\n        ".join(
        f'"{c}" TEXT' + (" NOT NULL" if c in ("feedback_id", "kind", "target", "target_id", "submitted_by",
                                                 "submitted_role", "submitted_at", "status") else "")
        for c in COLUMNS
    )
    return (
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        "seq" {seq_type},
        {columns},
        UNIQUE ("feedback_id")
    )""",
        f'CREATE INDEX IF NOT EXISTS {TABLE}_status ON {TABLE} ("status", "seq")',
    )


def insert_sql(placeholder: str) -> str:
    marks = ", ".join([placeholder] * len(COLUMNS))
    return f"INSERT INTO {TABLE} ({SELECT_COLUMNS}) VALUES ({marks})"


def item_params(item: FeedbackItem) -> tuple[Any, ...]:
    data = item.model_dump(mode="json")
    # fixed-width UTC text, so that times sort as text in both backends
    data["submitted_at"] = format_time(item.submitted_at)
    data["reviewed_at"] = format_time(item.reviewed_at) if item.reviewed_at is not None else None
    return tuple(data[c] for c in COLUMNS)


def row_to_item(row: Sequence[Any]) -> FeedbackItem:
    return FeedbackItem.model_validate(dict(zip(COLUMNS, row, strict=True)))


def select_sql(placeholder: str, *, status: FeedbackStatus | None, by_id: bool = False) -> str:
    where = []
    if by_id:
        where.append(f'"feedback_id" = {placeholder}')
    if status is not None:
        where.append(f'"status" = {placeholder}')
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f'SELECT {SELECT_COLUMNS} FROM {TABLE}{clause} ORDER BY "seq" DESC LIMIT {placeholder}'


def review_sql(placeholder: str) -> str:
    """Decide a pending item; matching on the pending status makes a second decision update nothing."""
    return (
        f'UPDATE {TABLE} SET "status" = {placeholder}, "reviewed_by" = {placeholder}, "reviewed_at" = {placeholder}, '
        f'"review_comment" = {placeholder} WHERE "feedback_id" = {placeholder} AND "status" = {placeholder}'
    )


def review_params(status: FeedbackStatus, reviewer: str, at: datetime, comment: str | None,
                  feedback_id: str) -> tuple[Any, ...]:
    return (status.value, reviewer, format_time(at), comment, feedback_id, FeedbackStatus.PENDING_REVIEW.value)




def version_sql(placeholder: str) -> str:
    """How many items were ever approved: approval is final, so the count only grows."""
    return f'SELECT COUNT(*) FROM {TABLE} WHERE "status" = {placeholder}'
