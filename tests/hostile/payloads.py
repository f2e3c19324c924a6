"""Hostile argument values, by category: what an attacker or a confused model may send a tool."""

from typing import Any


def _deep_json(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": [value]}
    return value


CYPHER = (
    "x' }) MATCH (n) DETACH DELETE n //",
    "stg_orders\"}) RETURN 1 UNION MATCH (n) RETURN n.id AS id //",
    "') CALL db.labels() YIELD label RETURN label //",
    "$ref",
    "{ref}",
    "`Asset`",
    "MERGE (n:Asset {id: 'pwned'})",
)
SQL = (
    "'; DROP TABLE audit_log; --",
    "stg_orders' OR '1'='1",
    "1; DELETE FROM proposals",
    "\" OR \"\"=\"",
    "%' UNION SELECT * FROM sqlite_master --",
    "?",
    "%s",
)
PATH_TRAVERSAL = (
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "file:///etc/shadow",
    "dataset:duckdb://shop/../../etc",
    "/dev/zero",
    "~/.ssh/id_rsa",
)
HUGE = ("x" * 1_000_000, "orders " * 100_000, "a." * 200_000)
UNICODE = (
    "stg\u200borders",  # zero-width space
    "ѕtg_orders",  # Cyrillic s
    "stg_orders\u202e",  # right-to-left override
    "\x00",
    "stg_orders\x00 OR 1=1",
    "\ud83d\ude00" * 10,
    "\ufeffstg_orders",
    "",
    " ",
    "\n\r\t",
)
DEEP_JSON = (_deep_json(200), "[" * 5000 + "]" * 5000, [[[[[]]]]] * 50)
WRONG_TYPES: tuple[Any, ...] = (None, 0, -1, 2**63, 1e308, float("nan"), True, [], {}, ["a"], {"$ne": None})

STRING_CATEGORIES: dict[str, tuple[Any, ...]] = {
    "cypher": CYPHER,
    "sql": SQL,
    "path": PATH_TRAVERSAL,
    "huge": HUGE,
    "unicode": UNICODE,
}
VALUE_CATEGORIES: dict[str, tuple[Any, ...]] = {"deep_json": DEEP_JSON, "wrong_type": WRONG_TYPES}
