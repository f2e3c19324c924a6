"""Everything a served tool call needs, built once per server process."""

from dataclasses import dataclass, field

from opentelemetry.trace import Tracer

from graph_schema.config import Settings
from graph_schema.store import GraphStore
from server.governance.audit import AuditLog, open_audit_log
from server.governance.policy import Policy, load_policy
from server.governance.ratelimit import RateLimiter
from server.search.service import SearchService
from server.telemetry import default_tracer
from server.tools.asset_index import AssetIndexCache


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    policy: Policy
    audit: AuditLog
    limiter: RateLimiter
    store: GraphStore | None = None
    tracer: Tracer = field(default_factory=default_tracer)
    asset_indexes: AssetIndexCache = field(default_factory=AssetIndexCache)
    search: SearchService | None = None  # hybrid ranking, metric resolution and feedback; built lazily

    def close(self) -> None:
        """Closes the audit log and the search state; the store belongs to whoever opened it."""
        if self.search is not None:
            self.search.close()
        self.audit.close()


def build_runtime(
    settings: Settings, store: GraphStore | None = None, policy: Policy | None = None, tracer: Tracer | None = None
) -> Runtime:
    """The policy from DATAGRAPH_POLICY (built-in default if unset) and the audit log from settings."""
    chosen = policy if policy is not None else load_policy(settings.policy)
    return Runtime(
        settings=settings,
        policy=chosen,
        audit=open_audit_log(settings),
        limiter=RateLimiter(chosen),
        store=store,
        tracer=tracer if tracer is not None else default_tracer(),
        search=SearchService(settings),
    )
