"""Warehouse catalog ingestor: tables, views, columns, keys and comments read through SQLAlchemy."""
