"""The bridge between the policy's authentication and the MCP SDK's bearer-auth middleware."""

import logging

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl
from starlette.requests import HTTPConnection

from server.errors import AuthError, UnauthenticatedError
from server.governance.auth import Authenticator
from server.governance.policy import Policy
from server.governance.principal import Principal

logger = logging.getLogger(__name__)

ROLE_CLAIM = "datagraph_role"
AUTH_CLAIM = "datagraph_auth"


class PolicyTokenVerifier:
    """The SDK's TokenVerifier: a credential the policy accepts becomes an AccessToken carrying the principal."""

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            principal = await self._authenticator.authenticate(token)
        except AuthError as exc:
            logger.info("credential refused: %s", exc)
            return None
        return AccessToken(
            token=token,
            client_id=principal.name,
            subject=principal.name,
            scopes=[],
            claims={ROLE_CLAIM: principal.role, AUTH_CLAIM: principal.auth},
        )


def principal_from_access_token(token: AccessToken) -> Principal:
    claims = token.claims or {}
    role = claims.get(ROLE_CLAIM)
    auth = claims.get(AUTH_CLAIM)
    if not isinstance(role, str) or auth not in ("bearer", "jwt"):
        raise UnauthenticatedError("the request's credential carries no datagraph role")
    return Principal(name=token.client_id, role=role, auth=auth)


def current_http_principal() -> Principal:
    """The principal of the HTTP request being served (the SDK keeps its token in a context variable)."""
    token = get_access_token()
    if token is None:
        raise UnauthenticatedError("no valid bearer token on this request")
    return principal_from_access_token(token)


def request_principal(connection: HTTPConnection) -> Principal:
    """The principal of a plain HTTP route, from what the authentication middleware put on the request."""
    user = connection.scope.get("user")
    if not isinstance(user, AuthenticatedUser):
        raise UnauthenticatedError("no valid bearer token on this request")
    return principal_from_access_token(user.access_token)


def auth_settings(policy: Policy) -> AuthSettings:
    oauth = policy.spec.oauth
    resource = oauth.resource_url if oauth is not None else None
    # issuer_url is only published (as protected-resource metadata) when resource_url is set; with
    # bearer tokens alone the SDK requires a value but never shows it.
    issuer = oauth.issuer if oauth is not None else "http://127.0.0.1"
    return AuthSettings(
        issuer_url=AnyHttpUrl(issuer),
        resource_server_url=resource,
        # The audience is checked by our own JWT validation, so the SDK need not compare resources.
        validate_token_resource=False if resource is not None else None,
    )
