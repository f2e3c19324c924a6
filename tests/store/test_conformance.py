"""The GraphStore conformance suite: every operation, the same assertions, on every backend."""

import threading

import pytest
from pydantic import ValidationError

from graph_schema.errors import InvalidIdError, RunFailedError, StoreError
from graph_schema.ids import validate_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Edge, Node
from graph_schema.store import ChangeKind, Direction, edge_key
from tests.store.graph_builders import col, diamond, ds, feeds


def load(store, nodes, edges, source="dbt:shop"):
    with store.begin_run(source) as run:
        run.add_nodes(nodes)
        run.add_edges(edges)
    return run


@pytest.fixture
def shop(store):
    nodes, edges = diamond()
    load(store, nodes.values(), edges)
    return nodes


class TestReads:
    def test_empty_store_answers_empty(self, store):
        assert store.get("dataset:duckdb://shop/shop.main.none") is None
        assert store.current_run() is None
        assert store.stats().nodes == 0
        assert store.traverse("dataset:duckdb://shop/shop.main.none", Direction.DOWNSTREAM).reached == []

    def test_get_returns_the_node_as_written(self, store, shop):
        got = store.get(shop["raw"].id)
        assert got == shop["raw"]
        assert store.get("dataset:duckdb://shop/shop.main.missing") is None

    def test_get_many_returns_only_existing(self, store, shop):
        got = store.get_many([shop["stg"].id, shop["dash"].id, "dashboard:nope"])
        assert set(got) == {shop["stg"].id, shop["dash"].id}
        assert got[shop["dash"].id].owners == ("ana@shop",)

    def test_neighbours_by_direction_and_kind(self, store, shop):
        down = store.neighbours(shop["stg"].id, Direction.DOWNSTREAM)
        assert {n.node.id for n in down} == {shop["int_a"].id, shop["int_b"].id}
        up = store.neighbours(shop["mart"].id, Direction.UPSTREAM)
        assert {n.node.id for n in up} == {shop["int_a"].id, shop["int_b"].id}
        assert all(n.edge.target == shop["mart"].id for n in up)
        both = store.neighbours(shop["raw"].id, Direction.BOTH, [EdgeKind.HAS_COLUMN])
        assert [n.node.id for n in both] == [shop["raw.amount"].id]

    def test_neighbours_are_the_same_before_and_after_a_traversal_indexes_the_graph(self, store, shop):
        # The embedded store answers from a query until a traversal has indexed the snapshot, then from memory.
        def every_answer():
            return {
                (node.id, direction, kinds): sorted(
                    (n.edge.source, n.edge.target, n.edge.kind, sorted(n.edge.props.items()), n.node.model_dump_json())
                    for n in store.neighbours(node.id, direction, None if kinds is None else [kinds])
                )
                for node in shop.values()
                for direction in Direction
                for kinds in (None, EdgeKind.FEEDS, EdgeKind.HAS_COLUMN)
            }

        before = every_answer()
        store.traverse(shop["raw"].id, Direction.DOWNSTREAM)
        after = every_answer()
        assert after == before
        assert after[(shop["stg"].id, Direction.DOWNSTREAM, None)]  # not vacuous
        assert store.neighbours("dataset:duckdb://shop/shop.main.nope", Direction.BOTH) == []

    def test_neighbours_of_many_nodes_answers_as_one_node_at_a_time(self, store, shop):
        nope = "dataset:duckdb://shop/shop.main.nope"
        ids = [n.id for n in shop.values()] + [nope]
        # before and after a traversal indexes the graph (the embedded store answers from memory then)
        for indexed in (False, True):
            if indexed:
                store.traverse(shop["raw"].id, Direction.DOWNSTREAM)
            for direction in Direction:
                for kinds in (None, [EdgeKind.FEEDS], [EdgeKind.HAS_COLUMN, EdgeKind.FEEDS]):
                    together = store.neighbours_of(ids, direction, kinds)
                    assert list(together) == ids
                    for node_id in ids:
                        alone = store.neighbours(node_id, direction, kinds)
                        assert sorted(n.model_dump_json() for n in together[node_id]) == sorted(
                            n.model_dump_json() for n in alone), (node_id, direction, kinds, indexed)
        assert store.neighbours_of([nope], Direction.BOTH) == {nope: []}
        assert {n.node.id for n in store.neighbours_of(ids, Direction.DOWNSTREAM)[shop["stg"].id]} == {
            shop["int_a"].id, shop["int_b"].id}

    def test_find_by_name_matches_name_qualified_name_and_alias_ignoring_case(self, store, shop):
        assert [n.id for n in store.find_by_name("MART")] == [shop["mart"].id]
        assert [n.id for n in store.find_by_name("shop.main.stg")] == [shop["stg"].id]
        assert [n.id for n in store.find_by_name("raw_orders")] == [shop["raw"].id]
        assert store.find_by_name("revenue", kinds=[NodeKind.DASHBOARD])[0].id == shop["dash"].id
        assert store.find_by_name("revenue", kinds=[NodeKind.TABLE]) == []
        assert store.find_by_name("mar") == []

    def test_find_by_name_treats_text_as_data(self, store, shop):
        for hostile in ("') RETURN 1 //", "|", "%", "mart' OR '1'='1", "\\"):
            assert store.find_by_name(hostile) == []

    def test_nodes_and_edges_by_kind(self, store, shop):
        assert {n.id for n in store.nodes([NodeKind.COLUMN])} == {shop["raw.amount"].id, shop["mart.revenue"].id}
        assert len(list(store.nodes())) == len(shop)
        column_edges = list(store.edges([EdgeKind.COLUMN_FEEDS]))
        assert len(column_edges) == 1 and column_edges[0].props["transformation"] == "aggregated"

    def test_sources_of_names_who_asserts_each_node(self, store, shop):
        chart = Node(id="chart:superset/9", kind=NodeKind.CHART, name="Orders")
        load(store, [shop["mart"], chart], [feeds(shop["mart"], chart)], source="superset:prod")
        assert store.sources_of([shop["mart"].id, chart.id, shop["raw"].id, "chart:none"]) == {
            shop["mart"].id: ("dbt:shop", "superset:prod"),
            chart.id: ("superset:prod",),
            shop["raw"].id: ("dbt:shop",),
        }

    def test_stats_counts_by_kind(self, store, shop):
        stats = store.stats()
        assert stats.backend == store.backend
        assert stats.nodes == 9 and stats.edges == 9
        assert stats.nodes_by_kind == {"column": 2, "dashboard": 1, "model": 5, "source": 1}
        assert stats.edges_by_kind == {"column_feeds": 1, "feeds": 6, "has_column": 2}
        assert stats.current_run is not None


class TestTraversal:
    def test_downstream_closure_one_shortest_path_per_node(self, store, shop):
        t = store.traverse(shop["raw"].id, Direction.DOWNSTREAM, [EdgeKind.FEEDS])
        by_id = {r.id: r for r in t.reached}
        assert set(by_id) == {shop[k].id for k in ("stg", "int_a", "int_b", "mart", "dash")}
        assert {k: by_id[shop[k].id].distance for k in ("stg", "int_a", "mart", "dash")} == {
            "stg": 1, "int_a": 2, "mart": 3, "dash": 4,
        }
        mart = by_id[shop["mart"].id]
        # the diamond gives two shortest paths to mart; exactly one is returned and it is a real path
        assert mart.path[0] == shop["raw"].id and mart.path[-1] == shop["mart"].id and len(mart.path) == 4
        assert mart.path[2] in (shop["int_a"].id, shop["int_b"].id)
        assert mart.via.target == shop["mart"].id and mart.via.source == mart.path[2]
        assert not t.truncated

    def test_upstream_and_depth(self, store, shop):
        t = store.traverse(shop["dash"].id, Direction.UPSTREAM, [EdgeKind.FEEDS], max_depth=2)
        assert {r.id: r.distance for r in t.reached} == {shop["mart"].id: 1, shop["int_a"].id: 2, shop["int_b"].id: 2}
        assert all(r.via.target in r.path for r in t.reached)

    def test_both_directions_walk_separately(self, store, shop):
        t = store.traverse(shop["int_a"].id, Direction.BOTH, [EdgeKind.FEEDS])
        ids = {r.id for r in t.reached}
        assert shop["int_b"].id not in ids  # a sibling is not lineage
        assert {shop["stg"].id, shop["raw"].id, shop["mart"].id, shop["dash"].id} <= ids

    def test_edge_kind_filter_and_column_grain(self, store, shop):
        t = store.traverse(shop["raw.amount"].id, Direction.DOWNSTREAM, [EdgeKind.COLUMN_FEEDS])
        assert [(r.id, r.distance, r.via.props["transformation"]) for r in t.reached] == [
            (shop["mart.revenue"].id, 1, "aggregated")
        ]

    def test_no_path_is_an_empty_answer(self, store, shop):
        assert store.traverse(shop["island"].id, Direction.BOTH).reached == []

    def test_limit_truncates(self, store, shop):
        t = store.traverse(shop["raw"].id, Direction.DOWNSTREAM, [EdgeKind.FEEDS], limit=2)
        assert len(t.reached) == 2 and t.truncated

    def test_depth_out_of_range_is_refused(self, store, shop):
        with pytest.raises(StoreError, match="depth"):
            store.traverse(shop["raw"].id, Direction.DOWNSTREAM, max_depth=500)


class TestRunsAndHistory:
    def test_rerun_of_same_content_changes_nothing(self, store):
        nodes, edges = diamond()
        first = load(store, nodes.values(), edges)
        second = load(store, nodes.values(), edges)
        assert first.summary.nodes_added == 9 and first.summary.edges_added == 9
        assert not second.summary.changed
        runs = store.runs()
        assert [r.run_id for r in runs] == [second.info.run_id, first.info.run_id]
        assert runs[0].parent_run_id == first.info.run_id
        assert store.current_run().run_id == second.info.run_id
        assert store.changes(run_id=second.info.run_id) == []

    def test_modified_node_records_before_and_after(self, store):
        nodes, edges = diamond()
        load(store, nodes.values(), edges)
        changed = dict(nodes)
        changed["stg"] = nodes["stg"].model_copy(update={"props": {"sql": "select 2"}})
        run = load(store, changed.values(), edges)
        assert run.summary.nodes_modified == 1 and run.summary.nodes_added == 0
        [change] = store.changes(keys=[nodes["stg"].id], run_id=run.info.run_id)
        assert change.change is ChangeKind.MODIFIED
        assert change.before["props"] == {} and change.after["props"] == {"sql": "select 2"}

    def test_nodes_a_source_stops_asserting_are_retired_with_their_edges(self, store):
        nodes, edges = diamond()
        load(store, nodes.values(), edges)
        kept = {k: v for k, v in nodes.items() if k != "int_b"}
        kept_edges = [e for e in edges if nodes["int_b"].id not in (e.source, e.target)]
        run = load(store, kept.values(), kept_edges)
        assert run.summary.nodes_removed == 1 and run.summary.edges_removed == 2
        assert store.get(nodes["int_b"].id) is None
        removed = {c.key for c in store.changes(run_id=run.info.run_id) if c.change is ChangeKind.REMOVED}
        assert removed == {
            nodes["int_b"].id,
            edge_key(nodes["stg"].id, EdgeKind.FEEDS, nodes["int_b"].id),
            edge_key(nodes["int_b"].id, EdgeKind.FEEDS, nodes["mart"].id),
        }
        history = store.changes(keys=[nodes["int_b"].id])
        assert [c.change for c in history] == [ChangeKind.REMOVED]  # the initial load is not a change

    def test_two_sources_share_one_node(self, store):
        from_dbt = ds("orders", NodeKind.MODEL, description="Orders, one row each", props={"sql": "select 1"})
        from_catalog = ds("orders", NodeKind.TABLE, props={"row_count": 10}, aliases=("SHOP.MAIN.ORDERS",))
        load(store, [from_dbt], [], source="dbt:shop")
        load(store, [from_catalog], [], source="catalog:duckdb")
        merged = store.get(from_dbt.id)
        assert merged.kind is NodeKind.MODEL  # the more specific kind wins
        assert merged.props == {"sql": "select 1", "row_count": 10}
        assert merged.description == "Orders, one row each"
        assert store.stats().nodes == 1
        # dbt stops describing it: the catalog's view remains
        load(store, [], [], source="dbt:shop")
        left = store.get(from_dbt.id)
        assert left.kind is NodeKind.TABLE and left.props == {"row_count": 10}
        load(store, [], [], source="catalog:duckdb")
        assert store.get(from_dbt.id) is None

    def test_edges_of_another_source_go_when_their_node_goes(self, store):
        table = ds("orders", NodeKind.TABLE)
        chart = Node(id="chart:superset/7", kind=NodeKind.CHART, name="Orders by day")
        load(store, [table], [], source="catalog:duckdb")
        load(store, [chart], [feeds(table, chart)], source="superset:prod")
        load(store, [], [], source="catalog:duckdb")
        assert store.get(table.id) is None
        assert store.neighbours(chart.id, Direction.UPSTREAM) == []

    def test_a_first_run_is_not_a_list_of_changes_but_later_additions_are(self, store):
        nodes, edges = diamond()
        first = load(store, nodes.values(), edges)
        assert store.changes(run_id=first.info.run_id) == []
        extra = ds("extra")
        second = load(store, [*nodes.values(), extra], [*edges, feeds(nodes["mart"], extra)])
        added = store.changes(since=second.info.started_at)
        assert {(c.change, c.key) for c in added} == {
            (ChangeKind.ADDED, extra.id),
            (ChangeKind.ADDED, edge_key(nodes["mart"].id, EdgeKind.FEEDS, extra.id)),
        }
        assert store.changes(keys=["dashboard:none"]) == []


class TestAtomicity:
    def test_a_run_that_raises_leaves_the_previous_state(self, store):
        nodes, edges = diamond()
        good = load(store, nodes.values(), edges)
        before = store.stats()
        with pytest.raises(RuntimeError, match="parser blew up"):
            with store.begin_run("dbt:shop") as run:
                run.add_nodes([ds("half_written")])
                raise RuntimeError("parser blew up")
        assert store.stats().nodes_by_kind == before.nodes_by_kind
        assert store.get(ds("half_written").id) is None
        assert store.current_run().run_id == good.info.run_id

    def test_a_run_with_dangling_edges_fails_whole(self, store):
        nodes, edges = diamond()
        load(store, nodes.values(), edges)
        ghost = ds("ghost")
        with pytest.raises(RunFailedError, match="do not exist: dataset:duckdb://shop/shop.main.ghost"):
            with store.begin_run("lookml:shop") as run:
                run.add_nodes([ds("from_lookml")])
                run.add_edges([feeds(ghost, nodes["mart"])])
        assert store.get(ds("from_lookml").id) is None
        assert len(store.runs()) == 1

    def test_a_new_handle_sees_each_commit(self, store_factory):
        writer, reader = store_factory(), store_factory()
        nodes, edges = diamond()
        load(writer, nodes.values(), edges)
        assert reader.stats().nodes == 9
        load(writer, [nodes["raw"]], [])
        assert reader.stats().nodes == 1
        assert reader.current_run().run_id == writer.current_run().run_id


class TestValidation:
    @pytest.mark.parametrize(
        ("bad", "problem"),
        [
            ("no-prefix", "is not of the form"),
            ("model:", "is not of the form"),
            ("warp:x", "unknown prefix 'warp'"),
            ("model:has space", "is not of the form"),
            ("x" * 2000, "the limit is 1024"),
        ],
    )
    def test_bad_ids_are_refused(self, bad, problem):
        with pytest.raises(InvalidIdError, match=problem):
            validate_id(bad)
        with pytest.raises(ValidationError, match=problem):
            Node(id=bad, kind=NodeKind.MODEL, name="x")

    def test_kind_must_match_prefix(self):
        with pytest.raises(ValidationError, match="must start with 'dataset:'"):
            Node(id="metric:shop.revenue", kind=NodeKind.MODEL, name="x")

    def test_bad_source_name_is_refused(self, store):
        with pytest.raises(StoreError, match="must not contain"):
            store.begin_run("dbt|shop")

    def test_column_ids_keep_odd_names_apart(self):
        orders = ds("orders")
        assert col(orders, "order id").id != col(orders, "order_id").id
        assert col(orders, "a#b").id.endswith("#a%23b")


def test_edge_props_from_two_sources_merge(store):
    a, b = ds("a"), ds("b")
    load(store, [a, b], [Edge(source=a.id, target=b.id, kind=EdgeKind.FEEDS, props={"via": "dbt"})], "dbt:shop")
    load(store, [a, b], [Edge(source=a.id, target=b.id, kind=EdgeKind.FEEDS, props={"job": "nightly"})], "openlineage:x")
    [edge] = list(store.edges())
    assert edge.props == {"via": "dbt", "job": "nightly"}


class TestConsistentReads:
    """read_consistently: several reads that make one answer all see one state of the graph."""

    def test_returns_what_the_read_returns_and_nests(self, store, shop):
        got = store.read_consistently(
            lambda: (store.get(shop["raw"].id), store.read_consistently(lambda: store.get_many([shop["stg"].id])))
        )
        assert got == (shop["raw"], {shop["stg"].id: shop["stg"]})

    def test_a_commit_during_the_read_is_never_half_seen(self, store_factory, shop):
        # `shop` loaded the graph through the first handle; the writer is another client of the same graph.
        reader, writer = store_factory(), store_factory()
        renamed = shop["raw"].model_copy(update={"description": "changed under the reader"})
        committed = threading.Event()

        def commit_once() -> None:
            if not committed.is_set():
                load(writer, [renamed], [], source="catalog:other")
                committed.set()

        def read() -> tuple:
            before = reader.get(shop["raw"].id)
            # another client commits between two reads of one answer; it has finished when this goes on
            thread = threading.Thread(target=commit_once)
            thread.start()
            thread.join()
            after = reader.get(shop["raw"].id)
            walk = reader.traverse(shop["raw"].id, Direction.DOWNSTREAM, max_depth=1)
            return before, after, walk

        before, after, walk = reader.read_consistently(read)
        assert committed.is_set()
        assert before == after  # one state: both reads from before the commit, or both after it
        assert {r.id for r in walk.reached} >= {shop["stg"].id}
        assert reader.get(shop["raw"].id).description == "changed under the reader"
