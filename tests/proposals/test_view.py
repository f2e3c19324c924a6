"""A warehouse view (from a catalog crawl, no dbt) can be the target of a proposal too: its definition is the
SQL compared, the relations it reads must be in the graph, and it exports as a patch only."""

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from graph_schema.config import Settings
from graph_schema.store.embedded.store import EmbeddedStore
from ingestors.catalog.ingest import ingest_catalog
from server.governance.policy import Policy
from server.governance.policy_defaults import builtin_policy
from server.governance.principal import Principal
from server.governed import tool_context
from server.proposals.errors import ExportError, UnknownRefError
from server.proposals.export import ToBranch, ToPatch, export_proposal
from server.proposals.review import review
from server.proposals.store import proposal_store
from server.runtime import Runtime, build_runtime
from server.tools.context import ToolContext
from server.tools.names import ToolName
from server.tools.propose_change import propose_change
from server.tools.schemas import ProposeChangeInput

VIEW_SQL = (
    "select c.id, c.name, sum(o.amount) as total\n"
    "from sales.customers c\n"
    "join sales.orders o on o.customer_id = c.id\n"
    "where o.status <> 'cancelled'\n"
    "group by c.id, c.name\n"
)


@pytest.fixture
def warehouse_runtime(tmp_path: Path) -> Iterator[Runtime]:
    database = tmp_path / "dw.duckdb"
    with duckdb.connect(str(database)) as conn:
        conn.execute("create schema sales")
        conn.execute("create table sales.customers (id integer primary key, name varchar not null)")
        conn.execute("create table sales.orders (id integer, customer_id integer, amount decimal(10, 2), "
                     "status varchar)")
        conn.execute(f"create view sales.customer_totals as {VIEW_SQL}")
    store = EmbeddedStore(tmp_path / "graph")
    ingest_catalog(f"duckdb:///{database}", store)
    runtime = build_runtime(Settings(home=tmp_path / "home"), store=store)
    yield runtime
    runtime.close()
    store.close()


def context(runtime: Runtime) -> ToolContext:
    return tool_context(runtime, runtime.policy.local_principal("ada"), ToolName.PROPOSE_CHANGE)


def test_a_view_definition_is_proposed_compared_and_exported_as_a_patch(
    warehouse_runtime: Runtime, tmp_path: Path
) -> None:
    new_sql = VIEW_SQL.replace("c.id, c.name, sum", "c.id, sum").replace("'cancelled'", "'void'").replace(
        "group by c.id, c.name", "group by c.id")
    out = propose_change(context(warehouse_runtime), ProposeChangeInput(
        ref="sales.customer_totals", new_sql=new_sql, title="Drop name", rationale="Join to customers instead."))

    assert out.validation.columns_removed == ["name"]
    assert sorted(c.kind for c in out.validation.logic_changes) == ["filter", "group_by"]
    assert [(c.type, c.column) for c in out.changes] == [("drop_column", "name"), ("modify_logic", None)]
    # the definition as the warehouse keeps it is the "before" of the diff
    assert out.diff.startswith("diff --git a/dw.sales.customer_totals.sql b/dw.sales.customer_totals.sql\n")
    assert "-CREATE VIEW sales.customer_totals AS SELECT c.id" in out.diff
    assert ("unique", "id") in {(s.test, s.column) for s in out.suggested_tests}  # the new grain

    settings = warehouse_runtime.settings
    with proposal_store(settings) as store:
        review(store, Policy(builtin_policy()), Principal(name="bob", role="steward"), out.proposal_id, "approve", "ok")
        with pytest.raises(ExportError, match="is a warehouse view with no file in a repository; export it as a patch"):
            export_proposal(store, warehouse_runtime.audit, Principal(name="bob", role="steward"), out.proposal_id,
                            ToBranch(tmp_path))
        record = export_proposal(store, warehouse_runtime.audit, Principal(name="bob", role="steward"),
                                 out.proposal_id, ToPatch(tmp_path / "view.patch"))
    assert record.kind == "patch" and (tmp_path / "view.patch").read_text() == out.diff


def test_a_view_may_read_only_relations_the_graph_knows(warehouse_runtime: Runtime) -> None:
    with pytest.raises(UnknownRefError, match=r"line 2, column \d+: table \S*sales\.refunds is not in the graph"):
        propose_change(context(warehouse_runtime), ProposeChangeInput(
            ref="sales.customer_totals", new_sql="select id\nfrom sales.refunds\n", title="t", rationale="r"))
