"""Tests of the Metabase ingestor."""
