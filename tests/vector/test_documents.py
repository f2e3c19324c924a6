"""The searchable text and payload built from a node."""

import pytest
from pydantic import ValidationError

from graph_schema.models import Node
from graph_schema.vector.documents import IndexDoc, doc_from_node, doc_text, humanise, node_status


def test_text_holds_what_a_person_would_type() -> None:
    node = Node(
        id="metric:finance.mrr",
        kind="metric",
        name="mrr_total",
        description="Recurring revenue booked per month.",
        aliases=("monthly recurring revenue",),
        tags=("finance",),
        props={
            "label": "Monthly Recurring Revenue",
            "synonyms": ["subscription income"],
            "meta": {"synonyms": "MRR, run rate"},
        },
    )
    text = doc_text(node)
    assert text.splitlines()[0] == "Monthly Recurring Revenue (metric)"
    expected = ("mrr total", "subscription income", "MRR", "run rate", "Recurring revenue booked per month.", "finance")
    for part in expected:
        assert part in text
    # an alias that only repeats the label adds nothing
    assert "monthly recurring revenue" not in text.lower().split("\n", 1)[1]


def test_name_is_split_into_words_and_kind_is_spelled_out() -> None:
    assert humanise("fct_monthlyRevenue-v2.final") == "fct monthly revenue v2 final"
    node = Node(id="semantic_model:orders_sm", kind="semantic_model", name="orders_sm")
    assert doc_text(node) == "orders sm (semantic model)"


def test_column_text_names_its_table() -> None:
    qualified = Node(id="column:duckdb://local/shop.main.customers#email", kind="column", name="email",
                     qualified_name="shop.main.customers.email")
    bare = Node(id="column:duckdb://local/shop.main.customers#email", kind="column", name="email")
    assert "column of customers" in doc_text(qualified)
    assert "column of customers" in doc_text(bare)


def test_description_is_capped() -> None:
    node = Node(id="dataset:duckdb://local/db.main.x", kind="model", name="x", description="word " * 1000)
    assert len(doc_text(node)) < 1100


@pytest.mark.parametrize(
    ("props", "tags", "status"),
    [
        ({}, (), "active"),
        ({"status": "Certified"}, (), "certified"),
        ({"meta": {"deprecated": True}}, (), "deprecated"),
        ({}, ("deprecated",), "deprecated"),
        ({"certified": True}, (), "certified"),
    ],
)
def test_status(props: dict, tags: tuple[str, ...], status: str) -> None:
    node = Node(id="metric:m", kind="metric", name="m", props=props, tags=tags)
    assert node_status(node) == status


def test_payload_carries_scope_fields() -> None:
    node = Node(
        id="dataset:duckdb://local/shop.marts.orders",
        kind="model",
        name="orders",
        qualified_name="shop.marts.orders",
        tags=("core",),
        owners=("ann",),
        props={"meta": {"domain": "sales"}},
    )
    doc = doc_from_node(node)
    assert doc.payload == {
        "status": "active", "tags": ["core"], "owners": ["ann"], "schema": "marts", "domain": "sales"
    }
    stored = doc.point_payload()
    assert stored["id"] == node.id and stored["kind"] == "model" and stored["text_hash"] == doc.text_hash


def test_payload_may_not_shadow_what_the_index_writes() -> None:
    with pytest.raises(ValidationError, match="text_hash"):
        IndexDoc(id="metric:m", kind="metric", name="m", text="m", payload={"text_hash": "x"})
    with pytest.raises(ValidationError):
        IndexDoc(id="not an id", kind="metric", name="m", text="m")
