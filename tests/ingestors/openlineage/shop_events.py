"""The shop estate's loader events, built with the openlineage-python client and serialised by it.

The fixture `datagraph/estate/openlineage/shop_loads.ndjson` is this module's output: a sync tool copies the
shop's operational PostgreSQL tables into the warehouse's `raw` schema (the tables the dbt project reads as
sources), and an orchestrated task lands the clickstream from object storage. Regenerate it with
`python -m tests.ingestors.openlineage.shop_events`.
"""

import sys
from pathlib import Path
from uuid import UUID, uuid5

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated import (
    column_lineage_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    ownership_job,
    schema_dataset,
)
from openlineage.client.serde import Serde

from datagraph.estate import OPENLINEAGE_EVENTS

FIXTURE = OPENLINEAGE_EVENTS
PRODUCER = "https://github.com/fivetran/shop-sync/v1"
SOURCE_DB = "postgres://shop-db.internal:5432"
WAREHOUSE = "duckdb://shop"
SYNC = "fivetran://shop"
PLATFORM = "airflow://platform"
_IDS = UUID("7d3c2a8e-0d4b-4c1e-9a55-2f9f4c6b1a10")

# operational table -> (raw table, [(source column, raw column, type, transformation subtype)])
TABLES: dict[str, tuple[str, list[tuple[str, str, str, str]]]] = {
    "customers": ("raw_customers", [
        ("id", "id", "INTEGER", "IDENTITY"), ("first_name", "first_name", "VARCHAR", "IDENTITY"),
        ("last_name", "last_name", "VARCHAR", "IDENTITY"), ("email", "email", "VARCHAR", "IDENTITY"),
        ("country_code", "country_code", "VARCHAR", "IDENTITY"), ("created_at", "created_at", "TIMESTAMP", "IDENTITY"),
        ("updated_at", "updated_at", "TIMESTAMP", "IDENTITY"),
    ]),
    "orders": ("raw_orders", [
        ("id", "id", "INTEGER", "IDENTITY"), ("customer_id", "customer_id", "INTEGER", "IDENTITY"),
        ("order_date", "order_date", "DATE", "IDENTITY"), ("status", "status", "VARCHAR", "IDENTITY"),
        ("discount_cents", "discount_cents", "INTEGER", "IDENTITY"),
        ("shipping_cents", "shipping_cents", "INTEGER", "IDENTITY"),
    ]),
    "order_items": ("raw_order_items", [
        ("id", "id", "INTEGER", "IDENTITY"), ("order_id", "order_id", "INTEGER", "IDENTITY"),
        ("product_id", "product_id", "INTEGER", "IDENTITY"), ("quantity", "quantity", "INTEGER", "IDENTITY"),
    ]),
    "payments": ("raw_payments", [
        ("id", "id", "INTEGER", "IDENTITY"), ("order_id", "order_id", "INTEGER", "IDENTITY"),
        ("method", "payment_method", "VARCHAR", "IDENTITY"), ("amount", "amount_cents", "INTEGER", "TRANSFORMATION"),
        ("paid_at", "paid_at", "TIMESTAMP", "IDENTITY"),
    ]),
    "products": ("raw_products", [
        ("id", "id", "INTEGER", "IDENTITY"), ("sku", "sku", "VARCHAR", "IDENTITY"),
        ("name", "product_name", "VARCHAR", "IDENTITY"), ("category", "category", "VARCHAR", "IDENTITY"),
        ("price_cents", "price_cents", "INTEGER", "IDENTITY"), ("cost_cents", "cost_cents", "INTEGER", "IDENTITY"),
    ]),
}

CLICKSTREAM = [
    ("event_id", "BIGINT"), ("session_id", "VARCHAR"), ("customer_id", "BIGINT"), ("event_name", "VARCHAR"),
    ("page_path", "VARCHAR"), ("device_type", "VARCHAR"), ("occurred_at", "TIMESTAMP"),
]


def run_uuid(label: str) -> str:
    return str(uuid5(_IDS, label))


def _schema(columns: list[tuple[str, str]]) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=name, type=kind) for name, kind in columns]
    )


def _copy_lineage(
    source: str, columns: list[tuple[str, str, str, str]]
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    return column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            target: column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=SOURCE_DB,
                        name=source,
                        field=field,
                        transformations=[column_lineage_dataset.Transformation(
                            type="DIRECT", subtype=subtype,
                            description="amount in dollars times 100" if subtype == "TRANSFORMATION" else None,
                        )],
                    )
                ]
            )
            for field, target, _, subtype in columns
        }
    )


def _sync_events(table: str, label: str, start: str, end: str, state: RunState, rows: int,
                 error: str | None = None) -> list[RunEvent]:
    raw_table, columns = TABLES[table]
    source = f"shop.public.{table}"
    job = Job(namespace=SYNC, name=f"shop_postgres.{table}", facets={
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="FIVETRAN", jobType="SYNC"),
        "ownership": ownership_job.OwnershipJobFacet(owners=[ownership_job.Owner(name="platform-team@shop.example")]),
    })
    run_id = run_uuid(label)
    inputs = [InputDataset(namespace=SOURCE_DB, name=source,
                           facets={"schema": _schema([(c[0], c[2]) for c in columns])})]
    output_facets = {"schema": _schema([(c[1], c[2]) for c in columns]),
                     "columnLineage": _copy_lineage(source, columns)}
    start_event = RunEvent(eventType=RunState.START, eventTime=start, run=Run(runId=run_id), job=job,
                           producer=PRODUCER, inputs=inputs,
                           outputs=[OutputDataset(namespace=WAREHOUSE, name=f"shop.raw.{raw_table}")])
    run_facets = {"errorMessage": error_message_run.ErrorMessageRunFacet(
        message=error, programmingLanguage="java",
        stackTrace=f"com.fivetran.SyncException: {error}\n\tat com.fivetran.Sync.run(Sync.java:42)")} if error else {}
    outputs = [] if error else [OutputDataset(
        namespace=WAREHOUSE, name=f"shop.raw.{raw_table}", facets=output_facets,
        outputFacets={"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=rows)},
    )]
    end_event = RunEvent(eventType=state, eventTime=end, run=Run(runId=run_id, facets=run_facets), job=job,
                         producer=PRODUCER, inputs=inputs, outputs=outputs)
    return [start_event, end_event]


def _clickstream_events() -> list[RunEvent]:
    job = Job(namespace=PLATFORM, name="clickstream.land_web_events", facets={
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="AIRFLOW", jobType="TASK"),
        "documentation": documentation_job.DocumentationJobFacet(
            description="Lands the storefront tracker's clickstream files as raw.web_events, dropping bot traffic."),
    })
    run = Run(runId=run_uuid("clickstream-2024-06-01"), facets={
        "nominalTime": nominal_time_run.NominalTimeRunFacet(nominalStartTime="2024-06-01T01:00:00.000Z")})
    files = InputDataset(namespace="s3://shop-events", name="clickstream",
                         facets={"schema": _schema([*CLICKSTREAM, ("is_bot", "BOOLEAN")])})
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            name: column_lineage_dataset.Fields(inputFields=[column_lineage_dataset.InputField(
                namespace="s3://shop-events", name="clickstream", field=name,
                transformations=[column_lineage_dataset.Transformation(type="DIRECT", subtype="IDENTITY")])])
            for name, _ in CLICKSTREAM
        },
        dataset=[column_lineage_dataset.InputField(
            namespace="s3://shop-events", name="clickstream", field="is_bot",
            transformations=[column_lineage_dataset.Transformation(type="INDIRECT", subtype="FILTER")])],
    )
    output = OutputDataset(namespace=WAREHOUSE, name="shop.raw.web_events",
                           facets={"schema": _schema(CLICKSTREAM), "columnLineage": lineage})
    return [
        RunEvent(eventType=RunState.START, eventTime="2024-06-01T01:00:05.000Z", run=run, job=job,
                 producer="https://github.com/apache/airflow/providers-openlineage/1.8.0", inputs=[files]),
        RunEvent(eventType=RunState.COMPLETE, eventTime="2024-06-01T01:04:40.000Z", run=run, job=job,
                 producer="https://github.com/apache/airflow/providers-openlineage/1.8.0", inputs=[files],
                 outputs=[output]),
    ]


def build_events() -> list[RunEvent]:
    events: list[RunEvent] = []
    for minute, table in enumerate(TABLES):
        rows = {"customers": 50, "orders": 120, "order_items": 260, "payments": 130, "products": 12}[table]
        start = f"2024-06-01T02:{minute * 5:02d}:00.000Z"
        end = f"2024-06-01T02:{minute * 5 + 2:02d}:30.000Z"
        if table == "payments":
            events += _sync_events(table, "payments-attempt-1", "2024-06-01T01:55:00.000Z",
                                   "2024-06-01T01:55:40.000Z", RunState.FAIL, 0,
                                   error="connection reset by peer while reading shop.public.payments")
        events += _sync_events(table, f"{table}-2024-06-01", start, end, RunState.COMPLETE, rows)
    events += _clickstream_events()
    return sorted(events, key=lambda e: e.eventTime)


def to_ndjson(events: list[RunEvent]) -> str:
    return "".join(Serde.to_json(event) + "\n" for event in events)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURE
    target.write_text(to_ndjson(build_events()), encoding="utf-8")
    print(target)
