"""HTTP refuses unsafe configurations before it serves anything."""

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.routing import Route

from server.errors import ServeRefusedError
from server.governance.policy import load_policy
from server.runtime import Runtime
from server.governance.principal import local_principal_name
from server.transport import build_http_app, is_loopback
from tests.server.conftest import new_token


def test_http_without_a_policy_is_refused(make_runtime: Callable[..., Runtime]) -> None:
    with pytest.raises(ServeRefusedError, match="HTTP needs a policy file"):
        build_http_app(make_runtime(), host="127.0.0.1")


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "example.com", "::"])
def test_no_auth_off_loopback_is_refused(make_runtime: Callable[..., Runtime], host: str) -> None:
    with pytest.raises(ServeRefusedError, match="only allowed on a loopback host"):
        build_http_app(make_runtime(), host=host, no_auth=True)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_no_auth_on_loopback_is_allowed(make_runtime: Callable[..., Runtime], host: str) -> None:
    assert is_loopback(host)
    build_http_app(make_runtime(), host=host, no_auth=True)


def test_a_policy_nobody_can_authenticate_against_is_refused(
    make_runtime: Callable[..., Runtime], write_policy: Callable[[str], Path]
) -> None:
    path = write_policy("roles:\n  local: {tools: [search_assets]}\n")
    with pytest.raises(ServeRefusedError, match=f"{path}: no principals and no oauth"):
        build_http_app(make_runtime(load_policy(path)), host="0.0.0.0")


def test_a_policy_with_principals_serves_on_any_host(
    make_runtime: Callable[..., Runtime], write_policy: Callable[[str], Path]
) -> None:
    _, digest = new_token()
    path = write_policy(
        f"roles:\n  local: {{tools: []}}\nprincipals:\n  - {{name: a, role: local, token_sha256: {digest}}}\n"
    )
    app = build_http_app(make_runtime(load_policy(path)), host="0.0.0.0")
    assert any(isinstance(r, Route) and r.path == "/mcp" for r in app.routes)


def test_local_principal_name_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAGRAPH_PRINCIPAL", "from-env")
    assert local_principal_name("explicit") == "explicit"
    assert local_principal_name(None) == "from-env"
    monkeypatch.delenv("DATAGRAPH_PRINCIPAL")
    assert local_principal_name(None)
