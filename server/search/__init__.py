"""Finding assets and metrics by what people call them: hybrid retrieval, ranking, metric definitions and SQL."""
