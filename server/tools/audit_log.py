"""The audit_log tool: the governance view of who called what."""

from server.governance.audit_models import AuditQuery
from server.tools.context import ToolContext
from server.tools.schemas import AuditLogInput, AuditLogOutput


def audit_log(ctx: ToolContext, args: AuditLogInput) -> AuditLogOutput:
    page = ctx.audit.query(
        AuditQuery(
            principal=args.principal, tool=args.tool, since=args.since, limit=ctx.cap(args.limit), cursor=args.cursor
        )
    )
    return AuditLogOutput(entries=page.entries, next_cursor=page.next_cursor)
