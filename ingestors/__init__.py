"""Ingestors: each harvests one kind of source into graph nodes and edges and writes them as one run."""
