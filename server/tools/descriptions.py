"""What each tool answers, when to call it and an example: the text an agent reads to choose a tool."""

from server.tools.names import ToolName

DESCRIPTIONS: dict[ToolName, str] = {
    ToolName.SEARCH_ASSETS: (
        "Find data assets (tables, dbt models, columns, metrics, dashboards, ...) by name, business term or "
        "description. Call it first when the user mentions data you have no id for; then pass a result's id "
        "as `ref` to get_asset, trace_lineage or impact_analysis. Results come in pages: pass `next_cursor` "
        "back as `cursor` for more.\n"
        'Example: {"query": "customer orders", "kinds": ["model", "table"], "limit": 5}'
    ),
    ToolName.GET_ASSET: (
        "Everything known about one asset: description, owners, tags, columns with types, direct upstream and "
        "downstream assets, data tests, where the metadata came from and the SQL that builds it. Call it to "
        "understand a table or model before using or changing it.\n"
        'Example: {"ref": "main.orders"}'
    ),
    ToolName.RESOLVE_METRIC: (
        "Map a business question to the governed metric that answers it (definition, expression, filters, "
        "time grains, dimensions, source models, owners, certification). Call it before writing SQL for a KPI so "
        "the answer uses the official definition; on status 'ambiguous' ask the user to choose among candidates.\n"
        'Example: {"question": "what was net revenue last quarter?"}'
    ),
    ToolName.TRACE_LINEAGE: (
        "Where an asset's or a column's data comes from (upstream) or where it goes (downstream), hop by hop, "
        "with column transformations. Call it to explain how a number is produced or to find the origin of a "
        "column.\n"
        'Example: {"ref": "main.orders", "column": "amount", "direction": "upstream", "depth": 3}'
    ),
    ToolName.IMPACT_ANALYSIS: (
        "What breaks or is at risk downstream if an asset or column changes (drop, rename, retype, logic "
        "change): impacted models, dashboards and metrics with severity and path, owners to notify and tests "
        "that guard them. Call it before proposing or making any schema or logic change. `impacted` comes in "
        "pages (the summary counts all): pass `next_cursor` back as `cursor` for more.\n"
        'Example: {"ref": "main.orders", "change": {"type": "drop_column", "column": "status"}}'
    ),
    ToolName.PROPOSE_CHANGE: (
        "Submit new SQL for a model as a change proposal for human review; nothing is applied. Returns the "
        "diff, validation (parsing, added/removed/retyped columns, contract violations), downstream impact and "
        "suggested tests. Call it instead of telling the user to edit the model by hand.\n"
        'Example: {"ref": "main.orders", "new_sql": "select ...", "title": "Drop unused status column", '
        '"rationale": "status is always null since 2023"}'
    ),
    ToolName.REVIEW_PROPOSAL: (
        "Approve or reject a pending change proposal, with a comment. Reviewers only; a proposer cannot "
        "approve their own proposal.\n"
        'Example: {"proposal_id": "prop-42", "decision": "approve", "comment": "impact checked, owners told"}'
    ),
    ToolName.RECENT_CHANGES: (
        "What changed recently in an asset and, with scope 'upstream', in everything it reads from (new or "
        "removed columns, changed SQL, type changes). Call it when a number or a pipeline suddenly looks wrong. "
        "Newest first, in pages: pass `next_cursor` back as `cursor` for more.\n"
        'Example: {"ref": "main.orders", "scope": "upstream", "since": "2024-06-01"}'
    ),
    ToolName.AUDIT_LOG: (
        "Who called which tool, when, with which arguments and outcome (governance roles only). Newest first; "
        "page with `cursor`.\n"
        'Example: {"principal": "alice", "since": "2024-06-01T00:00:00Z", "limit": 20}'
    ),
    ToolName.RECORD_FEEDBACK: (
        "Record what you learned from the user so future answers improve: the right asset for a question, a "
        "synonym, an asset that should be deprecated, or a note. Feedback waits for a steward's review.\n"
        'Example: {"kind": "synonym", "target": "metric:revenue", "value": "turnover"}'
    ),
}

TITLES: dict[ToolName, str] = {
    ToolName.SEARCH_ASSETS: "Search data assets",
    ToolName.GET_ASSET: "Describe an asset",
    ToolName.RESOLVE_METRIC: "Resolve a business metric",
    ToolName.TRACE_LINEAGE: "Trace lineage",
    ToolName.IMPACT_ANALYSIS: "Analyse the impact of a change",
    ToolName.PROPOSE_CHANGE: "Propose a model change",
    ToolName.REVIEW_PROPOSAL: "Review a change proposal",
    ToolName.RECENT_CHANGES: "Recent changes",
    ToolName.AUDIT_LOG: "Read the audit log",
    ToolName.RECORD_FEEDBACK: "Record feedback",
}
