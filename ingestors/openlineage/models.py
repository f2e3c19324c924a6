"""OpenLineage events as pydantic models: what the ingestor reads of the spec, validated on arrival.

Only what the projection uses is typed (the rest is kept in the raw event log as received). Facets that
producers mark deleted (`_deleted: true`) or shape wrongly fail validation of that event only.
"""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graph_schema.errors import InvalidIdError
from graph_schema.naming import DatasetName, from_openlineage

# Spec majors this projection reads (events say e.g. .../spec/2-0-2/OpenLineage.json). A new major changes
# what fields mean, so its events are refused rather than read half-right.
SUPPORTED_SPEC_MAJORS = (1, 2)
_SPEC_VERSION = re.compile(r"/spec/(\d+)-(\d+)-(\d+)/OpenLineage\.json")

RunState = Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]
TERMINAL_STATES = frozenset({"COMPLETE", "ABORT", "FAIL"})


def _utc(value: datetime) -> datetime:
    # a producer that omits the offset means UTC: the spec's examples and clients all write UTC
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


EventTime = Annotated[datetime, AfterValidator(_utc)]
Text = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


# ---- facets ----------------------------------------------------------------------------------------

class SchemaField(_Model):
    name: Text
    type: str | None = None
    description: str | None = None
    fields: list["SchemaField"] = Field(default_factory=list)


class SchemaFacet(_Model):
    fields: list[SchemaField] = Field(default_factory=list)


class ColumnTransformation(_Model):
    type: str
    subtype: str | None = None
    description: str | None = None
    masking: bool | None = None


class InputField(_Model):
    namespace: Text
    name: Text
    field: Text
    transformations: list[ColumnTransformation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _named(self) -> "InputField":
        _dataset_name(self.namespace, self.name)
        return self

    @property
    def dataset(self) -> DatasetName:
        return from_openlineage(self.namespace, self.name)


class FieldLineage(_Model):
    inputFields: list[InputField] = Field(default_factory=list)
    transformationDescription: str | None = None
    transformationType: str | None = None


class ColumnLineageFacet(_Model):
    fields: dict[str, FieldLineage] = Field(default_factory=dict)
    dataset: list[InputField] = Field(default_factory=list)


class Owner(_Model):
    name: Text
    type: str | None = None


class OwnershipFacet(_Model):
    owners: list[Owner] = Field(default_factory=list)


class DocumentationFacet(_Model):
    description: str = ""


class SymlinkIdentifier(_Model):
    namespace: str
    name: str
    type: str | None = None


class SymlinksFacet(_Model):
    identifiers: list[SymlinkIdentifier] = Field(default_factory=list)


class DatasetFacets(_Model):
    schema_: SchemaFacet | None = Field(default=None, alias="schema")
    columnLineage: ColumnLineageFacet | None = None
    documentation: DocumentationFacet | None = None
    ownership: OwnershipFacet | None = None
    symlinks: SymlinksFacet | None = None


class OutputStatistics(_Model):
    rowCount: int | None = None
    size: int | None = None


class OutputFacets(_Model):
    outputStatistics: OutputStatistics | None = None


class JobTypeFacet(_Model):
    processingType: str | None = None
    integration: str | None = None
    jobType: str | None = None


class SqlFacet(_Model):
    query: str


class SourceCodeLocationFacet(_Model):
    type: str | None = None
    url: str | None = None
    repoUrl: str | None = None
    path: str | None = None
    version: str | None = None


class JobFacets(_Model):
    jobType: JobTypeFacet | None = None
    sql: SqlFacet | None = None
    documentation: DocumentationFacet | None = None
    ownership: OwnershipFacet | None = None
    sourceCodeLocation: SourceCodeLocationFacet | None = None


class ErrorMessageFacet(_Model):
    message: str
    programmingLanguage: str | None = None
    stackTrace: str | None = None


class NominalTimeFacet(_Model):
    nominalStartTime: EventTime
    nominalEndTime: EventTime | None = None


class ParentJob(_Model):
    namespace: Text
    name: Text


class ParentRun(_Model):
    runId: UUID


class ParentFacet(_Model):
    job: ParentJob
    run: ParentRun


class RunFacets(_Model):
    errorMessage: ErrorMessageFacet | None = None
    nominalTime: NominalTimeFacet | None = None
    parent: ParentFacet | None = None


# ---- events ----------------------------------------------------------------------------------------

def _dataset_name(namespace: str, name: str) -> DatasetName:
    try:
        return from_openlineage(namespace, name)
    except InvalidIdError as exc:
        raise ValueError(f"dataset {namespace}/{name} cannot be named: {exc}") from None


class Dataset(_Model):
    namespace: Text
    name: Text
    facets: DatasetFacets = Field(default_factory=DatasetFacets)
    outputFacets: OutputFacets = Field(default_factory=OutputFacets)

    @model_validator(mode="after")
    def _named(self) -> "Dataset":
        _dataset_name(self.namespace, self.name)
        return self

    @property
    def dataset(self) -> DatasetName:
        return from_openlineage(self.namespace, self.name)


class Job(_Model):
    namespace: Text
    name: Text
    facets: JobFacets = Field(default_factory=JobFacets)

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


class Run(_Model):
    runId: UUID
    facets: RunFacets = Field(default_factory=RunFacets)


class _Event(_Model):
    eventTime: EventTime
    producer: Text
    schemaURL: Text

    @field_validator("schemaURL")
    @classmethod
    def _supported_spec(cls, value: str) -> str:
        found = _SPEC_VERSION.search(value)
        if found is not None and int(found.group(1)) not in SUPPORTED_SPEC_MAJORS:
            supported = " and ".join(f"{major}-x-x" for major in SUPPORTED_SPEC_MAJORS)
            raise ValueError(f"OpenLineage spec {'-'.join(found.groups())} is not supported (supported: {supported})")
        return value


class RunEvent(_Event):
    eventType: RunState | None = None
    run: Run
    job: Job
    inputs: list[Dataset] = Field(default_factory=list)
    outputs: list[Dataset] = Field(default_factory=list)

    @field_validator("eventType", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class JobEvent(_Event):
    """Static lineage: a job's inputs and outputs without a run."""

    job: Job
    inputs: list[Dataset] = Field(default_factory=list)
    outputs: list[Dataset] = Field(default_factory=list)


class DatasetEvent(_Event):
    dataset: Dataset


Event = RunEvent | JobEvent | DatasetEvent


class EventError(ValueError):
    """One event is not valid; the message is one line naming the field and the fault."""


def parse_event(raw: Any) -> Event:
    """The event `raw` (decoded JSON) is, or EventError naming the first fault."""
    if not isinstance(raw, dict):
        raise EventError(f"an event is a JSON object, not {type(raw).__name__}")
    model: type[_Event]
    if "run" in raw:
        model = RunEvent
    elif "job" in raw:
        model = JobEvent
    elif "dataset" in raw:
        model = DatasetEvent
    else:
        raise EventError("not an OpenLineage event: it has no run, job or dataset")
    try:
        return model.model_validate(raw)  # type: ignore[return-value]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        message = str(first["msg"]).removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise EventError(f"{model.__name__} {where}: {message}{more}") from None
