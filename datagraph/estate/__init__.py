"""The bundled sample estate: an online shop's dbt project and the BI and OpenLineage exports built on it.

`datagraph demo` builds the dbt project with real dbt on DuckDB and ingests it with everything else here;
the test suite ingests the same files.
"""

from pathlib import Path

ESTATE_DIR = Path(__file__).resolve().parent
SHOP_DBT_DIR = ESTATE_DIR / "shop_dbt"
LOOKML_PROJECT = ESTATE_DIR / "lookml" / "shop_looker"
LOOKML_CONNECTION = "shop_warehouse"
SUPERSET_EXPORT = ESTATE_DIR / "superset" / "shop_export"
METABASE_EXPORT = ESTATE_DIR / "metabase" / "shop_export.json"
OPENLINEAGE_EVENTS = ESTATE_DIR / "openlineage" / "shop_loads.ndjson"
