"""LookML ingestor: views, fields, explores and LookML dashboards of a Looker project folder."""
