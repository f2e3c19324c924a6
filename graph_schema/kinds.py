"""The kinds of nodes and edges the graph holds.

Edges that carry data point the way data flows (upstream -> downstream), so "downstream" is always
"follow edges forward" and "upstream" is "follow edges backward", whatever the edge kind.
"""

from enum import StrEnum


class NodeKind(StrEnum):
    # datasets: one physical relation is one node, whatever source saw it
    SOURCE = "source"
    MODEL = "model"
    SEED = "seed"
    SNAPSHOT = "snapshot"
    TABLE = "table"
    VIEW = "view"
    COLUMN = "column"
    # semantic layer
    METRIC = "metric"
    SEMANTIC_MODEL = "semantic_model"
    MEASURE = "measure"
    DIMENSION = "dimension"
    ENTITY = "entity"
    SAVED_QUERY = "saved_query"
    GLOSSARY_TERM = "glossary_term"
    # BI
    DASHBOARD = "dashboard"
    CHART = "chart"
    EXPLORE = "explore"
    FIELD = "field"
    # operations and governance
    JOB = "job"
    RUN = "run"
    TEST = "test"
    EXPOSURE = "exposure"
    GROUP = "group"


DATASET_KINDS: frozenset[NodeKind] = frozenset(
    {NodeKind.SOURCE, NodeKind.MODEL, NodeKind.SEED, NodeKind.SNAPSHOT, NodeKind.TABLE, NodeKind.VIEW}
)

# When two sources describe the same physical dataset with different kinds, the more specific wins:
# a dbt model that a catalog sees as a table stays a model.
DATASET_KIND_PRECEDENCE: tuple[NodeKind, ...] = (
    NodeKind.MODEL,
    NodeKind.SNAPSHOT,
    NodeKind.SEED,
    NodeKind.SOURCE,
    NodeKind.VIEW,
    NodeKind.TABLE,
)


class EdgeKind(StrEnum):
    FEEDS = "feeds"  # data flows from source to target (dataset, job, semantic object, BI object)
    COLUMN_FEEDS = "column_feeds"  # a column's values flow into another column (carries transformation)
    COLUMN_SHAPES = "column_shapes"  # a column filters, joins or groups the rows of a dataset
    HAS_COLUMN = "has_column"  # dataset -> its column
    HAS_FIELD = "has_field"  # semantic model / explore / BI view -> measure, dimension, entity, field
    CONTAINS = "contains"  # dashboard -> chart/tile, explore -> view
    TESTS = "tests"  # test -> the asset or column it tests
    MEMBER_OF = "member_of"  # asset -> group
    REPLACED_BY = "replaced_by"  # deprecated asset -> its replacement


# Edge kinds along which a change propagates downstream; used as the default for lineage and impact.
# CONTAINS is not one: a dashboard contains charts that may not read the changed data (charts feed
# their dashboards with FEEDS edges instead).
LINEAGE_EDGE_KINDS: frozenset[EdgeKind] = frozenset(
    {EdgeKind.FEEDS, EdgeKind.COLUMN_FEEDS, EdgeKind.COLUMN_SHAPES, EdgeKind.HAS_FIELD}
)


class Transformation(StrEnum):
    """How an output column is made from an input column."""

    PASSTHROUGH = "passthrough"
    RENAMED = "renamed"
    DERIVED = "derived"
    AGGREGATED = "aggregated"
    WINDOW = "window"
    # the input does not reach the output's values, only which rows exist
    FILTER = "filter"
    JOIN = "join"
    GROUP_BY = "group_by"
