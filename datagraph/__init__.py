"""The datagraph application: the CLI that composes the graph, the ingestors and the MCP server."""

__version__ = "0.1.0"
