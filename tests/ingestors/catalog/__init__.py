"""Tests of the warehouse catalog ingestor."""
