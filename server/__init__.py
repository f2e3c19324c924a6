"""The MCP server: governed tools over the graph (policy, principals, rate limits, audit log)."""
