"""The policy in force when no policy file is given: one machine, one user, no bearer tokens."""

from server.governance.policy_models import PolicyFile, RoleSpec
from server.tools.names import READ_TOOLS, Capability, EndpointName, ToolName

# Resources show what the read tools show; prompts only say which tools to call.
_READ = (*sorted(READ_TOOLS), Capability.READ_RESOURCES, Capability.USE_PROMPTS)

BUILTIN_ROLES: dict[str, RoleSpec] = {
    "local": RoleSpec(
        description="Whoever runs the server on their own machine: reads, proposes and gives feedback.",
        tools=(*_READ, ToolName.PROPOSE_CHANGE, ToolName.RECORD_FEEDBACK),
    ),
    "analyst": RoleSpec(
        description="Asks questions of the graph and gives feedback on answers.",
        tools=(*_READ, ToolName.RECORD_FEEDBACK),
    ),
    "steward": RoleSpec(
        description="Curates the graph: proposes changes and reviews proposals and feedback.",
        tools=(*_READ, ToolName.PROPOSE_CHANGE, ToolName.RECORD_FEEDBACK, ToolName.REVIEW_PROPOSAL),
        pii_clearance=True,
    ),
    "governance": RoleSpec(
        description="Oversees use: reads the audit log and reviews proposals.",
        tools=(*_READ, ToolName.RECORD_FEEDBACK, ToolName.REVIEW_PROPOSAL, ToolName.AUDIT_LOG),
        pii_clearance=True,
    ),
    "lineage_producer": RoleSpec(
        description="A pipeline that posts OpenLineage events; nothing else.",
        tools=(EndpointName.INGEST_LINEAGE,),
    ),
}


def builtin_policy() -> PolicyFile:
    return PolicyFile(roles=BUILTIN_ROLES)
