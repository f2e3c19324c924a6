"""Garbage collection for a long-running server whose answers allocate thousands of short-lived objects."""

import gc

# Collect the young generation after this many net container allocations, not CPython's 700. One answer of
# a few hundred items keeps some 20,000 containers alive while it is built and frees them all when it is
# sent; at 700 the collector walks them repeatedly mid-answer and promotes them to older generations, at
# this threshold an answer's objects are freed by reference counting before any collection looks at them.
YOUNG_THRESHOLD = 100_000


def settle_heap() -> None:
    """Tune the collector for serving: freeze what is alive now and collect the young generation less often.

    A full collection walks every tracked object. After its imports a server holds tens of thousands that
    live as long as the process (modules, schemas, the policy, the open store); frozen, they are out of the
    collector's reach, where otherwise each full collection walked them (about 10 ms on this footprint,
    charged to whichever call triggered it; see bench/lineage_queries.py). Frozen objects are still freed
    by reference counting; only cycles among them would stay, and they live for the whole process anyway.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
