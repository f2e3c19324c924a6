"""Tests of the ingestors."""
