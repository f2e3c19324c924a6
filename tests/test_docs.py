"""The generated docs stay true to the code."""

import json
import os
import re
from pathlib import Path

import pytest
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from datagraph.reference import REFERENCE, SNAPSHOT, render
from datagraph.reference_config import BAD_SETTING_EXAMPLE, BAD_TOML_EXAMPLE
from datagraph.reference_config import REFERENCE as CONFIG_REFERENCE
from datagraph.reference_config import render as render_config
from datagraph.reference_config import rows
from datagraph.reference_examples import ingest_estate, refresh_counts
from datagraph.reference_ingest import PAGES, ingest_commands, page_path, refresh, render_command
from graph_schema.config import CONFIG_FILE, Settings, load_settings
from graph_schema.errors import ConfigError
from graph_schema.ids import DATASET_PREFIX
from graph_schema.kinds import DATASET_KINDS, NodeKind
from graph_schema.store.embedded.store import EmbeddedStore

REPO = Path(__file__).resolve().parents[1]
# The settings the public contract names: the configuration reference must document each.
CONTRACT_SETTINGS = (
    "DATAGRAPH_HOME", "DATAGRAPH_GRAPH_URI", "DATAGRAPH_NEO4J_USER", "DATAGRAPH_NEO4J_PASSWORD",
    "DATAGRAPH_NEO4J_DATABASE", "DATAGRAPH_QDRANT_URL", "DATAGRAPH_AUDIT_URL", "DATAGRAPH_POLICY",
    "datagraph.toml", "--home",
)
_ID_PREFIXES = sorted({DATASET_PREFIX} | {k.value for k in NodeKind if k not in DATASET_KINDS})
# A node id quoted on a page; ids with placeholders (`<project>`, `…`) are templates, not examples.
QUOTED_ID = re.compile(r"`((?:%s):[^`\s]+)`" % "|".join(_ID_PREFIXES))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _clean_environment(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No DATAGRAPH_* variable and no datagraph.toml of the machine running the tests."""
    for name in [n for n in os.environ if n.upper().startswith("DATAGRAPH_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(folder)


def test_tools_reference_matches_the_pinned_tool_surface():
    expected = render(json.loads(SNAPSHOT.read_text(encoding="utf-8")))
    assert REFERENCE.read_text(encoding="utf-8") == expected, (
        "docs/tools.md is stale: run `python -m datagraph.reference` and commit it"
    )


# ---- configuration ---------------------------------------------------------------------------------


def test_configuration_reference_matches_the_settings_model():
    assert CONFIG_REFERENCE.read_text(encoding="utf-8") == render_config(), (
        "docs/configuration.md is stale: run `python -m datagraph.reference_config` and commit it"
    )


def test_configuration_reference_documents_every_setting_the_contract_names():
    page = CONFIG_REFERENCE.read_text(encoding="utf-8")
    missing = [name for name in CONTRACT_SETTINGS if f"`{name}" not in page]
    assert not missing, f"docs/configuration.md does not name {missing}"


def test_every_setting_says_what_it_is_for():
    undescribed = [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]
    assert not undescribed, f"settings without a description (the reference would show none): {undescribed}"


def test_the_names_the_reference_gives_are_the_ones_settings_reads(tmp_path, monkeypatch):
    _clean_environment(monkeypatch, tmp_path)
    by_setting = {row[0]: row for row in rows(Settings)}
    env_var = by_setting["token_budget"][1].strip("`")
    toml_key = by_setting["snapshots_kept"][2].strip("`")
    monkeypatch.setenv(env_var, "777")
    (tmp_path / CONFIG_FILE).write_text(f"{toml_key} = 7\n", encoding="utf-8")
    settings = load_settings()
    assert (settings.token_budget, settings.snapshots_kept) == (777, 7)


def test_the_errors_the_reference_shows_are_what_a_bad_setting_prints(tmp_path, monkeypatch):
    _clean_environment(monkeypatch, tmp_path)
    with pytest.raises(ConfigError) as bad_value:
        load_settings(token_budget=5)
    assert f"error: {bad_value.value}" == BAD_SETTING_EXAMPLE
    (tmp_path / CONFIG_FILE).write_text("token_budget = \n", encoding="utf-8")
    with pytest.raises(ConfigError) as bad_file:
        load_settings()
    assert f"error: {bad_file.value}" == BAD_TOML_EXAMPLE


class _Server(BaseModel):
    port: int = Field(default=8080, ge=1, le=65535, description="Port to listen on.")


class _NestedSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DGDOCS_", env_nested_delimiter="__")

    server: _Server = Field(default_factory=_Server, description="The server.")


def test_nested_settings_are_listed_under_their_parent_with_the_names_pydantic_settings_reads(monkeypatch):
    listed = {row[0]: row for row in rows(_NestedSettings)}
    assert listed["server.port"] == (
        "server.port", "`DGDOCS_SERVER__PORT`", "`port` in `[server]`", "integer ≥ 1, ≤ 65535", "`8080`",
        "Port to listen on.",
    )
    monkeypatch.setenv("DGDOCS_SERVER__PORT", "9000")
    assert _NestedSettings().server.port == 9000


# ---- ingestion -------------------------------------------------------------------------------------


def test_every_ingest_command_has_a_page_showing_its_current_options():
    for source in ingest_commands():
        path = page_path(source)
        assert path.is_file(), f"`datagraph ingest {source}` has no page {path.relative_to(REPO)}"
        page = path.read_text(encoding="utf-8")
        assert refresh(page, render_command(source), str(path)) == page, (
            f"{path.relative_to(REPO)} is stale: run `python -m datagraph.reference_ingest` and commit it"
        )


def test_every_argument_and_option_of_every_ingest_command_is_on_its_page():
    for source, command in ingest_commands().items():
        page = page_path(source).read_text(encoding="utf-8")
        for param in command.params:
            names = [param.name.upper()] if param.param_type_name == "argument" else param.opts
            missing = [n for n in names if n != "--help" and f"`{n}`" not in page]
            assert not missing, f"docs/ingestion/{source}.md does not show {missing}"


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def test_the_reference_pages_link_each_other_and_every_link_resolves():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "(docs/configuration.md)" in readme and "(docs/ingestion/)" in readme
    index = (PAGES / "README.md").read_text(encoding="utf-8")
    assert all(f"({source}.md)" in index for source in ingest_commands())
    for page in [CONFIG_REFERENCE, *sorted(PAGES.glob("*.md"))]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            file, _, anchor = target.partition("#")
            linked = (page.parent / file).resolve() if file else page
            assert linked.exists(), f"{page.relative_to(REPO)} links to {target}, which does not exist"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
                assert anchor in {_slug(h) for h in headings}, f"{page.relative_to(REPO)}: no heading #{anchor}"


def test_worked_examples_are_what_ingesting_the_bundled_estate_writes(shop_project, tmp_path):
    with EmbeddedStore(tmp_path / "graph") as store:
        reports = ingest_estate(shop_project, store, tmp_path)
        for source, report in reports.items():
            path = page_path(source)
            page = path.read_text(encoding="utf-8")
            assert refresh_counts(page, report, str(path)) == page, (
                f"{path.relative_to(REPO)}: the worked example's counts are stale: run "
                "`python -m datagraph.reference_examples` and commit it"
            )
        quoted = {
            (page.name, node_id)
            for page in sorted(PAGES.glob("*.md"))
            for node_id in QUOTED_ID.findall(page.read_text(encoding="utf-8"))
            if not any(mark in node_id for mark in "<…{")
        }
        assert len(quoted) > 30  # the pages quote real ids, and the pattern finds them
        known = store.get_many({node_id for _, node_id in quoted})
    unknown = sorted(f"{name}: {node_id}" for name, node_id in quoted if node_id not in known)
    assert not unknown, f"ids quoted in docs/ingestion/ that ingesting the estate does not make: {unknown}"
