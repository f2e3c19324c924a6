"""The dbt ingestor: manifest, catalog, run results and semantic manifest into the graph."""
