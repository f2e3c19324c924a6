"""Garbage collection for a long-running server whose answers allocate thousands of short-lived objects."""

import gc


def settle_heap() -> None:
    """Put everything alive now (modules, schemas, the policy, the open store) out of the collector's reach.

    A full collection walks every tracked object. After its imports a server holds tens of thousands that
    live as long as the process, and an answer of a few hundred items promotes enough young objects to set
    off a full collection every dozen calls: about 10 ms each on this footprint, charged to whichever call
    triggered it (measured in bench/lineage_queries.py). Frozen objects are still freed by reference
    counting; only cycles among them would stay, and they live for the whole process anyway.
    """
    gc.collect()
    gc.freeze()
