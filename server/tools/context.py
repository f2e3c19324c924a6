"""What a tool handler gets: who is asking, what they may see, and the graph to read."""

from collections.abc import Iterable
from dataclasses import dataclass

from graph_schema.config import Settings
from graph_schema.models import Node
from graph_schema.store import GraphStore
from server.errors import NotImplementedToolError
from server.governance.audit import AuditLog
from server.governance.masking import is_pii, mask_column
from server.governance.policy import Policy
from server.governance.policy_models import ToolLimits
from server.governance.principal import Principal
from server.search.service import SearchService
from server.tools.asset_index import AssetIndex, AssetIndexCache
from server.tools.schemas.common import ColumnInfo


@dataclass(frozen=True)
class ToolContext:
    principal: Principal
    settings: Settings
    policy: Policy
    limits: ToolLimits
    audit: AuditLog
    store: GraphStore | None = None
    asset_indexes: AssetIndexCache | None = None
    search: SearchService | None = None  # hybrid ranking, metric resolution and feedback; built lazily

    @property
    def graph(self) -> GraphStore:
        if self.store is None:
            raise NotImplementedToolError("no graph is open on this server")
        return self.store

    def asset_index(self) -> AssetIndex:
        """Names and descriptions of every asset of the current snapshot (not scope-filtered: check visible())."""
        if self.asset_indexes is None:
            return AssetIndex(None, self.graph.nodes())
        return self.asset_indexes.get(self.graph)

    def visible(self, node: Node) -> bool:
        """Whether the caller's role may see `node` (its asset scope)."""
        return self.policy.visible(self.principal, node)

    def present(self, node: Node) -> Node:
        """`node` as the caller may see it: PII details masked without clearance."""
        return self.policy.present(self.principal, node)

    def visible_nodes(self, nodes: Iterable[Node]) -> list[Node]:
        """The nodes the caller may see, masked for them, in the given order."""
        return [self.present(n) for n in nodes if self.visible(n)]

    def may_read_description(self, node: Node) -> bool:
        """False when the caller would see `node`'s description masked, so it must not be searched either."""
        pii = self.policy.spec.pii
        masked = pii.mask_description and is_pii(node.tags, pii)
        return not masked or self.policy.has_pii_clearance(self.principal)

    def present_column(self, column: ColumnInfo) -> ColumnInfo:
        if self.policy.has_pii_clearance(self.principal):
            return column
        return mask_column(column, self.policy.spec.pii)

    def cap(self, requested: int) -> int:
        """`requested` bounded by the tool's max_results, for handlers that collect results."""
        return min(requested, self.limits.max_results) if self.limits.max_results else requested
