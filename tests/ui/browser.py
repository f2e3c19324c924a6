"""Finding what the browser test drives: node, playwright-core (from npm) and a Chromium on this machine.

.ci/run installs Debian's `chromium` and playwright-core into the cache folder that DATAGRAPH_PLAYWRIGHT
names (else $XDG_CACHE_HOME/datagraph/playwright-core, where .ci/run puts it, so a later `make test` finds
it too). Chromium is DATAGRAPH_CHROMIUM, else /usr/bin/chromium, else `chromium` on PATH. Nothing is ever
downloaded here: playwright-core drives the installed browser.

A missing piece skips the test with what to install, or fails it where the run demands the browser (CI, or
DATAGRAPH_REQUIRE_BROWSER=1, which .ci/run sets).
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import ServiceUnavailableError, flag_set, skip_or_fail

PLAYWRIGHT_ENV = "DATAGRAPH_PLAYWRIGHT"
CHROMIUM_ENV = "DATAGRAPH_CHROMIUM"
REQUIRE_ENV = "DATAGRAPH_REQUIRE_BROWSER"
PLAYWRIGHT_VERSION = "1.65"


@dataclass(frozen=True)
class Browser:
    node: str
    playwright: Path  # the playwright-core package folder
    chromium: str


def playwright_prefix() -> Path:
    configured = os.environ.get(PLAYWRIGHT_ENV, "").strip()
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(cache) / "datagraph" / "playwright-core"


def chromium_path() -> str | None:
    configured = os.environ.get(CHROMIUM_ENV, "").strip()
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def browser_required() -> bool:
    """Like Neo4j and PostgreSQL: a CI run (or DATAGRAPH_REQUIRE_BROWSER=1) fails without the browser;
    elsewhere the test is skipped, with the reason in the report."""
    return flag_set("CI") or flag_set(REQUIRE_ENV)


def find_browser() -> Browser:
    """The pieces, or a skip (a failure when required) naming what to install."""
    node = shutil.which("node")
    package = playwright_prefix() / "node_modules" / "playwright-core"
    chromium = chromium_path()
    problems = []
    if node is None:
        problems.append("no node on PATH (apt-get install nodejs npm)")
    if not (package / "package.json").is_file():
        install = f"npm install --prefix {playwright_prefix()} playwright-core@{PLAYWRIGHT_VERSION}"
        problems.append(f"no playwright-core in {package.parent} ({install}, or set {PLAYWRIGHT_ENV})")
    if chromium is None:
        where = os.environ.get(CHROMIUM_ENV, "").strip() or "/usr/bin/chromium"
        problems.append(f"no Chromium at {where} (apt-get install chromium, or set {CHROMIUM_ENV})")
    if problems or node is None or chromium is None:
        unavailable = ServiceUnavailableError("browser test cannot run: " + "; ".join(problems))
        skip_or_fail(unavailable, required=browser_required())
    return Browser(node=node, playwright=package, chromium=chromium)
