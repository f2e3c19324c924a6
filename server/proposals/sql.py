"""SQL of the proposal store, shared by SQLite and PostgreSQL; values always travel as parameters.

A proposal is one row written whole (its document as JSON, its status and a version); every later step is an
event row (approve, reject, export). A decision updates the status only if the version is still the one the
reviewer read, and adds its event in the same transaction, so two reviewers never both decide.
"""

PROPOSALS = "datagraph_proposals"
EVENTS = "datagraph_proposal_events"

PROPOSAL_COLUMNS = ("proposal_id", "target", "status", "proposed_by", "proposed_at", "version", "document")
EVENT_COLUMNS = ("proposal_id", "kind", "principal", "role", "at", "comment", "details")


def schema(seq_type: str) -> tuple[str, ...]:
    return (
        f"""CREATE TABLE IF NOT EXISTS {PROPOSALS} (
        "seq" {seq_type},
        "proposal_id" TEXT NOT NULL UNIQUE,
        "target" TEXT NOT NULL,
        "status" TEXT NOT NULL,
        "proposed_by" TEXT NOT NULL,
        "proposed_at" TEXT NOT NULL,
        "version" INTEGER NOT NULL,
        "document" TEXT NOT NULL
    )""",
        f'CREATE INDEX IF NOT EXISTS {PROPOSALS}_status ON {PROPOSALS} ("status", "seq")',
        f'CREATE INDEX IF NOT EXISTS {PROPOSALS}_target ON {PROPOSALS} ("target", "seq")',
        f"""CREATE TABLE IF NOT EXISTS {EVENTS} (
        "seq" {seq_type},
        "proposal_id" TEXT NOT NULL,
        "kind" TEXT NOT NULL,
        "principal" TEXT NOT NULL,
        "role" TEXT NOT NULL,
        "at" TEXT NOT NULL,
        "comment" TEXT,
        "details" TEXT NOT NULL
    )""",
        f'CREATE INDEX IF NOT EXISTS {EVENTS}_proposal ON {EVENTS} ("proposal_id", "seq")',
    )


def _columns(names: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in names)


def insert_proposal(ph: str) -> str:
    return f"INSERT INTO {PROPOSALS} ({_columns(PROPOSAL_COLUMNS)}) VALUES ({', '.join([ph] * len(PROPOSAL_COLUMNS))})"


def insert_event(ph: str) -> str:
    return f"INSERT INTO {EVENTS} ({_columns(EVENT_COLUMNS)}) VALUES ({', '.join([ph] * len(EVENT_COLUMNS))})"


def select_proposals(ph: str, *, by_id: bool = False, status: bool = False, target: bool = False) -> str:
    """Newest first; the filters asked for take one parameter each, in this order, then the limit."""
    where = [f'"{name}" = {ph}' for name, wanted in (("proposal_id", by_id), ("status", status), ("target", target))
             if wanted]
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return (f'SELECT "proposal_id", "status", "version", "document" FROM {PROPOSALS}{clause} '
            f'ORDER BY "seq" DESC LIMIT {ph}')


def select_events(ph: str, count: int) -> str:
    marks = ", ".join([ph] * count)
    return (f"SELECT {_columns(EVENT_COLUMNS)} FROM {EVENTS} WHERE \"proposal_id\" IN ({marks}) "
            'ORDER BY "seq"')


def decide(ph: str) -> str:
    return (f'UPDATE {PROPOSALS} SET "status" = {ph}, "version" = "version" + 1 '
            f'WHERE "proposal_id" = {ph} AND "version" = {ph}')
