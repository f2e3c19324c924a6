"""Dataset naming: the same physical table, named by different sources, is one id."""

import pytest

from graph_schema.errors import InvalidIdError
from graph_schema.ids import column_id, dataset_of_column
from graph_schema.naming import dataset_name, from_openlineage, namespace_for, split_name

SAME_TABLE = [
    # (platform, authority, name as that source spells it)
    ("postgres", "db.internal:5432", "analytics.public.orders"),
    ("postgresql", "DB.internal:5432", "ANALYTICS.PUBLIC.ORDERS"),
    ("postgresql+psycopg", "db.internal:5432", "Analytics.Public.Orders"),
]


@pytest.mark.parametrize(("plat", "authority", "name"), SAME_TABLE)
def test_postgres_folds_unquoted_names_to_lower_case(plat, authority, name):
    assert dataset_name(plat, authority, name).id == "dataset:postgres://db.internal:5432/analytics.public.orders"


def test_snowflake_folds_to_upper_case_and_keeps_quoted_parts():
    assert dataset_name("snowflake", "org-acct", "db.raw.orders").name == "DB.RAW.ORDERS"
    assert dataset_name("snowflake", "org-acct", 'db.raw."mixedCase"').name == "DB.RAW.mixedCase"


def test_bigquery_has_no_authority_and_keeps_case():
    name = dataset_name("bigquery", None, "`my-project`.Sales.Orders")
    assert (name.namespace, name.name) == ("bigquery", "my-project.Sales.Orders")


def test_parts_may_be_given_separately_and_missing_leading_parts_are_dropped():
    assert dataset_name("duckdb", "shop", "shop", "main", "orders") == dataset_name("duckdb", "shop", "shop.main.orders")
    assert dataset_name("duckdb", "shop", None, "main", "orders").name == "main.orders"


def test_openlineage_names_meet_the_same_node():
    from_event = from_openlineage("postgres://db.internal:5432", "analytics.public.orders")
    from_catalog = dataset_name("postgresql", "db.internal:5432", "analytics", "public", "orders")
    assert from_event.id == from_catalog.id


def test_openlineage_file_datasets_keep_their_path():
    name = from_openlineage("s3://bucket", "/raw/Orders.parquet")
    assert name.uri == "s3://bucket//raw/Orders.parquet"


def test_quoted_dots_do_not_split():
    assert split_name('a."b.c".d') == ["a", '"b.c"', "d"]


@pytest.mark.parametrize("bad", ["", "a..b", "."])
def test_empty_parts_are_refused(bad):
    with pytest.raises(InvalidIdError):
        dataset_name("postgres", "h:5432", bad)


def test_a_platform_that_needs_a_host_says_so():
    with pytest.raises(InvalidIdError, match="needs a host"):
        namespace_for("postgres", None)


def test_column_ids_round_trip_to_their_dataset():
    ds = dataset_name("duckdb", "shop", "shop.main.orders")
    col = column_id(ds.id, "Order Total")
    assert col == "column:duckdb://shop/shop.main.orders#Order%20Total"
    assert dataset_of_column(col) == ds.id


def test_duckdb_ignores_case_even_in_quotes():
    assert dataset_name("duckdb", "shop", '"Analytics"."Orders"').id == dataset_name("duckdb", "shop", "analytics.orders").id


def test_names_with_spaces_get_a_valid_stable_id():
    name = dataset_name("postgres", "h:5432", 'db.public."Order Items"')
    assert name.name == "db.public.Order Items"
    assert name.id == "dataset:postgres://h:5432/db.public.Order%20Items"
