"""The governance page at /ui of the HTTP server: a static shell whose script reads JSON under /ui/api/."""
