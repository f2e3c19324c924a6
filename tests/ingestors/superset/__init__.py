"""Tests of the Superset ingestor."""
