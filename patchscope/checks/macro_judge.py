"""macro-precedence's judging side: the uses of each unparenthesised macro, expanded as
written and as meant, compared and, where they differ, given a counterexample.
macro_precedence.py loads this module only for a series that shows a macro."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from patchscope.checks.cexpr import (
    Binary,
    CExprError,
    Expr,
    Ternary,
    Value,
    evaluate,
    parse,
    tokenize,
    unparse,
)
from patchscope.checks.expand import Macro, expand, macro_from_signature, parenthesised
from patchscope.checks.knowledge import Knowledge, declarations
from patchscope.checks.macro_precedence import RULE
from patchscope.checks.scope import Stage, stages
from patchscope.checks.verdict import Budget
from patchscope.code.model import Definition, SeriesFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
# Tokens that end an expression on a line: statement punctuation, assignment, keywords.
_STOPS = frozenset(
    {",", ";", "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "return"}
    | {"case", "else", "do", "{", "}"}
)
_DEFINE = re.compile(r"\s*#\s*define\s+\w+(?:\([^)]*\))?")
_ASSOCIATIVE = frozenset({"+", "*", "&", "|", "^", "&&", "||"})


@dataclass(frozen=True)
class _Use:
    stage: Stage
    macro: str
    file: str
    line: int
    text: str  # the line (or the using macro's definition) as evidence
    tokens: tuple[str, ...]  # the expression around the use


def judge(series: Series, facts: SeriesFacts) -> list[Finding]:
    """Every use of an unparenthesised macro that C groups otherwise, once per line."""
    findings: dict[tuple[str, str, str], Finding] = {}
    budget = Budget()  # the series' solver time, shared by every counterexample
    macros = _base_macros(facts)
    suspects = {name for name, m in macros.items() if _unparenthesised(m)}
    introduced: set[str] = set()
    for stage in stages(series, facts):
        for macro in _parsed(stage.facts.after.definitions):
            macros[macro.name] = macro
            introduced.add(macro.name)
            suspects.discard(macro.name)
            if _unparenthesised(macro):
                suspects.add(macro.name)
        for use in _uses(stage, suspects):
            if use.macro not in introduced and not stage.is_added(use.file, use.line):
                continue
            finding = _judge(use, macros, budget)
            key = (use.macro, use.file, " ".join(use.text.split()))
            if finding is not None and key not in findings:
                findings[key] = finding
    return list(findings.values())


def _macros(definitions: tuple[Definition, ...]) -> Iterator[Definition]:
    return (d for d in definitions if d.kind == "macro")


def _base_macros(facts: SeriesFacts) -> dict[str, Macro]:
    """Macros as the pre-images show them: what the base tree defines, earliest view first."""
    known: dict[str, Macro] = {}
    for pf in sorted(facts.patches, key=lambda pf: pf.number):
        for macro in _parsed(pf.before.definitions):
            known.setdefault(macro.name, macro)
    return known


def _parsed(definitions: tuple[Definition, ...]) -> Iterator[Macro]:
    for d in _macros(definitions):
        macro = macro_from_signature(d.signature, d.body)
        if macro is not None:
            yield macro


def _unparenthesised(macro: Macro) -> bool:
    """A body whose outermost node is a binary or conditional operator, not one group."""
    body = macro.body
    if not body or (body[0] == "(" and _closing(body, 0) == len(body) - 1):
        return False
    try:
        return isinstance(parse(body), Binary | Ternary)
    except CExprError:
        return False


def _closing(tokens: tuple[str, ...], at: int) -> int:
    depth = 0
    for i in range(at, len(tokens)):
        depth += tokens[i] in _OPENERS
        depth -= tokens[i] in _CLOSERS
        if depth == 0:
            return i
    return len(tokens)


def _uses(stage: Stage, suspects: set[str]) -> Iterator[_Use]:
    """Every expression in the post-image that names a suspect: in code, and in macro bodies."""
    for ref in stage.facts.after.references:
        if ref.name in suspects:
            yield from _around(stage, ref.name, ref.file, ref.line, ref.text, _code(ref.text))
    for d in _macros(stage.facts.after.definitions):
        body = _tokens(d.body)
        for name in suspects & set(body):
            if name != d.name:
                yield from _around(stage, name, d.file, d.line, d.signature, body)


def _tokens(text: str) -> tuple[str, ...]:
    try:
        return tokenize(text)
    except CExprError:
        return ()


def _code(text: str) -> tuple[str, ...]:
    """A line's tokens; for a `#define` line, its replacement text only."""
    define = _DEFINE.match(text)
    if define is None:
        return _tokens(text)
    return _tokens(text[define.end() :])


def _around(
    stage: Stage, name: str, file: str, line: int, text: str, tokens: tuple[str, ...]
) -> Iterator[_Use]:
    for i, token in enumerate(tokens):
        if token == name:
            yield _Use(stage, name, file, line, text, _expression_at(tokens, i))


def _expression_at(tokens: tuple[str, ...], at: int) -> tuple[str, ...]:
    """The smallest enclosing bracket group's text, cut at statement punctuation around `at`."""
    return tokens[_edge(tokens, at, -1) : _edge(tokens, at, 1)]


def _edge(tokens: tuple[str, ...], at: int, step: int) -> int:
    """Where the expression around `at` ends going `step` (-1: its start, 1: past its end)."""
    deeper, shallower = (_CLOSERS, _OPENERS) if step < 0 else (_OPENERS, _CLOSERS)
    ahead = min(step, 0)  # going back, the token looked at is the one before the edge
    edge, depth = at, 0
    while 0 <= edge + ahead < len(tokens):
        token = tokens[edge + ahead]
        if token in deeper:
            depth += 1
        elif token in shallower:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and token in _STOPS:
            break
        edge += step
    return edge


def _flat(expr: Expr) -> object:
    """A tree where chains of one associative operator are one node: `a+(b+c)` is `a+b+c`."""
    if isinstance(expr, Binary) and expr.op in _ASSOCIATIVE:
        operands: list[object] = []
        for side in (expr.left, expr.right):
            flat = _flat(side)
            if isinstance(flat, tuple) and flat[0] == expr.op:
                operands.extend(flat[1])
            else:
                operands.append(flat)
        return (expr.op, tuple(operands))
    if isinstance(expr, Binary):
        return (expr.op, (_flat(expr.left), _flat(expr.right)), "")
    if isinstance(expr, Ternary):
        return ("?", (_flat(expr.cond), _flat(expr.then), _flat(expr.other)), "")
    return expr


def _judge(use: _Use, macros: dict[str, Macro], budget: Budget) -> Finding | None:
    meant_macros = {**macros, use.macro: parenthesised(macros[use.macro])}
    try:
        written = expand(use.tokens, macros)
        actual, meant = parse(written), parse(expand(use.tokens, meant_macros))
    except CExprError:
        return None
    if _flat(actual) == _flat(meant):
        return None
    values = _values(actual, meant)
    if values is not None and values[0].value == values[1].value:
        return None
    macro = macros[use.macro]
    evidence = [
        f"use: {use.file}:{use.line}: {use.text}",
        f"macro: {_define(macro)}",
        f"expands to: {' '.join(written)}",
        f"C groups it as: {unparse(actual)}",
        f"meant: {unparse(meant)}",
    ]
    evidence += _counterexample(use, actual, meant, budget)
    if values is None:
        message = f"{use.macro}'s body is not parenthesised: C groups this use differently"
    else:
        evidence += [f"value: {values[0]}", f"value meant: {values[1]}"]
        message = (
            f"{use.macro}'s body is not parenthesised: this use evaluates to "
            f"{values[0].value}, not {values[1].value}"
        )
    return Finding(
        rule=RULE,
        severity="warning",
        message=message,
        patch=use.stage.number,
        file=use.file,
        line=use.line,
        entity=use.macro,
        evidence=tuple(evidence),
    )


_COMPOUND = re.compile(r"^\s*(?P<lhs>[^=]+?)\s*(?P<op><<|>>|[-+*/%&|^])=(?!=)")


def _counterexample(use: _Use, actual: Expr, meant: Expr, budget: Budget) -> list[str]:
    """Inputs where the use and what it meant differ, found by the solver: for `x op= M`
    the values x ends up with."""
    compound = _COMPOUND.match(use.text)
    if compound is not None:
        try:
            target = parse(compound.group("lhs"))
        except CExprError:
            return []
        op = compound.group("op")
        actual, meant = Binary(op, target, actual), Binary(op, target, meant)
    known = Knowledge()
    known.learn(use.stage.facts.after)
    types = {**known.types, **declarations(use.text)}
    from patchscope.checks.smt import equivalent  # z3 loads only where a use regroups

    verdict = equivalent(actual, meant, types, budget)
    if verdict.outcome != "refuted":
        return []
    return [
        f"counterexample: {', '.join(verdict.counterexample) or 'any input'}: "
        f"{unparse(actual)} is {verdict.values[0]}, meant {verdict.values[1]}"
    ]


def _values(actual: Expr, meant: Expr) -> tuple[Value, Value] | None:
    try:
        return evaluate(actual), evaluate(meant)
    except CExprError:  # NotConstant, or a literal C would reject too
        return None


def _define(macro: Macro) -> str:
    params = "" if macro.params is None else "(" + ", ".join(macro.params) + ")"
    return f"#define {macro.name}{params} {' '.join(macro.body)}"
