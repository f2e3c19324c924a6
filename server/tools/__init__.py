"""The contract's MCP tools: names, input/output models, descriptions and handlers."""
