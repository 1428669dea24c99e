"""Stages of a series on the semantic model: stage 0 is the base tree, stage k is after patch k.

What a series changes lives in a per-series stage module under
`patchscope.model.memory_hotplug.series`, named by the manifest's `model` key. The
module reads every flag, constant and condition it relies on from the series' own C
text through `SeriesText`: macros expanded as the preprocessor does
(`checks.expand`), then evaluated with C's precedence and integer widths
(`checks.cexpr`), so that what the patch really says is what runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from patchscope.checks.cexpr import (
    TYPES,
    ULONG,
    CExprError,
    Value,
    evaluate,
    parse,
    tokenize,
    wrap,
)
from patchscope.checks.expand import Macro, expand, macro_from_signature
from patchscope.code.model import Reference, SeriesFacts
from patchscope.errors import PatchscopeError
from patchscope.ingest.manifest import read_manifest
from patchscope.ingest.series import Series

PACKAGE = "patchscope.model.memory_hotplug.series"
NO_MODEL = "no model for this series"


class NoModelError(PatchscopeError):
    """The series names no stage module (or one patchscope does not have)."""


class ModelTextError(PatchscopeError):
    """A stage module looked for a line or macro the series' text does not hold."""


@dataclass(frozen=True)
class Stage:
    number: int  # 0: base tree; k: after patch k
    name: str
    overrides: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    constants: Mapping[str, int] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)  # old function name -> new


def model_name(source: str) -> str | None:
    """The manifest's `model` key when SOURCE is a manifest; any other source names none."""
    path = Path(source)
    if path.suffix != ".toml" or not path.is_file():
        return None
    return read_manifest(path).model


def series_model(
    series: Series, module_name: str | None, facts: SeriesFacts | None = None
) -> list[Stage]:
    """Stage 0 .. stage N of `series` from its stage module's `stages(series, facts)`;
    `facts` are the series' code facts when the caller has them already."""
    if module_name is None:
        raise NoModelError(NO_MODEL)
    try:
        module = importlib.import_module(f"{PACKAGE}.{module_name}")
    except ModuleNotFoundError:
        module = None
    make = getattr(module, "stages", None)
    if module_name.startswith("_") or not callable(make):  # a manifest may name __init__
        raise NoModelError(f"{NO_MODEL}: no stage module '{module_name}'")
    stages: list[Stage] = make(series, facts)
    expected = list(range(len(series.patches) + 1))
    if [s.number for s in stages] != expected:
        raise NoModelError(f"{NO_MODEL}: '{module_name}' does not model {series.name}'s patches")
    return stages


# --- the series' own text ---------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a line of the series is: the patch that brings it, and its post-image line."""

    patch: int
    file: str
    line: int


@dataclass(frozen=True)
class Decision:
    """A line of the series the model evaluated while it ran, and what it came to: the
    evidence that says which of the patch's own lines decided an outcome."""

    text: str
    value: int
    place: Place | None

    def describe(self) -> str:
        where = "" if self.place is None else f"{self.place.file}:{self.place.line} "
        patch = "" if self.place is None else f"(patch {self.place.patch}) "
        return f"{where}{patch}`{self.text}` = {self.value}"


# The decisions of the run in progress, when someone listens (see `recording`).
_DECISIONS: ContextVar[list[Decision] | None] = ContextVar("decisions", default=None)


@contextmanager
def recording(found: list[Decision] | None = None) -> Iterator[list[Decision]]:
    """Collect every series line the model evaluates inside the block, in order (after
    those `found` holds already: a replay goes on where it left off)."""
    found = [] if found is None else found
    token = _DECISIONS.set(found)
    try:
        yield found
    finally:
        _DECISIONS.reset(token)


# A compound assignment `a op= b` is `a = a op (b)`; the operator is the part before `=`.
_ASSIGN = ("=", "|=", "&=", "^=", "+=", "-=", "<<=", ">>=", "*=", "/=", "%=")
# On LP64 a pointer is as wide as unsigned long: a cast to `void *` keeps all 64 bits.
_POINTER_CAST = ("(", "void", "*", ")")


@dataclass(frozen=True)
class SeriesText:
    """The macros the series defines up to one stage, and the lines of code that use them."""

    stage: int
    macros: Mapping[str, Macro]
    references: tuple[Reference, ...]  # post-image references of patches 1..stage
    initialisers: Mapping[str, str]  # global variable -> the text it is initialised with
    renames: Mapping[str, str]  # old function name -> new, as the patches rename them
    places: Mapping[str, Place] = field(default_factory=dict)  # line text -> where it is

    def note(self, line: str, value: int) -> int:
        """Record that `line` came to `value` when someone is recording; returns `value`."""
        found = _DECISIONS.get()
        if found is not None:
            found.append(Decision(line, int(value), self.places.get(line)))
        return value

    def value(self, name: str) -> Value:
        """The value of macro `name` as the C compiler computes it."""
        if name not in self.macros:
            raise ModelTextError(f"stage {self.stage}: the series defines no macro {name}")
        return _evaluate(expand((name,), self.macros))

    def initial(self, name: str) -> Value:
        """The value global `name` starts with, as its definition writes it."""
        if not self.initialisers.get(name):
            raise ModelTextError(f"stage {self.stage}: the series initialises no global {name}")
        return _evaluate(expand(tokenize(self.initialisers[name]), self.macros))

    def line(self, function: str, name: str, *, file: str | None = None) -> str:
        """The latest line inside `function` (in `file`) that uses or writes `name`."""
        found = [text for at, text in self._lines.get((function, name), ()) if file in (None, at)]
        if not found:
            where = f" in {file}" if file else ""
            raise ModelTextError(f"stage {self.stage}: no line of {function}{where} uses {name}")
        return found[-1]

    @cached_property
    def _lines(self) -> dict[tuple[str | None, str], list[tuple[str, str]]]:
        """(function, name) -> [(file, line text)] in order: `line` runs on every replay."""
        lines: dict[tuple[str | None, str], list[tuple[str, str]]] = {}
        for r in self.references:
            lines.setdefault((r.in_function, r.name), []).append((r.file, r.text))
        return lines

    @cached_property
    def _values(self) -> dict[tuple[object, ...], Value]:
        """What each evaluation came to, by line and bindings: the text never changes."""
        return {}

    def callers_of(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The functions whose lines call one of `names`."""
        return tuple(
            sorted(
                {
                    r.in_function
                    for r in self.references
                    if r.kind == "call" and r.name in names and r.in_function
                }
            )
        )

    def condition(self, line: str, bindings: Mapping[str, Value]) -> bool:
        """Whether the `if (...)`/`return ...;` condition or expression of `line` holds."""
        key = ("if", line, *bindings.items())
        if key not in self._values:
            self._values[key] = self.evaluate(_expression(tokenize(line)), bindings)
        return bool(self.note(line, self._values[key].value))

    def assign(self, line: str, current: Value, bindings: Mapping[str, Value]) -> Value:
        """What `lhs op= rhs;` leaves in its left side, which held `current`."""
        key = ("=", line, current, *bindings.items())
        if key not in self._values:
            self._values[key] = self._assigned(line, current, bindings)
        self.note(line, self._values[key].value)
        return self._values[key]

    def _assigned(self, line: str, current: Value, bindings: Mapping[str, Value]) -> Value:
        tokens = _strip(tokenize(line))
        at = next((i for i, t in enumerate(tokens) if t in _ASSIGN), None)
        if at is None:
            raise ModelTextError(f"not an assignment: {line}")
        rhs = ("(", *tokens[at + 1 :], ")")
        op = tokens[at][:-1]
        whole = rhs if not op else (*_literal(current), op, *rhs)
        return wrap(self.evaluate(whole, bindings).value, current.ctype)

    def evaluate(self, tokens: tuple[str, ...], bindings: Mapping[str, Value]) -> Value:
        """`tokens` with each bound expression (e.g. `r->flags`) replaced by its value."""
        for text, value in bindings.items():
            tokens = _replace(tokens, tokenize(text), ("(", *_literal(value), ")"))
        tokens = _replace(tokens, _POINTER_CAST, ("(", "unsigned", "long", ")"))
        return _evaluate(expand(tokens, self.macros))


def series_text(facts: SeriesFacts, stage: int, base: Mapping[str, str]) -> SeriesText:
    """What patches 1..stage say, over `base`: the base tree's macros the series relies on
    without showing them, as `{name: "#define NAME body"}` text."""
    macros = {name: _macro(define) for name, define in base.items()}
    references: list[Reference] = []
    initialisers: dict[str, str] = {}
    renames: dict[str, str] = {}
    places: dict[str, Place] = {}
    for patch in facts.patches[:stage]:
        for change in patch.changes:
            if change.kind == "macro" and change.change == "removed":
                macros.pop(change.name, None)
            if change.change == "renamed" and change.kind == "function" and change.old_name:
                renames[change.old_name] = change.name
        for d in patch.after.definitions:
            macro = macro_from_signature(d.signature, d.body) if d.kind == "macro" else None
            if macro is not None:
                macros[d.name] = macro
            if d.kind == "global":
                initialisers[d.name] = d.body
        references.extend(patch.after.references)
        places.update((r.text, Place(patch.number, r.file, r.line)) for r in patch.after.references)
    return SeriesText(stage, macros, tuple(references), initialisers, renames, places)


def _macro(define: str) -> Macro:
    name_and_params, _, body = define.removeprefix("#define").strip().partition(" ")
    macro = macro_from_signature(f"#define {name_and_params}", body)
    if macro is None:
        raise ModelTextError(f"not a macro definition: {define}")
    return macro


def _evaluate(tokens: tuple[str, ...]) -> Value:
    try:
        return evaluate(parse(tokens))
    except CExprError as exc:
        raise ModelTextError(f"cannot evaluate {' '.join(tokens)}: {exc}") from None


def _literal(value: Value) -> tuple[str, ...]:
    """Tokens of `value` with its C type, e.g. `((int)-4ULL)`: any value, any width."""
    if value.ctype not in TYPES.values():
        raise ModelTextError(f"no literal for {value}")
    return tokenize(f"(({value.ctype.name}){value.value}ULL)")


def _replace(
    tokens: tuple[str, ...], old: tuple[str, ...], new: tuple[str, ...]
) -> tuple[str, ...]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i : i + len(old)] == old:
            out.extend(new)
            i += len(old)
        else:
            out.append(tokens[i])
            i += 1
    return tuple(out)


def _strip(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """A line without its trailing `;`/`{` and anything after an unmatched `)`."""
    depth = 0
    for i, token in enumerate(tokens):
        depth += token == "("
        depth -= token == ")"
        if depth < 0:
            return tokens[:i]
    while tokens and tokens[-1] in (";", "{"):
        tokens = tokens[:-1]
    return tokens


def _expression(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The expression a line tests or computes: inside `if (...)`, after `return`."""
    if tokens[:2] == ("if", "("):
        return _strip(tokens[2:])
    if tokens[:1] == ("return",):
        return _strip(tokens[1:])
    return _strip(tokens)


def unsigned_long(value: int) -> Value:
    """A value held in an `unsigned long` variable or field (flags, pfns, page->mapping)."""
    return wrap(value, ULONG)
