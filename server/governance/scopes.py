"""Which assets a role may see: include/exclude rules over kind, domain, tag, schema and name."""

from fnmatch import fnmatchcase

from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from server.governance.policy_models import AssetScope, ScopeRule


# The props a scope rule reads; everything else in props can be dropped from a node kept for scope checks.
DOMAIN_PROPS: tuple[str, ...] = ("domain", "group")


def node_domain(node: Node) -> str | None:
    """The business domain: props.domain, else the group the asset belongs to."""
    for key in DOMAIN_PROPS:
        value = node.props.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def node_schema(node: Node) -> str | None:
    """The part of the qualified name before the table (`db.schema` of `db.schema.table`)."""
    parts = [p for p in node.qualified_name.split(".") if p]
    if node.kind is NodeKind.COLUMN:
        parts = parts[:-1]
    if len(parts) < 2:
        return None
    return ".".join(parts[:-1])


def _glob(pattern: str, value: str | None) -> bool:
    return value is not None and fnmatchcase(value.lower(), pattern.lower())


def _schema_matches(pattern: str, schema: str | None) -> bool:
    # `staging` matches `analytics.staging` as well as a bare `staging`: people name schemas without the database.
    if schema is None:
        return False
    return _glob(pattern, schema) or _glob(pattern, schema.rsplit(".", 1)[-1])


def rule_matches(rule: ScopeRule, node: Node) -> bool:
    checks = (
        rule.kind is None or _glob(rule.kind, node.kind.value),
        rule.domain is None or _glob(rule.domain, node_domain(node)),
        rule.tag is None or any(_glob(rule.tag, t) for t in node.tags),
        rule.schema_ is None or _schema_matches(rule.schema_, node_schema(node)),
        rule.name is None or _glob(rule.name, node.name) or _glob(rule.name, node.qualified_name),
    )
    return all(checks)


def scope_allows(scope: AssetScope, node: Node) -> bool:
    if scope.include and not any(rule_matches(r, node) for r in scope.include):
        return False
    return not any(rule_matches(r, node) for r in scope.exclude)
