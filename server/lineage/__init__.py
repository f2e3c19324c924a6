"""Lineage answers over the graph: traces, change impact, recent changes. The MCP tools and the CLI share them."""
