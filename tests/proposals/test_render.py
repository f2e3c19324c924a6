"""dbt Jinja rendered without dbt: refs through the graph's names, stand-ins for everything else, and a sandbox,
since the template comes from an agent."""

import pytest

from server.proposals.diff import unified_diff
from server.proposals.errors import InvalidSqlError
from server.proposals.render import RefCall, Relation, locate, render

THIS = Relation(text='"shop"."analytics"."fct_orders"', database="shop", schema="analytics", identifier="fct_orders")
KNOWN = {
    RefCall("ref", ("stg_orders",)): Relation('"shop"."staging"."stg_orders"', "shop", "staging", "stg_orders"),
    RefCall("source", ("raw", "orders")): Relation('"shop"."raw"."raw_orders"', "shop", "raw", "raw_orders"),
}


def resolve(call: RefCall) -> Relation | None:
    return KNOWN.get(call)


def test_refs_sources_this_and_config_render_as_dbt_compiles_them() -> None:
    template = (
        "{{ config(materialized='incremental', unique_key='order_id') }}\n"
        "select o.*, {{ var('threshold', 300) }} as threshold, {{ var('missing') }} as missing\n"
        "from {{ ref('stg_orders') }} o join {{ source('raw', 'orders') }} r using (order_id)\n"
        "{% if is_incremental() %}where o.ordered_at > (select max(ordered_at) from {{ this }}){% endif %}\n"
    )
    full = render(template, resolve, THIS)
    assert full.sql == (
        "\nselect o.*, 300 as threshold, null as missing\n"
        'from "shop"."staging"."stg_orders" o join "shop"."raw"."raw_orders" r using (order_id)\n\n'
    )
    assert full.uses_incremental and full.unknown == []
    incremental = render(template, resolve, THIS, incremental=True)
    assert 'where o.ordered_at > (select max(ordered_at) from "shop"."analytics"."fct_orders")' in incremental.sql


def test_unknown_refs_are_all_collected_and_located() -> None:
    template = "select *\nfrom {{ ref('nope') }}\njoin {{ source('raw', 'gone') }} using (id)"
    rendered = render(template, resolve, THIS)
    assert rendered.unknown == [RefCall("ref", ("nope",)), RefCall("source", ("raw", "gone"))]
    assert locate(template, RefCall("ref", ("nope",))) == (2, 9)
    assert locate(template, RefCall("source", ("raw", "gone"))) == (3, 9)


def test_macros_the_server_cannot_run_become_function_calls() -> None:
    rendered = render(
        "select {{ cents_to_dollars('amount_cents', 2) }} as amount, {{ dbt_utils.generate_surrogate_key(['a']) }}"
        " as k, {{ adapter.dispatch('m')('x') }} as d from t",
        resolve, THIS,
    )
    assert rendered.sql == (
        "select cents_to_dollars('amount_cents', 2) as amount, dbt_utils__generate_surrogate_key('[''a'']') as k, "
        "adapter__dispatch('x') as d from t"
    )
    assert rendered.stand_ins == ["cents_to_dollars", "dbt_utils.generate_surrogate_key", "adapter.dispatch"]


def test_env_var_never_reads_the_server_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAGRAPH_SECRET_FOR_TEST", "s3cr3t")
    rendered = render("select '{{ env_var('DATAGRAPH_SECRET_FOR_TEST') }}' as a, "
                      "'{{ env_var('X', 'dflt') }}' as b", resolve, THIS)
    assert rendered.sql == "select '' as a, 'dflt' as b"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("select {{ ''.__class__.__mro__ }}", "the Jinja cannot be rendered"),
        ("select {{ cycler.__init__.__globals__ }}", "the Jinja cannot be rendered"),
        ("{% for i in range(100000) %}{% endfor %}select 1", "range() of 100000 items"),
        ("{% for i in range(9999) %}{% for j in range(9999) %}x{% endfor %}{% endfor %}",
         "more than 1000000 characters"),
        ("select 1\n{% if %}", "line 2: the Jinja does not parse"),
        ("select {{ ref('a', 'b', 'c') }}", "ref() takes a model name"),
        ("select 1 {{ 1 / 0 }}", "line 1: the Jinja cannot be rendered: division by zero"),
    ],
    ids=["dunder", "globals", "range", "output", "syntax", "ref-args", "runtime"],
)
def test_the_sandbox_refuses_what_no_model_needs(template: str, message: str) -> None:
    with pytest.raises(InvalidSqlError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render(template, resolve, THIS)


def test_private_attributes_of_the_stand_ins_render_as_nothing() -> None:
    assert render("select {{ ref.__globals__ }}{{ this._x }}1", resolve, THIS).sql == "select 1"


def test_the_diff_is_git_shaped_and_marks_a_missing_final_newline() -> None:
    diff = unified_diff("select 1\nfrom a\n", "select 2\nfrom a", "models/m.sql")
    assert diff == (
        "diff --git a/models/m.sql b/models/m.sql\n--- a/models/m.sql\n+++ b/models/m.sql\n@@ -1,2 +1,2 @@\n"
        "-select 1\n-from a\n+select 2\n+from a\n\\ No newline at end of file\n"
    )
    assert unified_diff("x\n", "x\n", "m.sql") == ""
