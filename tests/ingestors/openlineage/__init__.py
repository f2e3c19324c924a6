"""Tests of the OpenLineage ingestor."""
