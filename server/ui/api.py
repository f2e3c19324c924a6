"""The JSON the governance page reads and writes under /ui/api/, every call governed (server/ui/governed.py).

| route | needs | does |
|---|---|---|
| GET /ui/api/session | a valid credential | who the token is and which sections the role may use |
| GET /ui/api/audit | audit_log | entries, newest first, by caller, tool, outcome and time range |
| GET /ui/api/audit/verify | audit_log | the hash chain's check, as `datagraph audit verify` makes it |
| GET /ui/api/proposals | review_proposal | the proposal queue with diffs, validation and impact |
| GET /ui/api/proposals/{id} | review_proposal | one proposal |
| POST /ui/api/proposals/{id}/review | review_proposal | the review_proposal tool: `{decision, comment}` |
| GET /ui/api/lineage | trace_lineage | the trace_lineage tool: `ref`, `direction`, `depth`, `column` |
"""

import json
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.errors import InvalidArgumentsError, NotFoundError
from server.http_body import read_body
from server.governance.audit_models import AuditPage, AuditQuery, VerifyReport
from server.proposals.review import load, present
from server.proposals.store import proposal_store
from server.tools.context import ToolContext
from server.tools.names import ToolName
from server.tools.schemas.changes import Proposal
from server.ui.governed import UiGovernance, error_response
from server.ui.models import AuditFilter, NoArguments, ProposalFilter, Session

API_PREFIX = "/ui/api"
MAX_BODY_BYTES = 64 * 1024
# The permissions behind the page's sections, reported by /session so the page shows only what works.
SECTION_PERMISSIONS = (ToolName.REVIEW_PROPOSAL, ToolName.AUDIT_LOG, ToolName.TRACE_LINEAGE)
# Arguments of trace_lineage the page passes on; anything else in the query string is not the tool's.
LINEAGE_ARGUMENTS = ("ref", "column", "direction", "depth")


class ProposalList(BaseModel):
    proposals: list[Proposal]


def session(ctx: ToolContext, _: NoArguments) -> Session:
    may = {p.value: ctx.policy.check(ctx.principal, p).allowed for p in SECTION_PERMISSIONS}
    return Session(principal=ctx.principal.name, role=ctx.principal.role, auth=ctx.principal.auth, may=may)


def audit_entries(ctx: ToolContext, args: AuditFilter) -> AuditPage:
    query = AuditQuery(
        principal=args.principal,
        tool=args.tool,
        outcome=args.outcome,
        since=args.since,
        until=args.until,
        limit=ctx.cap(args.limit),
        cursor=args.cursor,
    )
    return ctx.audit.query(query)


def audit_verify(ctx: ToolContext, _: NoArguments) -> VerifyReport:
    return ctx.audit.verify()


def list_proposals(ctx: ToolContext, args: ProposalFilter) -> ProposalList:
    status = None if args.status == "all" else args.status
    with proposal_store(ctx.settings) as store:
        found = store.list(status, limit=args.limit)
    return ProposalList(proposals=[present(p, ctx.policy) for p in found if _may_see(ctx, p)])


def show_proposal(ctx: ToolContext, proposal_id: str) -> Proposal:
    with proposal_store(ctx.settings) as store:
        proposal = load(store, proposal_id)
    if not _may_see(ctx, proposal):
        raise NotFoundError(f"no proposal {proposal_id!r} you may see")
    return present(proposal, ctx.policy)


def _may_see(ctx: ToolContext, proposal: Proposal) -> bool:
    """A reviewer whose role sees only part of the graph sees only proposals for models inside it."""
    if ctx.policy.sees_everything(ctx.principal):
        return True
    if ctx.store is None:
        return False
    node = ctx.store.get(proposal.target)
    return node is not None and ctx.visible(node)


def api_routes(ui: UiGovernance) -> list[Route]:
    async def get_session(request: Request) -> Response:
        return await ui.read(request, "ui_session", None, NoArguments, session)

    async def get_audit(request: Request) -> Response:
        return await ui.read(request, "ui_audit_log", ToolName.AUDIT_LOG, AuditFilter, audit_entries)

    async def get_verify(request: Request) -> Response:
        return await ui.read(request, "ui_audit_verify", ToolName.AUDIT_LOG, NoArguments, audit_verify)

    async def get_proposals(request: Request) -> Response:
        return await ui.read(request, "ui_proposals", ToolName.REVIEW_PROPOSAL, ProposalFilter, list_proposals)

    async def get_proposal(request: Request) -> Response:
        proposal_id = request.path_params["proposal_id"]

        def show(ctx: ToolContext, _: NoArguments) -> Proposal:
            return show_proposal(ctx, proposal_id)

        return await ui.read(request, "ui_proposal", ToolName.REVIEW_PROPOSAL, NoArguments, show)

    async def post_review(request: Request) -> Response:
        body = await _json_object(request)
        if isinstance(body, JSONResponse):
            return body
        arguments = {**body, "proposal_id": request.path_params["proposal_id"]}
        return await ui.tool(request, ToolName.REVIEW_PROPOSAL, arguments)

    async def get_lineage(request: Request) -> Response:
        arguments = {k: v for k, v in request.query_params.items() if k in LINEAGE_ARGUMENTS and v != ""}
        return await ui.tool(request, ToolName.TRACE_LINEAGE, arguments)

    return [
        Route(f"{API_PREFIX}/session", get_session, methods=["GET"]),
        Route(f"{API_PREFIX}/audit", get_audit, methods=["GET"]),
        Route(f"{API_PREFIX}/audit/verify", get_verify, methods=["GET"]),
        Route(f"{API_PREFIX}/proposals", get_proposals, methods=["GET"]),
        Route(f"{API_PREFIX}/proposals/{{proposal_id}}", get_proposal, methods=["GET"]),
        Route(f"{API_PREFIX}/proposals/{{proposal_id}}/review", post_review, methods=["POST"]),
        Route(f"{API_PREFIX}/lineage", get_lineage, methods=["GET"]),
    ]


async def _json_object(request: Request) -> dict[str, Any] | JSONResponse:
    """The request's JSON object body; an error response for a body too large or not a JSON object.

    Only the body's shape is judged here, like a malformed request it is refused before any call is made:
    its fields are the tool's arguments, validated (and audited) by the tool call itself."""
    try:
        raw = await read_body(request, MAX_BODY_BYTES)
    except InvalidArgumentsError as exc:
        return error_response(str(exc))
    try:
        body = json.loads(raw) if raw else {}
    except (ValueError, RecursionError):
        return error_response("[invalid_arguments] the request body is not JSON; send {decision, comment}")
    if not isinstance(body, dict):
        return error_response("[invalid_arguments] the request body must be a JSON object {decision, comment}")
    return body
