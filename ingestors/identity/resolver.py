"""Which dataset a table name means: fully qualified names directly, partial ones only when unambiguous.

A BI tool often names a table without its database or schema (`orders`, `analytics.orders`). Missing
leading parts are filled from the connection (its database, its configured default schema). When the
schema is missing and the connection names none, the tables already known in that database decide: one
table of that name is the one meant; several are reported as ambiguous and none is picked; none leaves
the name unresolved. A guess would put a chart on the wrong table's lineage, which is worse than no edge.
"""

from collections.abc import Iterable
from typing import Protocol

from graph_schema.errors import InvalidIdError
from graph_schema.ids import DATASET_PREFIX
from graph_schema.kinds import DATASET_KINDS, EdgeKind
from graph_schema.naming import DatasetName, normalise_part, parse_namespace, platform, split_name
from graph_schema.store import Direction, GraphStore
from ingestors.common.report import IngestReport
from ingestors.identity.warehouse import Warehouse, name_parts

STAGE = "identity"


class Catalogue(Protocol):
    """What the graph already knows about datasets, for resolving names a source leaves partial."""

    def datasets_named(self, table: str) -> list[str]:
        """Ids of datasets whose name or alias is `table` (any namespace, ignoring case)."""
        ...

    def columns_of(self, dataset_id: str) -> dict[str, str]:
        """{column name as stored: data type or ''} of a dataset."""
        ...


class EmptyCatalogue:
    """Knows nothing: a source then resolves names only from what it lists itself."""

    def datasets_named(self, table: str) -> list[str]:
        return []

    def columns_of(self, dataset_id: str) -> dict[str, str]:
        return {}


class StoreCatalogue:
    """The catalogue of the graph as it stands before this run."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._named: dict[str, list[str]] = {}
        self._columns: dict[str, dict[str, str]] = {}

    def datasets_named(self, table: str) -> list[str]:
        key = table.lower()
        if key not in self._named:
            found = self._store.find_by_name(table, DATASET_KINDS, limit=200)
            self._named[key] = sorted(n.id for n in found)
        return self._named[key]

    def columns_of(self, dataset_id: str) -> dict[str, str]:
        if dataset_id not in self._columns:
            neighbours = self._store.neighbours(dataset_id, Direction.DOWNSTREAM, [EdgeKind.HAS_COLUMN])
            self._columns[dataset_id] = {
                n.node.name: str(n.node.props.get("data_type") or "") for n in neighbours
            }
        return self._columns[dataset_id]


def split_dataset_id(dataset_id: str) -> tuple[str, str]:
    """`dataset:duckdb://shop/shop.main.orders` -> (`duckdb://shop`, `shop.main.orders`)."""
    body = dataset_id.split(":", 1)[1] if dataset_id.startswith(f"{DATASET_PREFIX}:") else dataset_id
    scheme, sep, rest = body.partition("://")
    if sep:
        authority, _, name = rest.partition("/")
        return f"{scheme}://{authority}", name
    namespace, _, name = body.partition("/")
    return namespace, name


def platform_of(dataset_id: str) -> str:
    return parse_namespace(split_dataset_id(dataset_id)[0])[0]


class TableResolver:
    """Resolves table names read through one warehouse connection, reporting what it will not guess."""

    def __init__(self, warehouse: Warehouse, catalogue: Catalogue, report: IngestReport) -> None:
        self.warehouse = warehouse
        self._catalogue = catalogue
        self._report = report
        # tables the source lists itself, by folded table name
        self._listed: dict[str, set[str]] = {}
        self._warned: set[tuple[str, str]] = set()

    def with_warehouse(self, warehouse: Warehouse) -> "TableResolver":
        """The same resolver reading through another connection setting (e.g. a default schema)."""
        other = TableResolver(warehouse, self._catalogue, self._report)
        other._listed = self._listed
        other._warned = self._warned
        return other

    def know(self, name: DatasetName) -> None:
        """A table the source itself lists in full (e.g. Metabase's table metadata)."""
        table = split_name(name.name)[-1]
        self._listed.setdefault(table.lower(), set()).add(name.id)

    def resolve(self, name: str | Iterable[str], item: str) -> DatasetName | None:
        """The dataset `name` means, or None (with a warning naming `item`) when it cannot be told."""
        wh = self.warehouse
        try:
            parts = name_parts(name if isinstance(name, str) else list(name))
        except InvalidIdError as exc:
            self._warn(item, str(name), f"table name {name!r} is not a name: {exc}")
            return None
        spelled = ".".join(parts)
        size = wh.parts
        if len(parts) > size:
            self._warn(item, spelled, f"table name {spelled!r} has more parts than a {wh.platform} table")
            return None
        fill: list[str | None] = [wh.database, wh.default_schema][: size - 1] if size > 1 else []
        missing = size - len(parts)
        prefix = fill[:missing]
        if all(p is not None for p in prefix):
            return wh.dataset(*[p for p in prefix if p is not None], *parts)
        if missing >= 1 and prefix[0] is None:
            self._warn(item, spelled, f"table {spelled!r}: the connection {wh.namespace} names no database")
            return None
        return self._search(parts[-1], spelled, item)

    def _search(self, table: str, spelled: str, item: str) -> DatasetName | None:
        """A table named without its schema: the one table of that name in the database, if only one."""
        wh = self.warehouse
        plat = platform(wh.platform)
        folded = normalise_part(table, plat)
        candidates = set(self._listed.get(folded.lower(), ()))
        candidates.update(self._catalogue.datasets_named(folded))
        matching = sorted(c for c in candidates if self._in_database(c, folded))
        if len(matching) == 1:
            namespace, qualified = split_dataset_id(matching[0])
            return DatasetName(namespace, qualified)
        if not matching:
            self._warn(item, spelled, f"table {spelled!r} names no schema and no table of that name is known "
                                      f"in {wh.describe()}: ingest the warehouse catalog or qualify the name")
            return None
        shown = ", ".join(split_dataset_id(m)[1] for m in matching[:5])
        self._warn(item, spelled, f"table {spelled!r} is ambiguous in {wh.describe()}: it could be {shown}; "
                                  "not linked (qualify it with its schema)")
        self._report.stats["ambiguous_tables"] = int(self._report.stats.get("ambiguous_tables", 0) or 0) + 1
        return None

    def _in_database(self, dataset_id: str, table: str) -> bool:
        wh = self.warehouse
        namespace, qualified = split_dataset_id(dataset_id)
        if namespace != wh.namespace:
            return False
        try:
            parts = split_name(qualified)
        except InvalidIdError:
            return False
        if len(parts) != wh.parts or parts[-1] != table:
            return False
        return wh.database is None or wh.parts < 3 or parts[0] == wh.fold(wh.database)

    def _warn(self, item: str, spelled: str, message: str) -> None:
        if (item, spelled) not in self._warned:
            self._warned.add((item, spelled))
            self._report.warn(item, STAGE, message)
