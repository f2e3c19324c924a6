"""The policy: who may call which tool, over which assets, how often, and with what limits.

Loaded from a YAML file (DATAGRAPH_POLICY) or the built-in default. `check()` is the one place a
call is judged; the server audits whatever it answers.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from graph_schema.models import Node
from server.errors import LimitExceededError, PermissionDeniedError, PolicyError
from server.governance.masking import mask_node
from server.governance.policy_defaults import builtin_policy
from server.governance.policy_models import PolicyFile, PrincipalSpec, RoleSpec, ToolLimits
from server.governance.principal import Principal
from server.governance.scopes import scope_allows
from server.tools.names import Permission, ToolName

_MAX_REPORTED = 3


class AccessDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    allowed: bool
    code: str | None = None
    reason: str | None = None

    @property
    def message(self) -> str | None:
        """What a denied caller reads, e.g. `[permission_denied] role 'analyst' may not call 'review_proposal'`."""
        return None if self.allowed else f"[{self.code}] {self.reason}"

    def raise_if_denied(self) -> None:
        if self.allowed:
            return
        if self.code == LimitExceededError.code:
            raise LimitExceededError(self.reason or "")
        raise PermissionDeniedError(self.reason or "")


ALLOWED = AccessDecision(allowed=True)


class Policy:
    def __init__(self, spec: PolicyFile, source: Path | None = None) -> None:
        self.spec = spec
        self.source = source

    @property
    def is_builtin(self) -> bool:
        return self.source is None

    def role(self, name: str) -> RoleSpec | None:
        return self.spec.roles.get(name)

    def limits(self, tool: ToolName) -> ToolLimits:
        return self.spec.limits.get(tool, ToolLimits())

    def check(self, principal: Principal, tool: Permission, args: Mapping[str, Any] | None = None) -> AccessDecision:
        """May `principal` call `tool` (with `args`, when given, checked against the tool's limits)?"""
        role = self.role(principal.role)
        if role is None or tool not in role.tools:
            return AccessDecision(
                allowed=False,
                code=PermissionDeniedError.code,
                reason=f"role '{principal.role}' may not call '{tool}'",
            )
        if args is not None and isinstance(tool, ToolName):
            return self._check_limits(tool, args)
        return ALLOWED

    def _check_limits(self, tool: ToolName, args: Mapping[str, Any]) -> AccessDecision:
        limits = self.limits(tool)
        for arg, limit, label in (
            ("depth", limits.max_depth, "max_depth"),
            ("limit", limits.max_results, "max_results"),
        ):
            value = args.get(arg)
            if limit is not None and isinstance(value, int) and value > limit:
                return AccessDecision(
                    allowed=False,
                    code=LimitExceededError.code,
                    reason=f"{arg} {value} is above {label} {limit} for '{tool}'; ask for at most {limit}",
                )
        return ALLOWED

    def visible(self, principal: Principal, node: Node) -> bool:
        role = self.role(principal.role)
        return role is not None and scope_allows(role.scope, node)

    def sees_everything(self, principal: Principal) -> bool:
        """Whether the principal's role has no asset scope rules (every asset is visible to it)."""
        role = self.role(principal.role)
        return role is not None and not role.scope.include and not role.scope.exclude

    def present(self, principal: Principal, node: Node) -> Node:
        """`node` as `principal` may see it (PII masked without clearance)."""
        role = self.role(principal.role)
        if role is not None and role.pii_clearance:
            return node
        return mask_node(node, self.spec.pii)

    def has_pii_clearance(self, principal: Principal) -> bool:
        role = self.role(principal.role)
        return role is not None and role.pii_clearance

    def rate_limit(self, role_name: str) -> tuple[int, int]:
        """(rate, burst) for a role."""
        role = self.role(role_name)
        rate = (role.requests_per_minute if role else None) or self.spec.rate_limit.requests_per_minute
        return rate, self.spec.rate_limit.burst or rate

    def local_principal(self, name: str) -> Principal:
        """The principal of a credential-less local caller (stdio, or --no-auth loopback HTTP)."""
        role = self.spec.local.principals.get(name, self.spec.local.default_role)
        return Principal(name=name, role=role, auth="local")

    @property
    def token_principals(self) -> tuple[PrincipalSpec, ...]:
        return self.spec.principals

    @property
    def can_authenticate(self) -> bool:
        return bool(self.spec.principals) or self.spec.oauth is not None


def load_policy(path: Path | None) -> Policy:
    """The policy in `path`, or the built-in default when `path` is None."""
    if path is None:
        return Policy(builtin_policy())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc.strerror or exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark is not None else ""
        raise PolicyError(f"{path}: {where}not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from None
    return parse_policy(raw, path)


def parse_policy(raw: object, path: Path) -> Policy:
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: the policy must be a mapping with at least 'roles'")
    try:
        return Policy(PolicyFile.model_validate(raw), source=path)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:_MAX_REPORTED]:
            field = _field_path(error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{field}: {message}" if field else message)
        raise PolicyError(f"{path}: {'; '.join(problems)}") from None


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad mapping key; the key itself is already in the path
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
