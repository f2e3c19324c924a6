"""Everything a served tool call needs, built once per server process."""

from dataclasses import dataclass

from graph_schema.config import Settings
from graph_schema.store import GraphStore
from server.governance.audit import AuditLog, open_audit_log
from server.governance.policy import Policy, load_policy
from server.governance.ratelimit import RateLimiter


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    policy: Policy
    audit: AuditLog
    limiter: RateLimiter
    store: GraphStore | None = None

    def close(self) -> None:
        self.audit.close()


def build_runtime(settings: Settings, store: GraphStore | None = None, policy: Policy | None = None) -> Runtime:
    """The policy from DATAGRAPH_POLICY (built-in default if unset) and the audit log from settings."""
    chosen = policy if policy is not None else load_policy(settings.policy)
    return Runtime(
        settings=settings, policy=chosen, audit=open_audit_log(settings), limiter=RateLimiter(chosen), store=store
    )
