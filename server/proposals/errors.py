"""Typed errors of change proposals; each message is one line naming the input and what is wrong."""

from server.errors import InvalidArgumentsError, NotFoundError, PermissionDeniedError, ToolCallError


class ProposalsUnavailableError(ToolCallError):
    """The proposal store cannot be opened, read or written."""

    code = "proposals_unavailable"


class NotProposableError(InvalidArgumentsError):
    """The ref names something that is not built by SQL (a table, a python model, a metric, ...)."""


class InvalidSqlError(ToolCallError):
    """The new SQL (or its Jinja) does not parse; the message says where (line, column)."""

    code = "invalid_sql"


class UnknownRefError(ToolCallError):
    """The new SQL reads a ref, source or table the graph does not hold; the message says where and lists
    the closest names."""

    code = "unknown_ref"


class ContractViolationError(ToolCallError):
    """The new SQL breaks the model's enforced contract; the message lists every broken promise."""

    code = "contract_violation"


class ProposalNotFoundError(NotFoundError):
    pass


class ProposalReviewError(ToolCallError):
    """A review that cannot be made: the proposal is decided already, or was decided by someone else meanwhile."""

    code = "invalid_review"


class SelfReviewError(PermissionDeniedError):
    """The proposer tried to review their own proposal."""


class OwnerApprovalError(PermissionDeniedError):
    """The policy wants an owner of each broken asset to approve, and the reviewer owns none still waiting."""


class NotApprovedError(ToolCallError):
    """Only an approved proposal may be exported."""

    code = "not_approved"


class ExportError(ToolCallError):
    """An export that cannot be made (not a git working tree, branch exists, model file changed, ...)."""

    code = "export_failed"
