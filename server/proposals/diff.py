"""Unified diffs of a model's SQL in git's format, so that `git apply` (or `patch -p1`) takes them as they are."""

import difflib

CONTEXT_LINES = 3


def as_file(text: str) -> str:
    """The SQL as a file holds it: line endings normalised, ending in exactly one newline."""
    return text.replace("\r\n", "\n").rstrip() + "\n"


def same_sql(old: str, new: str) -> bool:
    """Equal once line endings and trailing blank space are set aside."""
    return as_file(old) == as_file(new)


def unified_diff(old: str, new: str, path: str) -> str:
    """The diff turning file `path` holding `old` into `new`; empty when nothing changes."""
    before, after = old.splitlines(keepends=True), new.splitlines(keepends=True)
    hunks = list(difflib.unified_diff(before, after, f"a/{path}", f"b/{path}", n=CONTEXT_LINES))
    if not hunks:
        return ""
    lines = [f"diff --git a/{path} b/{path}\n"]
    for line in hunks:
        if line.endswith("\n"):
            lines.append(line)
        else:
            # the last line of a file without a final newline, as git marks it
            lines.append(line + "\n\\ No newline at end of file\n")
    return "".join(lines)
