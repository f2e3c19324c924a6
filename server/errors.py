"""Typed errors of the MCP server. A tool error's message starts with `[code]` so an agent can branch on it."""

from typing import ClassVar

from graph_schema.errors import ConfigError, DatagraphError


class ToolCallError(DatagraphError):
    """A tool call that fails in a way the caller should read; str() is the message the agent sees."""

    code: ClassVar[str] = "failed"

    def __init__(self, message: str) -> None:
        super().__init__(f"[{self.code}] {message}")


class DeniedError(ToolCallError):
    """The call was refused before the tool ran (audited with decision `denied`)."""


class PermissionDeniedError(DeniedError):
    code = "permission_denied"


class LimitExceededError(DeniedError):
    code = "limit_exceeded"


class RateLimitedError(DeniedError):
    code = "rate_limited"


class UnauthenticatedError(DeniedError):
    code = "unauthenticated"


class InvalidArgumentsError(ToolCallError):
    code = "invalid_arguments"


class NotFoundError(ToolCallError):
    """An unknown ref; the message lists the closest candidates."""

    code = "not_found"


class AmbiguousRefError(ToolCallError):
    """A short name that matches several assets; the message lists them."""

    code = "ambiguous_ref"


class NotImplementedToolError(ToolCallError):
    code = "not_implemented"


class AuditUnavailableError(ToolCallError):
    """The audit log cannot be written or read; calls fail closed."""

    code = "audit_unavailable"


class PolicyError(ConfigError):
    """The policy file is missing, unreadable or invalid; the message names the file and the field."""


class AuthError(DatagraphError):
    """A presented credential is not valid (unknown token, bad JWT, no role for the token)."""


class ServeRefusedError(ConfigError):
    """The server would start in an unsafe configuration (e.g. HTTP without a policy off loopback)."""
