"""OpenLineage ingestor: run, job and dataset events stored as received, then projected into the graph."""
