"""Dataset naming after the OpenLineage naming spec: a dataset is (namespace, name).

The namespace names the data source (`postgres://host:5432`, `bigquery`, `snowflake://org-account`),
the name is the path inside it (`database.schema.table`). Each platform folds unquoted identifiers its
own way, so names are normalised per platform before they become ids: that is what makes the table dbt
calls `main.orders`, the catalog calls `MAIN.ORDERS` and an OpenLineage event calls `shop.main.orders`
one node.
"""

from dataclasses import dataclass
from urllib.parse import quote
from enum import StrEnum

from graph_schema.errors import InvalidIdError
from graph_schema.ids import DATASET_PREFIX, ID_SAFE, make_id


class Case(StrEnum):
    LOWER = "lower"
    UPPER = "upper"
    PRESERVE = "preserve"


@dataclass(frozen=True)
class Platform:
    name: str
    case: Case
    # how many dot-separated parts a fully qualified table name has on this platform
    parts: int
    needs_authority: bool
    # Whether quoting makes an identifier case-sensitive (DuckDB ignores case even in quotes).
    quoted_keeps_case: bool = True


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("postgres", Case.LOWER, 3, True),
        Platform("redshift", Case.LOWER, 3, True),
        Platform("duckdb", Case.LOWER, 3, True, quoted_keeps_case=False),
        Platform("mysql", Case.PRESERVE, 2, True),
        Platform("trino", Case.LOWER, 3, True),
        Platform("snowflake", Case.UPPER, 3, True),
        Platform("bigquery", Case.PRESERVE, 3, False),
        Platform("databricks", Case.LOWER, 3, True),
        Platform("spark", Case.LOWER, 2, True),
        Platform("sqlite", Case.PRESERVE, 2, True),
        Platform("file", Case.PRESERVE, 1, True),
        Platform("s3", Case.PRESERVE, 1, True),
        Platform("gs", Case.PRESERVE, 1, True),
    )
}

# Other spellings of a platform seen in SQLAlchemy URLs, dbt adapter types and OpenLineage namespaces.
PLATFORM_ALIASES: dict[str, str] = {
    "postgresql": "postgres",
    "psycopg": "postgres",
    "psycopg2": "postgres",
    "awsathena": "trino",
    "mariadb": "mysql",
    "sqlserver": "mssql",
}


def platform(name: str) -> Platform:
    key = name.lower().split("+", 1)[0]
    key = PLATFORM_ALIASES.get(key, key)
    return PLATFORMS.get(key) or Platform(key, Case.PRESERVE, 3, True)


def _strip_quotes(part: str) -> tuple[str, bool]:
    for q_open, q_close in (('"', '"'), ("`", "`"), ("[", "]")):
        if len(part) >= 2 and part.startswith(q_open) and part.endswith(q_close):
            return part[1:-1], True
    return part, False


def normalise_part(part: str, plat: Platform) -> str:
    """Fold one identifier the way the platform folds an unquoted one; quoted parts keep their case
    where the platform treats quoted identifiers as case-sensitive."""
    text, quoted = _strip_quotes(part.strip())
    if (quoted and plat.quoted_keeps_case) or plat.case is Case.PRESERVE:
        return text
    return text.lower() if plat.case is Case.LOWER else text.upper()


def split_name(name: str) -> list[str]:
    """Split `a."b.c".d` into its parts, keeping quoted dots."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    closing = {'"': '"', "`": "`", "[": "]"}
    for ch in name:
        if quote:
            current.append(ch)
            if ch == closing[quote]:
                quote = None
        elif ch in closing:
            quote = ch
            current.append(ch)
        elif ch == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    if any(not p.strip() for p in parts):
        raise InvalidIdError(f"dataset name {name!r} has an empty part")
    return parts


@dataclass(frozen=True)
class DatasetName:
    namespace: str
    name: str

    @property
    def uri(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        # Names may hold spaces or other characters ids cannot: they are percent-encoded, deterministically.
        return make_id(DATASET_PREFIX, quote(self.uri, safe=ID_SAFE))


def namespace_for(platform_name: str, authority: str | None = None) -> str:
    """`postgres` + `db.example.com:5432` -> `postgres://db.example.com:5432`; BigQuery has no authority."""
    plat = platform(platform_name)
    if not plat.needs_authority:
        return plat.name
    if not authority:
        raise InvalidIdError(f"a {plat.name} dataset namespace needs a host or account (scheme://authority)")
    return f"{plat.name}://{authority.strip('/').lower()}"


def dataset_name(platform_name: str, authority: str | None, *parts: str | None) -> DatasetName:
    """Normalised (namespace, name) of a table given its platform, authority and name parts.

    `parts` may be given as separate parts (database, schema, table) or as one dotted string; missing
    leading parts (None) are dropped.
    """
    plat = platform(platform_name)
    flat: list[str] = []
    for part in parts:
        if part is None or part == "":
            continue
        flat.extend(split_name(part) if len(parts) == 1 else [part])
    if not flat:
        raise InvalidIdError("a dataset name needs at least a table name")
    name = ".".join(normalise_part(p, plat) for p in flat)
    return DatasetName(namespace_for(plat.name, authority), name)


def parse_namespace(namespace: str) -> tuple[str, str | None]:
    """`postgres://h:5432` -> (`postgres`, `h:5432`); `bigquery` -> (`bigquery`, None)."""
    if "://" in namespace:
        scheme, authority = namespace.split("://", 1)
        return platform(scheme).name, authority or None
    return platform(namespace).name, None


def from_openlineage(namespace: str, name: str) -> DatasetName:
    """Normalise an OpenLineage (namespace, name) pair so it meets the same table seen elsewhere."""
    plat_name, authority = parse_namespace(namespace)
    plat = platform(plat_name)
    if plat.name in ("file", "s3", "gs"):
        return DatasetName(namespace, name)
    return dataset_name(plat.name, authority, name)
