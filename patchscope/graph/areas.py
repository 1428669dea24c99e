"""The part of the kernel a file lies in: a small module of its own, so a check that asks
does not load the graph builder."""

from __future__ import annotations

UNKNOWN = "unknown"
_TOP_AREAS = ("mm", "include", "drivers", "kernel")


def area_of(path: str) -> str:
    """The part of the kernel a path lies in, the unit reviewers and maintainers think in."""
    if not path:
        return UNKNOWN
    parts = path.split("/")
    if parts[0] == "arch" and len(parts) > 2:
        return f"arch/{parts[1]}"
    return parts[0] if parts[0] in _TOP_AREAS and len(parts) > 1 else "other"
