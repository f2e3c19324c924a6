"""Typed errors of feedback storage and review; each message is one line that names what is wrong."""

from server.errors import ToolCallError


class FeedbackUnavailableError(ToolCallError):
    """The feedback store cannot be opened, read or written."""

    code = "feedback_unavailable"


class FeedbackNotFoundError(ToolCallError):
    code = "not_found"


class FeedbackReviewError(ToolCallError):
    """A review that cannot be made: the item is decided already, or the reviewer proposed it."""

    code = "invalid_review"
