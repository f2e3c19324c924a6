"""OpenLineage events in, graph nodes and edges out. Pure: no event log, no store.

Each job becomes a job node fed by its input datasets and feeding its outputs, as seen over its kept runs
and static job events; each kept run becomes a run node (state, timing, error) that is a member of its
job. Dataset names follow the OpenLineage naming spec, normalised so the same table seen by dbt or the
catalog is the same node. Schema facets give columns, columnLineage facets give column edges.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from graph_schema.ids import make_id
from graph_schema.kinds import EdgeKind, NodeKind, Transformation
from graph_schema.models import Node
from ingestors.common.report import IngestReport
from ingestors.identity.builder import GraphBuilder, unique
from ingestors.identity.resolver import EmptyCatalogue
from ingestors.openlineage.models import (
    TERMINAL_STATES,
    Dataset,
    DatasetEvent,
    DatasetFacets,
    Event,
    FieldLineage,
    Job,
    JobEvent,
    JobFacets,
    RunEvent,
    SchemaField,
)

SOURCE = "openlineage"
STACK_TRACE_KEPT = 2000
_ID_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in "#%")
_NAME_SAFE = _ID_SAFE.replace("/", "")
SHAPING_SUBTYPES = {"FILTER": Transformation.FILTER, "JOIN": Transformation.JOIN, "GROUP_BY": Transformation.GROUP_BY}
DIRECT_SUBTYPES = {"TRANSFORMATION": Transformation.DERIVED, "AGGREGATION": Transformation.AGGREGATED}
INDIRECT_VALUE_SUBTYPES = {"WINDOW": Transformation.WINDOW, "CONDITIONAL": Transformation.DERIVED}
JOB_FACETS = frozenset(JobFacets.model_fields)
DATASET_FACETS = frozenset(DatasetFacets.model_fields) - {"columnLineage"}


def job_id(namespace: str, name: str) -> str:
    return make_id(NodeKind.JOB.value, f"{quote(namespace, safe=_ID_SAFE)}/{quote(name, safe=_NAME_SAFE)}")


def run_id(value: str) -> str:
    return make_id(NodeKind.RUN.value, value)


@dataclass
class RunHistory:
    run_id: str
    events: list[RunEvent] = field(default_factory=list)

    @property
    def started(self) -> datetime:
        starts = [e.eventTime for e in self.events if e.eventType == "START"]
        return min(starts or [e.eventTime for e in self.events])


@dataclass
class JobHistory:
    job: Job
    runs: dict[str, RunHistory] = field(default_factory=dict)
    static: list[JobEvent] = field(default_factory=list)
    # the latest facets of each kind, in event-time order
    facets: dict[str, Any] = field(default_factory=dict)


def project(events: list[Event], report: IngestReport) -> GraphBuilder:
    """Nodes and edges of `events` (in event-time order)."""
    builder = GraphBuilder(report, EmptyCatalogue())
    jobs: dict[tuple[str, str], JobHistory] = {}
    datasets: dict[str, tuple[Dataset, dict[str, Any]]] = {}
    for event in events:
        if isinstance(event, DatasetEvent):
            _remember_dataset(datasets, event.dataset)
            continue
        state = jobs.setdefault(event.job.key, JobHistory(job=event.job))
        state.job = event.job
        for name, value in event.job.facets:
            if name in JOB_FACETS and value is not None:
                state.facets[name] = value
        if isinstance(event, RunEvent):
            state.runs.setdefault(str(event.run.runId), RunHistory(str(event.run.runId))).events.append(event)
        else:
            state.static.append(event)
        for dataset in [*event.inputs, *event.outputs]:
            _remember_dataset(datasets, dataset)
    with report.timed("project"):
        for dataset, facets in datasets.values():
            _add_dataset(builder, dataset, facets)
        for state in jobs.values():
            _add_job(builder, state)
    report.stats.update({"jobs": len(jobs), "runs": sum(len(s.runs) for s in jobs.values()),
                         "datasets": len(datasets)})
    builder.count()
    return builder


def _remember_dataset(datasets: dict[str, tuple[Dataset, dict[str, Any]]], dataset: Dataset) -> None:
    """Keep each dataset's latest facets of each kind (events arrive in event-time order)."""
    key = dataset.dataset.id
    _, facets = datasets.get(key, (dataset, {}))
    for name, value in dataset.facets:
        if name in DATASET_FACETS and value is not None:
            facets[name] = value
    datasets[key] = (dataset, facets)


def _flatten(fields: list[SchemaField], prefix: str = "") -> list[SchemaField]:
    out: list[SchemaField] = []
    for item in fields:
        name = f"{prefix}{item.name}"
        out.append(item.model_copy(update={"name": name}))
        out.extend(_flatten(item.fields, f"{name}."))
    return out


def _add_dataset(builder: GraphBuilder, dataset: Dataset, facets: dict[str, Any]) -> str:
    name = dataset.dataset
    documentation = facets.get("documentation")
    ownership = facets.get("ownership")
    symlinks = facets.get("symlinks")
    dataset_id = builder.dataset(
        name,
        dataset.name,
        description=documentation.description.strip() if documentation else "",
        owners=unique(o.name for o in ownership.owners) if ownership else (),
        props={"openlineage": {"namespace": dataset.namespace, "name": dataset.name}},
    )
    if symlinks:
        node = builder.nodes[dataset_id]
        builder.add_node(node.model_copy(update={"aliases": unique([*node.aliases,
                                                                     *(s.name for s in symlinks.identifiers)])}))
    schema = facets.get("schema_")
    if schema:
        for index, column in enumerate(_flatten(schema.fields), start=1):
            builder.column(dataset_id, column.name, exact=True, description=(column.description or "").strip(),
                           data_type=column.type, index=index)
    return dataset_id


def _ensure_dataset(builder: GraphBuilder, dataset: Dataset) -> str:
    dataset_id = dataset.dataset.id
    if dataset_id not in builder.nodes:
        return _add_dataset(builder, dataset, {})
    return dataset_id


def _add_job(builder: GraphBuilder, state: JobHistory) -> None:
    job = state.job
    node_id = job_id(job.namespace, job.name)
    facets = state.facets
    runs = sorted(state.runs.values(), key=lambda r: (r.started, r.run_id))
    latest = runs[-1] if runs else None
    job_type = facets.get("jobType")
    documentation = facets.get("documentation")
    ownership = facets.get("ownership")
    location = facets.get("sourceCodeLocation")
    sql = facets.get("sql")
    props: dict[str, Any] = {
        "namespace": job.namespace,
        "job_type": facet_dict(job_type) if job_type else None,
        "sql": sql.query if sql else None,
        "source_code_location": facet_dict(location) if location else None,
        "latest_run": _run_summary(latest) if latest else None,
        "runs_kept": len(runs),
    }
    builder.add_node(Node(
        id=node_id,
        kind=NodeKind.JOB,
        name=job.name,
        qualified_name=f"{job.namespace}/{job.name}",
        description=documentation.description.strip() if documentation else "",
        owners=unique(o.name for o in ownership.owners) if ownership else (),
        props={k: v for k, v in props.items() if v is not None},
    ))
    for run in runs:
        _add_run(builder, node_id, job, run)
    lineage_events: list[RunEvent | JobEvent] = [*state.static, *(e for r in runs for e in r.events)]
    for event in lineage_events:
        for dataset in event.inputs:
            builder.add_edge(_ensure_dataset(builder, dataset), node_id, EdgeKind.FEEDS)
        for dataset in event.outputs:
            output_id = _ensure_dataset(builder, dataset)
            builder.add_edge(node_id, output_id, EdgeKind.FEEDS)
            lineage = dataset.facets.columnLineage
            if lineage is not None:
                _add_column_lineage(builder, node_id, output_id, lineage.fields, lineage.dataset)


def facet_dict(facet: BaseModel) -> dict[str, Any]:
    """A facet's own fields, without the `_producer` / `_schemaURL` every facet carries."""
    return {k: v for k, v in facet.model_dump(mode="json", exclude_none=True).items() if not k.startswith("_")}


def _run_summary(run: RunHistory) -> dict[str, Any]:
    state, ended = _state(run)
    return {"run_id": run.run_id, "state": state, "started_at": run.started.isoformat(),
            "ended_at": ended.isoformat() if ended else None}


def _state(run: RunHistory) -> tuple[str, datetime | None]:
    terminal = [e for e in run.events if e.eventType in TERMINAL_STATES]
    if terminal:
        last = max(terminal, key=lambda e: e.eventTime)
        return str(last.eventType), last.eventTime
    last = max(run.events, key=lambda e: e.eventTime)
    return str(last.eventType or "OTHER"), None


def _add_run(builder: GraphBuilder, job_node: str, job: Job, run: RunHistory) -> None:
    state, ended = _state(run)
    error = next((e.run.facets.errorMessage for e in reversed(run.events) if e.run.facets.errorMessage), None)
    nominal = next((e.run.facets.nominalTime for e in run.events if e.run.facets.nominalTime), None)
    parent = next((e.run.facets.parent for e in run.events if e.run.facets.parent), None)
    outputs: dict[str, dict[str, Any]] = {}
    inputs: dict[str, None] = {}
    for event in run.events:
        for dataset in event.inputs:
            inputs[dataset.dataset.id] = None
        for dataset in event.outputs:
            entry = outputs.setdefault(dataset.dataset.id, {"dataset": dataset.dataset.id})
            stats = dataset.outputFacets.outputStatistics
            if stats is not None:
                entry.update({k: v for k, v in {"row_count": stats.rowCount, "size": stats.size}.items()
                              if v is not None})
    props: dict[str, Any] = {
        "job": job_node,
        "state": state,
        "started_at": run.started.isoformat(),
        "ended_at": ended.isoformat() if ended else None,
        "duration_s": round((ended - run.started).total_seconds(), 3) if ended else None,
        "event_types": [str(e.eventType or "OTHER") for e in run.events],
        "nominal_time": nominal.nominalStartTime.isoformat() if nominal else None,
        "error": {
            "message": error.message,
            "language": error.programmingLanguage,
            "stack_trace": (error.stackTrace or "")[:STACK_TRACE_KEPT] or None,
        } if error else None,
        "parent": {"job": job_id(parent.job.namespace, parent.job.name), "run_id": str(parent.run.runId)}
        if parent else None,
        "inputs": list(inputs),
        "outputs": list(outputs.values()),
        "producer": run.events[-1].producer,
    }
    builder.add_node(Node(
        id=run_id(run.run_id),
        kind=NodeKind.RUN,
        name=run.run_id,
        qualified_name=f"{job.namespace}/{job.name}/{run.run_id}",
        description=error.message.splitlines()[0][:300] if error and error.message else "",
        props={k: _clean(v) for k, v in props.items() if v is not None},
    ))
    # MEMBER_OF, not CONTAINS: a run is no step of the data's way downstream
    builder.add_edge(run_id(run.run_id), job_node, EdgeKind.MEMBER_OF)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None}
    return value


def _direct(subtype: str | None, source_column: str, target_column: str) -> Transformation:
    if subtype == "IDENTITY":
        return Transformation.PASSTHROUGH if source_column == target_column else Transformation.RENAMED
    return DIRECT_SUBTYPES.get(subtype or "", Transformation.DERIVED)


def _add_column_lineage(builder: GraphBuilder, job_node: str, output_id: str,
                        fields: dict[str, FieldLineage], dataset_wide: list[Any]) -> None:
    for column, lineage in fields.items():
        target = builder.column(output_id, column, exact=True)
        for source in lineage.inputFields:
            source_dataset = _ensure_dataset(builder, Dataset(namespace=source.namespace, name=source.name))
            source_column = builder.column(source_dataset, source.field, exact=True)
            transformations = source.transformations
            if not transformations:
                legacy = (lineage.transformationType or "").upper()
                how = (Transformation.PASSTHROUGH if source.field == column else Transformation.RENAMED) \
                    if legacy == "IDENTITY" else Transformation.DERIVED
                builder.add_edge(source_column, target, EdgeKind.COLUMN_FEEDS, {
                    "transformation": how.value, "confidence": 1.0, "job": job_node,
                    "description": lineage.transformationDescription,
                })
                continue
            for step in transformations:
                kind = step.type.upper()
                subtype = (step.subtype or "").upper()
                props = {"confidence": 1.0, "job": job_node, "description": step.description,
                         "masking": step.masking}
                if kind == "DIRECT":
                    how = _direct(subtype, source.field, column)
                    builder.add_edge(source_column, target, EdgeKind.COLUMN_FEEDS,
                                     {"transformation": how.value, **props})
                elif subtype in SHAPING_SUBTYPES:
                    builder.add_edge(source_column, output_id, EdgeKind.COLUMN_SHAPES,
                                     {"role": SHAPING_SUBTYPES[subtype].value, **props})
                elif subtype in INDIRECT_VALUE_SUBTYPES:
                    builder.add_edge(source_column, target, EdgeKind.COLUMN_FEEDS,
                                     {"transformation": INDIRECT_VALUE_SUBTYPES[subtype].value, **props})
    for source in dataset_wide:
        source_dataset = _ensure_dataset(builder, Dataset(namespace=source.namespace, name=source.name))
        source_column = builder.column(source_dataset, source.field, exact=True)
        for step in source.transformations:
            subtype = (step.subtype or "").upper()
            if subtype in SHAPING_SUBTYPES:
                builder.add_edge(source_column, output_id, EdgeKind.COLUMN_SHAPES,
                                 {"role": SHAPING_SUBTYPES[subtype].value, "confidence": 1.0, "job": job_node})
