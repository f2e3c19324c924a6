"""Superset ingestor: databases, physical and virtual datasets, charts and dashboards of an export."""
