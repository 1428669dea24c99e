"""Macro expansion on tokens, as the C preprocessor does it for one expression.

Written by hand because no maintained Python library expands macros on a
fragment: pcpp and pycparser's cpp want whole files and include paths. This
covers object-like and function-like macros, argument pre-expansion, `#`, `##`,
`__VA_ARGS__`, and the rule that a macro is not expanded again inside itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from patchscope.checks.cexpr import CExprError, tokenize


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...] | None  # None for an object-like macro
    body: tuple[str, ...]


def macro_from_signature(signature: str, body: str) -> Macro | None:
    """A Macro from a Definition's `#define NAME(params) ...` signature and its body text."""
    match = re.match(r"#\s*define\s+([A-Za-z_]\w*)(\(([^)]*)\))?", signature)
    if match is None:
        return None
    params = None
    if match.group(2) is not None:
        params = tuple(p.strip() for p in match.group(3).split(",") if p.strip())
    try:
        return Macro(match.group(1), params, tokenize(body))
    except CExprError:
        return None


def parenthesised(macro: Macro) -> Macro:
    """The same macro with its whole body in one pair of parentheses."""
    return Macro(macro.name, macro.params, ("(", *macro.body, ")"))


def expand(tokens: tuple[str, ...], macros: Mapping[str, Macro]) -> tuple[str, ...]:
    """Every macro in `tokens` replaced until none is left to expand."""
    return _expand(tokens, macros, frozenset())


def _expand(
    tokens: tuple[str, ...], macros: Mapping[str, Macro], disabled: frozenset[str]
) -> tuple[str, ...]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        macro = macros.get(token)
        if macro is None or token in disabled:
            out.append(token)
            i += 1
            continue
        if macro.params is None:
            out.extend(_expand(macro.body, macros, disabled | {token}))
            i += 1
            continue
        if i + 1 >= len(tokens) or tokens[i + 1] != "(":
            out.append(token)  # a function-like macro's name alone is not a use
            i += 1
            continue
        args, i = _arguments(tokens, i + 1)
        replaced = _substitute(macro, args, macros, disabled)
        out.extend(_expand(replaced, macros, disabled | {token}))
    return tuple(out)


def _arguments(tokens: tuple[str, ...], open_at: int) -> tuple[list[tuple[str, ...]], int]:
    """The top-level comma-separated arguments after `(` and the index past `)`."""
    args: list[tuple[str, ...]] = []
    current: list[str] = []
    depth = 0
    for j in range(open_at + 1, len(tokens)):
        token = tokens[j]
        if token in "([{":
            depth += 1
        elif token in ")]}":
            if depth == 0:
                args.append(tuple(current))
                return ([] if args == [()] else args), j + 1
            depth -= 1
        if token == "," and depth == 0:
            args.append(tuple(current))
            current = []
        else:
            current.append(token)
    raise CExprError(f"unterminated macro arguments in {' '.join(tokens)!r}")


def _substitute(
    macro: Macro, args: list[tuple[str, ...]], macros: Mapping[str, Macro], disabled: frozenset[str]
) -> tuple[str, ...]:
    params = macro.params or ()
    bound = _bind(macro, params, args)
    out: list[str] = []
    body = macro.body
    i = 0
    while i < len(body):
        token = body[i]
        if token == "#" and i + 1 < len(body) and body[i + 1] in bound:
            out.append('"' + " ".join(bound[body[i + 1]]) + '"')
            i += 2
            continue
        pasting = (i + 1 < len(body) and body[i + 1] == "##") or (out and out[-1] == "##")
        if token in bound:
            out.extend(bound[token] if pasting else _expand(bound[token], macros, disabled))
        else:
            out.append(token)
        i += 1
    return _paste(out)


def _bind(
    macro: Macro, params: tuple[str, ...], args: list[tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    if params and params[-1] == "...":
        named = params[:-1]
        rest = args[len(named) :]
        bound = dict(zip(named, args, strict=False))
        va_args: list[str] = []
        for k, arg in enumerate(rest):
            va_args.extend((",", *arg) if k else arg)
        bound["__VA_ARGS__"] = tuple(va_args)
        return bound
    if len(args) != len(params):
        raise CExprError(f"{macro.name} takes {len(params)} arguments, given {len(args)}")
    return dict(zip(params, args, strict=True))


def _paste(tokens: list[str]) -> tuple[str, ...]:
    """Join the tokens either side of each `##` into one."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "##" and out and i + 1 < len(tokens):
            out[-1] += tokens[i + 1]
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return tuple(out)
