"""The one promise every fuzz target keeps: a value, or a PatchscopeError in one line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from patchscope.errors import PatchscopeError

T = TypeVar("T")


def value_or_clean_error(call: Callable[[], T]) -> T | None:
    """What `call` returns, or None when it refused the input as the CLI can print it.

    Any other exception propagates: hypothesis then shrinks the input that raised it.
    """
    try:
        return call()
    except PatchscopeError as exc:
        message = str(exc)
        assert message.strip(), f"{type(exc).__name__} with an empty message"
        assert len(message.splitlines()) == 1, f"not one line: {message!r}"
        return None
