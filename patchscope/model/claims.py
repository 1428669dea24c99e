"""A series' claims as data: each quote is found in the text it cites and replayed on the model.

A manifest's `[[claim]]` tables say what the text says (`quote`, `source`), which flow
and parameters it describes, which observable of the replay it speaks of and the value
the text gives (`expected`, as the text writes it: `16`, `"0xffffea0004000000"`,
`"~2MB"`, or another observable such as `"sections"` when the text says "number of
sections"). `observable` and `expected` may be small arithmetic over the replay's
observables and the configuration's sizes (`"vmemmap_pages / sections"`,
`"vmemmap_va_end - struct_page_size"` for a text naming the last struct page of a
half-open range).
"""

from __future__ import annotations

import ast
import dataclasses
import operator
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patchscope.errors import PatchscopeError
from patchscope.ingest.series import Patch, Series

if TYPE_CHECKING:
    from patchscope.model.memory_hotplug.flows import Flow, FlowParams
    from patchscope.model.memory_hotplug.stages import Stage

Number = int | float
Params = tuple[tuple[str, Any], ...]


class ClaimError(PatchscopeError):
    """A `[[claim]]` table the replay cannot work with."""


@dataclass(frozen=True)
class Claim:
    quote: str
    source: str  # "cover", "message:N" or "diff:N"
    flow: str
    params: Params  # sorted (key, value) pairs, as the manifest gives them
    observable: str
    expected: int | str
    stage: int | None = None  # None: the series' last patch

    def to_json(self) -> dict[str, object]:
        return {
            "quote": self.quote,
            "source": self.source,
            "flow": self.flow,
            "params": dict(self.params),
            "observable": self.observable,
            "expected": self.expected,
            "stage": self.stage,
        }


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    replayed: Number | None  # None when the claim could not be replayed
    ok: bool
    reason: str | None = None  # why it failed, in one line

    def to_json(self) -> dict[str, object]:
        return {
            **self.claim.to_json(),
            "replayed": self.replayed,
            "ok": self.ok,
            "reason": self.reason,
        }


_REQUIRED = {"quote": str, "source": str, "flow": str, "observable": str}
_SOURCE = re.compile(r"cover|(message|diff):([1-9][0-9]*)")


def read_claims(path: Path) -> tuple[Claim, ...]:
    """The manifest's `[[claim]]` tables, checked for shape; a manifest without any has none."""
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ClaimError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ClaimError(f"{path}: cannot read: {exc.strerror}") from None
    tables = table.get("claim", [])
    if not isinstance(tables, list):
        raise ClaimError(f"{path}: 'claim' must be an array of tables ([[claim]])")
    return tuple(_claim(path, n, t) for n, t in enumerate(tables, start=1))


def _claim(path: Path, n: int, table: Any) -> Claim:
    where = f"{path}: claim {n}"
    if not isinstance(table, dict):
        raise ClaimError(f"{where}: not a table")
    for key, kind in _REQUIRED.items():
        if not isinstance(table.get(key), kind) or not table[key].strip():
            raise ClaimError(f"{where}: '{key}' must be a non-empty string")
    if not _SOURCE.fullmatch(table["source"]):
        raise ClaimError(
            f"{where}: source must be cover, message:N or diff:N, not {table['source']!r}"
        )
    expected = table.get("expected")
    if isinstance(expected, bool) or not isinstance(expected, int | str):
        raise ClaimError(f"{where}: 'expected' must be an integer or a string")
    params = table.get("params", {})
    if not isinstance(params, dict):
        raise ClaimError(f"{where}: 'params' must be a table")
    stage = table.get("stage")
    if stage is not None and (isinstance(stage, bool) or not isinstance(stage, int) or stage < 0):
        raise ClaimError(f"{where}: 'stage' must be a patch number (0 for the base tree)")
    return Claim(
        quote=table["quote"],
        source=table["source"],
        flow=table["flow"],
        params=tuple(sorted(params.items())),
        observable=table["observable"],
        expected=expected,
        stage=stage,
    )


# --- quotes -------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """One space for every run of whitespace, so a quote matches across line wraps."""
    return " ".join(text.split())


# A C comment's continuation leader (" * "), which a quote spanning comment lines skips.
_COMMENT_LEADER = re.compile(r"^\s*\*(?!/)\s?")


def cited_text(series: Series, source: str) -> str:
    """The text a claim cites: the cover letter, a commit message, or a diff's added lines."""
    if source == "cover":
        if series.cover is None:
            raise ClaimError(f"{series.name}: claim cites the cover letter, the series has none")
        return series.cover.body
    match = _SOURCE.fullmatch(source)
    if match is None:
        raise ClaimError(f"claim source must be cover, message:N or diff:N, not {source!r}")
    patch = _patch(series, int(match.group(2)))
    return patch.message if match.group(1) == "message" else added_text(patch)


def added_text(patch: Patch) -> str:
    """The `+` lines of a patch, comment leaders dropped so a wrapped comment reads as prose."""
    return "\n".join(
        _COMMENT_LEADER.sub("", line.text)
        for fd in patch.files
        for hunk in fd.hunks
        for line in hunk.lines
        if line.kind == "+"
    )


def _patch(series: Series, number: int) -> Patch:
    for patch in series.patches:
        if patch.number == number:
            return patch
    raise ClaimError(
        f"{series.name}: claim cites patch {number}, the series has {len(series.patches)}"
    )


def quote_present(series: Series, claim: Claim) -> bool:
    return normalise(claim.quote) in normalise(cited_text(series, claim.source))


# --- values -------------------------------------------------------------------------------

# The sizes a mail writes: kernel prose means binary units whether it says MB or MiB.
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"(~)?\s*([0-9]+)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)
_HEX = re.compile(r"(?:0x)?([0-9a-f]+)", re.IGNORECASE)
APPROX = 0.05  # "~2MB" holds within 5 %


@dataclass(frozen=True)
class Expected:
    value: Number
    approx: bool


def expected_value(expected: int | str, names: Mapping[str, Number]) -> Expected:
    """What the text states, as a number: decimal, size with unit, bare or 0x hex, or arithmetic
    over the observables (a text that says "number of sections")."""
    if isinstance(expected, int):
        return Expected(expected, False)
    text = expected.strip()
    size = _SIZE.fullmatch(text)
    if size is not None and (size.group(1) or size.group(3)):
        return Expected(int(size.group(2)) * _UNITS[size.group(3).upper()], bool(size.group(1)))
    if text.isdigit():
        return Expected(int(text), False)
    if written_in_hex(text):
        return Expected(int(text.lower().removeprefix("0x"), 16), False)
    return Expected(evaluate(text, names), False)


def written_in_hex(expected: int | str) -> bool:
    """An address as the kernel prints it (%lx, with or without 0x); a word of letters only
    is an observable's name."""
    if not isinstance(expected, str):
        return False
    hexa = _HEX.fullmatch(expected.strip())
    return hexa is not None and any(c.isdigit() for c in hexa.group(1))


def holds(replayed: Number, expected: Expected) -> bool:
    if expected.approx:
        return abs(replayed - expected.value) <= APPROX * abs(expected.value)
    return replayed == expected.value


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}


def evaluate(expression: str, names: Mapping[str, Number]) -> Number:
    """Arithmetic over named numbers. Written by hand: Python's own eval would run anything,
    and the series' C evaluator (checks.cexpr) has no notion of observables."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        raise ClaimError(f"not an expression over observables: {expression!r}") from None
    value = _eval(tree.body, names, expression)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _eval(node: ast.expr, names: Mapping[str, Number], text: str) -> Number:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ClaimError(f"{text!r}: the replay has no observable {node.id!r}")
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, names, text)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, names, text), _eval(node.right, names, text)
        if isinstance(node.op, ast.Div | ast.FloorDiv) and right == 0:
            raise ClaimError(f"{text!r}: division by zero")
        return _BINARY[type(node.op)](left, right)
    raise ClaimError(f"{text!r}: only + - * / // ** over observables and numbers")


# --- replay -------------------------------------------------------------------------------

# Runs a claim's flow at a stage and gives the numeric observables with the configuration's
# sizes beside them; `model_replayer` is the model's, tests may pass their own.
Replayer = Callable[[Claim, int], Mapping[str, Number]]


def check_claim(series: Series, claim: Claim, replayer: Replayer) -> ClaimResult:
    """One claim: its quote must be in the text it cites, then the replay must give its value."""
    if not quote_present(series, claim):
        return ClaimResult(claim, None, False, f"quote not found in {claim.source}")
    stage = len(series.patches) if claim.stage is None else claim.stage
    if stage > len(series.patches):
        return ClaimResult(
            claim, None, False, f"stage {stage}: the series has {len(series.patches)} patches"
        )
    try:
        names = replayer(claim, stage)
        replayed = evaluate(claim.observable, names)
        expected = expected_value(claim.expected, names)
    except PatchscopeError as exc:
        return ClaimResult(claim, None, False, str(exc))
    if holds(replayed, expected):
        return ClaimResult(claim, replayed, True)
    return ClaimResult(
        claim, replayed, False, f"replayed {replayed}, the text says {claim.expected}"
    )


def check_claims(series: Series, claims: Sequence[Claim], replayer: Replayer) -> list[ClaimResult]:
    return [check_claim(series, claim, replayer) for claim in claims]


def model_replayer(stages: Sequence[Stage]) -> Replayer:
    """The model's replayer over the series' stages: a claim's flow at its stage, its numeric
    observables (addresses as numbers) with the configuration's page and struct page sizes."""
    from patchscope.model.memory_hotplug.flows import flow_named, make_config, replay

    def run(claim: Claim, stage: int) -> Mapping[str, Number]:
        flow = flow_named(claim.flow)
        params = flow_params(flow, dict(claim.params))
        done = replay(flow, params, stages, stage=stage)
        config = make_config(params)
        sizes = {"page_size": config.page_size, "struct_page_size": config.struct_page_size}
        numbers = {k: _number(v) for k, v in done.observables.items()}
        return {**sizes, **{k: v for k, v in numbers.items() if v is not None}}

    return run


# FlowParams fields given as text, the way the `replay` command takes them.
_TEXT_PARAMS = frozenset(
    {"arch", "size", "start", "block_size", "chunk", "driver", "online_type", "config"}
)


def flow_params(flow: Flow, given: Mapping[str, Any]) -> FlowParams:
    """A claim's params as the flow's parameters: sizes as text, the rest as TOML values
    (lists become tuples); a key FlowParams does not have fails the claim."""
    from patchscope.model.memory_hotplug.flows import FlowParams, parse_params, with_defaults

    known = {f.name for f in dataclasses.fields(FlowParams)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ClaimError(f"flow {flow.name} has no parameter {', '.join(unknown)}")
    params = parse_params(**{k: v for k, v in given.items() if k in _TEXT_PARAMS})
    rest = {k: _frozen(v) for k, v in given.items() if k not in _TEXT_PARAMS}
    return with_defaults(flow, dataclasses.replace(params, **rest), tuple(given))


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


def _number(value: object) -> Number | None:
    """An observable as a number: counts as they are, addresses from their hex text; None for
    one that is no number (the errno a failed flow ends with)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    hexa = _HEX.fullmatch(value) if isinstance(value, str) else None
    if hexa is not None:
        return int(hexa.group(1), 16)
    return None
