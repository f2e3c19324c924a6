"""The ground floor of datagraph: node and edge models, ids and naming, the GraphStore and the vector index."""

from graph_schema.kinds import DATASET_KINDS, EdgeKind, NodeKind
from graph_schema.models import Edge, Node

__all__ = ["DATASET_KINDS", "Edge", "EdgeKind", "Node", "NodeKind"]
