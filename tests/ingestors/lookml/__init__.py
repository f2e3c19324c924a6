"""Tests of the LookML ingestor."""
