"""The policy file's shape. Every model forbids unknown keys so a misspelt setting is an error, not a no-op."""

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from server.tools.names import Permission, ToolName, parse_permission

_ROLE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# Symmetric algorithms make no sense with a JWKS of public keys, and "none" is never acceptable.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScopeRule(_Strict):
    """Matches an asset when every field given matches (globs, case-insensitive)."""

    kind: str | None = None
    domain: str | None = None
    tag: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    name: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> "ScopeRule":
        if not any((self.kind, self.domain, self.tag, self.schema_, self.name)):
            raise ValueError("a scope rule needs at least one of kind, domain, tag, schema, name")
        return self


class AssetScope(_Strict):
    """Visible = matches any include rule (or there are none) and no exclude rule."""

    include: tuple[ScopeRule, ...] = ()
    exclude: tuple[ScopeRule, ...] = ()


class RoleSpec(_Strict):
    description: str = ""
    tools: tuple[Permission, ...] = Field(description="Tools, endpoints and capabilities this role may call.")
    scope: AssetScope = AssetScope()
    pii_clearance: bool = False
    requests_per_minute: int | None = Field(default=None, ge=1, description="Overrides rate_limit for this role.")

    @field_validator("tools", mode="before")
    @classmethod
    def _known_tools(cls, value: object) -> object:
        if not isinstance(value, list | tuple):
            return value
        return tuple(parse_permission(v) if isinstance(v, str) else v for v in value)


class ToolLimits(_Strict):
    max_depth: int | None = Field(default=None, ge=1, description="Largest `depth` a caller may ask for.")
    max_results: int | None = Field(default=None, ge=1, description="Largest `limit` a caller may ask for.")


class RateLimitSpec(_Strict):
    requests_per_minute: int = Field(default=120, ge=1)
    burst: int | None = Field(default=None, ge=1, description="Calls allowed at once; requests_per_minute if unset.")


class PrincipalSpec(_Strict):
    name: str = Field(min_length=1, max_length=256)
    role: str
    token_sha256: str = Field(description="sha256 (hex) of the bearer token; the token itself is never stored.")
    description: str = ""

    @field_validator("token_sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        folded = value.strip().lower()
        if not _SHA256_RE.match(folded):
            raise ValueError("must be the 64-character hex sha256 of the token, not the token itself")
        return folded


class OAuthSpec(_Strict):
    jwks_url: HttpUrl
    issuer: str = Field(min_length=1)
    audience: str | tuple[str, ...]
    algorithms: tuple[str, ...] = ("RS256",)
    principal_claim: str = "sub"
    role_claim: str = "roles"
    role_map: dict[str, str] = Field(
        default_factory=dict, description="Claim value -> role; the first entry the token carries wins."
    )
    default_role: str | None = Field(default=None, description="Role for a valid token with no mapped claim value.")
    leeway_seconds: int = Field(default=30, ge=0, le=600)
    jwks_cache_seconds: int = Field(default=300, ge=10)
    resource_url: HttpUrl | None = Field(
        default=None, description="This server's public URL, advertised as OAuth protected-resource metadata."
    )

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [a for a in value if a not in ASYMMETRIC_ALGORITHMS]
        if bad or not value:
            raise ValueError(f"unsupported algorithms {bad}; use some of {sorted(ASYMMETRIC_ALGORITHMS)}")
        return value


class LocalAccessSpec(_Strict):
    """Who a stdio (or --no-auth loopback HTTP) caller is: no credential, so the name is trusted as given."""

    default_role: str = "local"
    principals: dict[str, str] = Field(default_factory=dict, description="Principal name -> role.")


class PiiSpec(_Strict):
    tag: str = "pii"
    mask_description: bool = True
    masked_props: tuple[str, ...] = (
        "sample_values",
        "examples",
        "top_values",
        "distinct_values",
        "histogram",
        "min",
        "max",
        "min_value",
        "max_value",
    )


class ProposalRules(_Strict):
    """How change proposals are approved, beyond the review_proposal permission and the proposer never
    reviewing their own change."""

    require_owner_approval: bool = Field(
        default=False,
        description=(
            "A proposal is approved only once, for each set of owners of an asset it breaks, one of those owners "
            "has approved it (principals match owners by name, ignoring case). Broken assets without owners "
            "need no one."
        ),
    )


class PolicyFile(_Strict):
    version: Literal[1] = 1
    roles: dict[str, RoleSpec]
    limits: dict[ToolName, ToolLimits] = Field(default_factory=dict)
    rate_limit: RateLimitSpec = RateLimitSpec()
    principals: tuple[PrincipalSpec, ...] = ()
    oauth: OAuthSpec | None = None
    local: LocalAccessSpec = LocalAccessSpec()
    pii: PiiSpec = PiiSpec()
    proposals: ProposalRules = ProposalRules()

    @field_validator("roles")
    @classmethod
    def _role_names(cls, value: dict[str, RoleSpec]) -> dict[str, RoleSpec]:
        for name in value:
            if not _ROLE_RE.match(name):
                raise ValueError(f"role name {name!r} must be lowercase letters, digits, '_' or '-'")
        return value

    @model_validator(mode="after")
    def _references(self) -> "PolicyFile":
        def known(role: str, where: str) -> None:
            if role not in self.roles:
                raise ValueError(f"{where}: role {role!r} is not defined in roles (defined: {sorted(self.roles)})")

        names: set[str] = set()
        hashes: set[str] = set()
        for i, p in enumerate(self.principals):
            known(p.role, f"principals[{i}]")
            if p.name in names:
                raise ValueError(f"principals[{i}]: principal {p.name!r} is listed twice")
            if p.token_sha256 in hashes:
                raise ValueError(f"principals[{i}]: the same token hash is given to two principals")
            names.add(p.name)
            hashes.add(p.token_sha256)
        known(self.local.default_role, "local.default_role")
        for name, role in self.local.principals.items():
            known(role, f"local.principals.{name}")
        if self.oauth is not None:
            for claim_value, role in self.oauth.role_map.items():
                known(role, f"oauth.role_map.{claim_value}")
            if self.oauth.default_role is not None:
                known(self.oauth.default_role, "oauth.default_role")
        return self
