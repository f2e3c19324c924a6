"""The MCP Inspector's CLI (the reference client of the MCP project, from npm) lists our tools over stdio.

The Inspector is installed by .ci/run into a cache folder (DATAGRAPH_MCP_INSPECTOR names it, else
$XDG_CACHE_HOME/datagraph/mcp-inspector); without it the test is skipped, or fails when CI=true.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.tools.names import ToolName
from tests.cli.serve_process import REPO
from tests.server.estate import build_estate
from tests.support.services import ServiceUnavailableError, flag_set, skip_or_fail

INSPECTOR_ENV = "DATAGRAPH_MCP_INSPECTOR"

pytestmark = pytest.mark.timeout(180)


def inspector_prefix() -> Path:
    configured = os.environ.get(INSPECTOR_ENV, "").strip()
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(cache) / "datagraph" / "mcp-inspector"


def inspector() -> Path:
    binary = inspector_prefix() / "node_modules" / ".bin" / "mcp-inspector"
    problems = []
    if shutil.which("node") is None:
        problems.append("no node on PATH")
    if not binary.exists():
        problems.append(f"no {binary} (npm install --prefix {inspector_prefix()} @modelcontextprotocol/inspector@0.15)")
    if problems:
        unavailable = ServiceUnavailableError("MCP Inspector unavailable: " + "; ".join(problems))
        skip_or_fail(unavailable, required=flag_set("CI"))
    return binary


def test_the_inspector_lists_every_tool(tmp_path: Path) -> None:
    binary = inspector()
    home = tmp_path / "home"
    build_estate(home)
    server = [sys.executable, "-m", "datagraph.cli", "serve", "--transport", "stdio", "--home", str(home)]
    result = subprocess.run(
        [str(binary), "--cli", "-e", f"PYTHONPATH={REPO}", "-e", "HF_HUB_OFFLINE=1", *server, "--method", "tools/list"],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    tools = {tool["name"]: tool for tool in json.loads(result.stdout)["tools"]}
    assert set(tools) == {t.value for t in ToolName}
    assert tools["get_asset"]["inputSchema"]["required"] == ["ref"]
    assert tools["get_asset"]["annotations"]["readOnlyHint"] is True
    assert "results" in tools["search_assets"]["outputSchema"]["properties"]
