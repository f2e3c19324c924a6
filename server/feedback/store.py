"""Where feedback is kept: beside the audit log (SQLite in DATAGRAPH_HOME, or PostgreSQL by DATAGRAPH_AUDIT_URL)."""

from pathlib import Path
from typing import Protocol

from graph_schema.config import Settings
from server.feedback.models import FeedbackItem, FeedbackStatus, Review

FEEDBACK_FILE = "feedback.sqlite"


class FeedbackStore(Protocol):
    location: str

    def add(self, item: FeedbackItem) -> FeedbackItem: ...

    def get(self, feedback_id: str) -> FeedbackItem | None: ...

    def list(self, status: FeedbackStatus | None = None, limit: int = 100) -> list[FeedbackItem]: ...

    def review(self, review: Review) -> bool: ...

    def version(self) -> int: ...

    def close(self) -> None: ...


def open_feedback_store(settings: Settings) -> FeedbackStore:
    if settings.audit_url:
        from server.feedback.store_postgres import PostgresFeedbackStore

        return PostgresFeedbackStore(settings.audit_url)
    from server.feedback.store_sqlite import SqliteFeedbackStore

    return SqliteFeedbackStore(Path(settings.home) / FEEDBACK_FILE)
