"""The impact_analysis tool."""

from server.tools.context import ToolContext
from server.tools.schemas import ImpactInput, ImpactOutput


def impact_analysis(ctx: ToolContext, args: ImpactInput) -> ImpactOutput:
    # Plan: store.traverse downstream from the target (column-level for column changes), classify severity.
    raise NotImplementedError("impact_analysis needs the GraphStore read API")
