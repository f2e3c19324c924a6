"""The policy file: validation errors that name the file and field, the role x tool matrix, limits, scopes."""

from collections.abc import Callable
from pathlib import Path

import pytest

from graph_schema.models import Node
from server.errors import LimitExceededError, PermissionDeniedError, PolicyError
from server.governance.policy import load_policy
from server.governance.principal import Principal
from server.tools.names import EndpointName, ToolName
from tests.server.conftest import new_token

ALL = set(ToolName)
READ = {
    ToolName.SEARCH_ASSETS,
    ToolName.GET_ASSET,
    ToolName.RESOLVE_METRIC,
    ToolName.TRACE_LINEAGE,
    ToolName.IMPACT_ANALYSIS,
    ToolName.RECENT_CHANGES,
}
EXPECTED_BUILTIN: dict[str, set[ToolName]] = {
    "local": READ | {ToolName.PROPOSE_CHANGE, ToolName.RECORD_FEEDBACK},
    "analyst": READ | {ToolName.RECORD_FEEDBACK},
    "steward": READ | {ToolName.PROPOSE_CHANGE, ToolName.RECORD_FEEDBACK, ToolName.REVIEW_PROPOSAL},
    "governance": READ | {ToolName.RECORD_FEEDBACK, ToolName.REVIEW_PROPOSAL, ToolName.AUDIT_LOG},
    "lineage_producer": set(),
}


@pytest.mark.parametrize("role", sorted(EXPECTED_BUILTIN))
@pytest.mark.parametrize("tool", sorted(ToolName))
def test_builtin_matrix(role: str, tool: ToolName) -> None:
    policy = load_policy(None)
    decision = policy.check(Principal(name="p", role=role), tool)
    assert decision.allowed == (tool in EXPECTED_BUILTIN[role])
    if not decision.allowed:
        assert decision.message == f"[permission_denied] role '{role}' may not call '{tool}'"


def test_builtin_lineage_endpoint_only_for_producers() -> None:
    policy = load_policy(None)
    allowed = {
        r for r in EXPECTED_BUILTIN if policy.check(Principal(name="p", role=r), EndpointName.INGEST_LINEAGE).allowed
    }
    assert allowed == {"lineage_producer"}


def test_denied_message_is_exact() -> None:
    decision = load_policy(None).check(Principal(name="ann", role="analyst"), ToolName.REVIEW_PROPOSAL)
    assert decision.message == "[permission_denied] role 'analyst' may not call 'review_proposal'"
    with pytest.raises(PermissionDeniedError) as caught:
        decision.raise_if_denied()
    assert str(caught.value) == decision.message


def test_unknown_role_is_denied_everything() -> None:
    policy = load_policy(None)
    assert not any(policy.check(Principal(name="p", role="ghost"), t).allowed for t in ToolName)


GOOD_POLICY = """
roles:
  reader:
    tools: [search_assets, get_asset, trace_lineage]
  local:
    tools: [search_assets]
limits:
  trace_lineage: {max_depth: 3, max_results: 50}
"""


def test_a_file_policy_replaces_the_builtin_roles(write_policy: Callable[[str], Path]) -> None:
    policy = load_policy(write_policy(GOOD_POLICY))
    assert set(policy.spec.roles) == {"reader", "local"}
    assert policy.check(Principal(name="p", role="reader"), ToolName.GET_ASSET).allowed
    assert not policy.check(Principal(name="p", role="analyst"), ToolName.GET_ASSET).allowed


def test_limits_refuse_deeper_or_wider_than_allowed(write_policy: Callable[[str], Path]) -> None:
    policy = load_policy(write_policy(GOOD_POLICY))
    reader = Principal(name="p", role="reader")
    assert policy.check(reader, ToolName.TRACE_LINEAGE, {"depth": 3}).allowed
    deep = policy.check(reader, ToolName.TRACE_LINEAGE, {"depth": 4})
    assert not deep.allowed
    assert deep.message == "[limit_exceeded] depth 4 is above max_depth 3 for 'trace_lineage'; ask for at most 3"
    with pytest.raises(LimitExceededError):
        deep.raise_if_denied()
    assert not policy.check(reader, ToolName.TRACE_LINEAGE, {"limit": 51}).allowed
    # Other tools have no limits configured.
    assert policy.check(reader, ToolName.SEARCH_ASSETS, {"limit": 100}).allowed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("roles:\n  a:\n    tools: [search_assets, drop_tables]\n", "roles.a.tools"),
        ("roles:\n  a:\n    toolz: [search_assets]\n", "roles.a.toolz: Extra inputs are not permitted"),
        ("roles:\n  Bad Name:\n    tools: []\n", "role name 'Bad Name'"),
        (
            "roles:\n  local: {tools: []}\nprincipals:\n  - {name: x, role: ghost, token_sha256: " + "a" * 64 + "}\n",
            "principals[0]: role 'ghost' is not defined",
        ),
        (
            "roles:\n  local: {tools: []}\nprincipals:\n  - {name: x, role: local, token_sha256: hunter2}\n",
            "principals[0].token_sha256: must be the 64-character hex sha256",
        ),
        ("roles:\n  a: {tools: []}\n", "local.default_role: role 'local' is not defined"),
        ("roles:\n  local: {tools: []}\nlimits:\n  trace_lineage: {max_depth: 0}\n", "limits.trace_lineage.max_depth"),
        (
            "roles:\n  local: {tools: []}\noauth:\n  jwks_url: https://idp/keys\n  issuer: i\n  audience: a\n"
            "  algorithms: [HS256]\n",
            "oauth.algorithms",
        ),
        ("roles:\n  local: {tools: []}\nversion: 2\n", "version"),
        ("- just\n- a list\n", "must be a mapping"),
        ("roles: [unclosed\n", "line 2: not valid YAML"),
    ],
)
def test_invalid_policy_names_file_and_field(write_policy: Callable[[str], Path], text: str, expected: str) -> None:
    path = write_policy(text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_duplicate_token_hash_is_refused(write_policy: Callable[[str], Path]) -> None:
    _, digest = new_token()
    text = (
        "roles:\n  local: {tools: []}\nprincipals:\n"
        f"  - {{name: a, role: local, token_sha256: {digest}}}\n"
        f"  - {{name: b, role: local, token_sha256: {digest}}}\n"
    )
    with pytest.raises(PolicyError, match=r"principals\[1\]: the same token hash"):
        load_policy(write_policy(text))


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "absent.yaml")


def test_local_principals_get_their_role(write_policy: Callable[[str], Path]) -> None:
    text = "roles:\n  local: {tools: [search_assets]}\n  gov: {tools: [audit_log]}\nlocal:\n  principals: {ada: gov}\n"
    policy = load_policy(write_policy(text))
    assert policy.local_principal("ada").role == "gov"
    assert policy.local_principal("bob").role == "local"


def dataset(name: str, qualified: str, *, kind: str = "model", tags: tuple[str, ...] = (), **props: str) -> Node:
    return Node(
        id=f"dataset:duckdb://shop/{qualified}",
        kind=kind,
        name=name,
        qualified_name=qualified,
        tags=tags,
        props=dict(props),
    )


SCOPED = """
roles:
  local: {tools: [search_assets]}
  finance:
    tools: [search_assets]
    scope:
      include: [{domain: finance}, {tag: public}]
      exclude: [{schema: staging}, {name: "*_raw"}]
"""


def test_scopes_include_and_exclude(write_policy: Callable[[str], Path]) -> None:
    policy = load_policy(write_policy(SCOPED))
    fin = Principal(name="f", role="finance")
    local = Principal(name="l", role="local")
    revenue = dataset("revenue", "shop.marts.revenue", domain="finance")
    grouped = dataset("budget", "shop.marts.budget", group="Finance")
    public = dataset("calendar", "shop.marts.calendar", tags=("public",))
    hr = dataset("salaries", "shop.marts.salaries", domain="hr")
    staged = dataset("stg_revenue", "shop.staging.stg_revenue", domain="finance")
    raw = dataset("revenue_raw", "shop.marts.revenue_raw", domain="finance")

    assert [policy.visible(fin, n) for n in (revenue, grouped, public, hr, staged, raw)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert all(policy.visible(local, n) for n in (revenue, hr, staged, raw))


def test_scope_schema_of_a_column_is_its_tables(write_policy: Callable[[str], Path]) -> None:
    policy = load_policy(write_policy(SCOPED))
    column = Node(
        id="column:duckdb://shop/shop.staging.stg_revenue#amount",
        kind="column",
        name="amount",
        qualified_name="shop.staging.stg_revenue.amount",
        props={"domain": "finance"},
    )
    assert not policy.visible(Principal(name="f", role="finance"), column)


def test_the_documented_example_is_a_valid_policy(write_policy: Callable[[str], Path]) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    example = doc.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    policy = load_policy(write_policy(example))
    assert policy.check(Principal(name="a", role="analyst"), ToolName.SEARCH_ASSETS).allowed
    assert policy.local_principal("ada").role == "steward"
    assert policy.spec.oauth is not None and policy.spec.oauth.role_map["finance"] == "analyst"
