"""The MCP app over stdio with a stand-in search handler: `python -m tests.server.stdio_entry`.

Settings come from the environment (DATAGRAPH_HOME, DATAGRAPH_POLICY, DATAGRAPH_PRINCIPAL) as for the
real command.
"""

from dataclasses import replace

import anyio

from graph_schema.config import load_settings
from server.runtime import build_runtime
from server.tools.names import ToolName
from server.tools.registry import TOOL_SPECS
from server.transport import stdio_server
from tests.server.handlers import echo_search

SPECS = tuple(replace(s, handler=echo_search) if s.name is ToolName.SEARCH_ASSETS else s for s in TOOL_SPECS)


def main() -> None:
    runtime = build_runtime(load_settings())
    try:
        anyio.run(stdio_server(runtime, specs=SPECS).run_stdio_async)
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
