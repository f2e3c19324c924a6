"""Metabase ingestor: databases' metadata, cards (native SQL and MBQL questions, models) and dashboards."""
