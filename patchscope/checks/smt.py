"""Two C expressions compared by an SMT solver (z3) over LP64 bit-vectors.

Every value is a bit-vector of its C type's width, so `unsigned long` wraps at
2**64 as C does and `int` is 32 bits; the usual arithmetic conversions pick the
type of each operation (cexpr's table). Where C leaves a result undefined
(signed overflow, a shift past the width, division by zero) the comparison
takes the defined case as a premise and says so. A name whose type is not known
is modelled only where C reads just its truth (`!x`, `x && y`, a condition);
anything else unknown, a call, a memory access or a side effect makes the
answer "not proved" with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import z3

from patchscope.checks.cexpr import (
    BOOL,
    INT,
    TYPEOF,
    TYPES,
    UNREADABLE,
    Binary,
    Cast,
    CType,
    Expr,
    Name,
    Num,
    Postfix,
    Ternary,
    Unary,
    common_type,
    literal,
    parse,
    promote,
    tokenize,
    unparse,
)
from patchscope.checks.verdict import QUERY_MS, Budget, Verdict

# A pointer as far as the model goes: an address compared, tested or passed, never moved.
POINTER = CType("pointer", 64, True, 2)


class Unmodelled(Exception):
    """What puts an expression outside the model: the reason a reviewer reads."""


@dataclass(frozen=True)
class _Val:
    bv: z3.BitVecRef
    ctype: CType


class _Translator:
    """C expression trees to z3 terms; both sides share one, so a name is one input."""

    def __init__(self, types: Mapping[str, CType | None]) -> None:
        self.types = types
        self.inputs: dict[str, tuple[z3.BitVecRef, CType]] = {}
        self.truths: dict[str, z3.BoolRef] = {}
        self.premises: list[tuple[z3.BoolRef, str]] = []
        self.guard: z3.BoolRef = z3.BoolVal(True)

    def premise(self, holds: z3.BoolRef, text: str) -> None:
        """A case C leaves undefined, assumed away where it is reached; constants need none."""
        guarded = z3.Implies(self.guard, holds)
        if not z3.is_true(z3.simplify(guarded)):
            self.premises.append((guarded, text))

    def leaf_type(self, expr: Expr) -> tuple[str, CType | None]:
        key = unparse(expr)
        if key in self.types:
            return key, self.types[key]
        if isinstance(expr, Postfix) and expr.op in (".", "->"):
            return key, self.types.get("." + expr.text)
        return key, None

    def value(self, expr: Expr) -> _Val:
        match expr:
            case Num(text):
                v = literal(text)
                return _Val(z3.BitVecVal(v.value, v.ctype.bits), v.ctype)
            case Name() | Postfix(op="." | "->" | "[]"):
                return self.leaf(expr)
            case Cast(type_name, operand):
                return convert(self.value(operand), self.cast_type(type_name))
            case Unary(op, operand):
                return self.unary(op, operand)
            case Binary(op, left, right):
                return self.binary(op, left, right)
            case Ternary(cond, then, other):
                c = self.truth(cond)
                outer = self.guard
                self.guard = z3.And(outer, c)
                t = self.value(then)
                self.guard = z3.And(outer, z3.Not(c))
                o = self.value(other)
                self.guard = outer
                ctype = common_type(t.ctype, o.ctype)
                return _Val(z3.If(c, convert(t, ctype).bv, convert(o, ctype).bv), ctype)
            case Postfix(op="call", base=Name(callee)):
                raise Unmodelled(f"calls {callee}(), whose body the series does not show")
            case Postfix(op=op):
                raise Unmodelled(f"uses {op}, which the model leaves out")
        raise Unmodelled(f"cannot model {unparse(expr)}")

    def leaf(self, expr: Expr) -> _Val:
        if isinstance(expr, Postfix) and _has_effects(expr):
            raise Unmodelled(f"{unparse(expr)} has side effects")
        key, ctype = self.leaf_type(expr)
        if key in self.truths:
            raise Unmodelled(f"the type of {key} is not known")
        if key not in self.inputs:
            if ctype is None:
                raise Unmodelled(f"the type of {key} is not known")
            self.inputs[key] = (z3.BitVec(key, ctype.bits), ctype)
        bv, ctype = self.inputs[key]
        return _Val(bv, ctype)

    def cast_type(self, type_name: str) -> CType:
        if type_name in TYPES:
            return TYPES[type_name]
        if type_name.endswith("*"):
            return POINTER
        words = type_name.split()
        if words and words[0] in TYPEOF:
            inner = tokenize(type_name)[2:-1]
            return self.value(parse(inner)).ctype
        raise Unmodelled(f"casts to {type_name}, a type the model does not know")

    def truth(self, expr: Expr) -> z3.BoolRef:
        """Whether C takes `expr` as true; unknown-type leaves are modelled as plain truths."""
        match expr:
            case Unary("!", operand):
                return z3.Not(self.truth(operand))
            case Binary("&&" | "||" as op, left, right):
                a = self.truth(left)
                outer = self.guard
                self.guard = z3.And(outer, a if op == "&&" else z3.Not(a))
                b = self.truth(right)
                self.guard = outer
                return z3.And(a, b) if op == "&&" else z3.Or(a, b)
            case Name() | Postfix(op="." | "->" | "[]") if self.leaf_type(expr)[1] is None:
                key = self.leaf_type(expr)[0]
                if key in self.inputs or (isinstance(expr, Postfix) and _has_effects(expr)):
                    raise Unmodelled(f"the type of {key} is not known")
                return self.truths.setdefault(key, z3.Bool(key))
        v = self.value(expr)
        return v.bv != 0

    def unary(self, op: str, operand: Expr) -> _Val:
        if op == "!":
            return _bool_int(z3.Not(self.truth(operand)))
        if op in ("*", "&"):
            raise Unmodelled(
                f"{'reads memory through' if op == '*' else 'takes the address of'} "
                f"{unparse(operand)}"
            )
        if op in ("++", "--"):
            raise Unmodelled(f"{op}{unparse(operand)} has side effects")
        v = self.value(operand)
        v = convert(v, promote(v.ctype))
        if op == "-":
            if not v.ctype.unsigned:
                self.premise(
                    z3.BVSNegNoOverflow(v.bv), f"no signed overflow in -{unparse(operand)}"
                )
            return _Val(-v.bv, v.ctype)
        if op == "~":
            return _Val(~v.bv, v.ctype)
        return v  # unary +

    def binary(self, op: str, left: Expr, right: Expr) -> _Val:
        if op in ("&&", "||"):
            return _bool_int(self.truth(Binary(op, left, right)))
        a, b = self.value(left), self.value(right)
        text = unparse(Binary(op, left, right))
        if op == ",":
            return b
        if op in ("<<", ">>"):
            return self.shift(op, a, b, text)
        if POINTER in (a.ctype, b.ctype) and op not in ("==", "!="):
            raise Unmodelled(f"{text} does pointer arithmetic")
        ctype = common_type(a.ctype, b.ctype)
        x, y = convert(a, ctype).bv, convert(b, ctype).bv
        signed = not ctype.unsigned
        if op in _COMPARE:
            return _bool_int(_COMPARE[op](x, y, signed))
        if op in ("/", "%"):
            self.premise(y != 0, f"a non-zero divisor in {text}")
            if signed:
                self.premise(z3.BVSDivNoOverflow(x, y), f"no signed overflow in {text}")
                return _Val(x / y if op == "/" else z3.SRem(x, y), ctype)
            return _Val(z3.UDiv(x, y) if op == "/" else z3.URem(x, y), ctype)
        if signed and op in _NO_OVERFLOW:
            self.premise(_NO_OVERFLOW[op](x, y), f"no signed overflow in {text}")
        return _Val(_ARITH[op](x, y), ctype)

    def shift(self, op: str, a: _Val, b: _Val, text: str) -> _Val:
        a = convert(a, promote(a.ctype))
        count = convert(b, a.ctype).bv
        width = a.ctype.bits
        in_range = (
            z3.ULT(convert(b, _WIDE).bv, width)
            if b.ctype.unsigned
            else z3.And(convert(b, _WIDE).bv >= 0, convert(b, _WIDE).bv < width)
        )
        self.premise(in_range, f"a shift count below {width} in {text}")
        if op == ">>":
            return _Val(z3.LShR(a.bv, count) if a.ctype.unsigned else a.bv >> count, a.ctype)
        return _Val(a.bv << count, a.ctype)  # gcc defines << on signed values as on bits


_WIDE = CType("wide", 65, False, 9)  # holds every LP64 value, signed or not


def convert(v: _Val, ctype: CType) -> _Val:
    """C's conversion of a value to another integer type (bool: non-zero is 1)."""
    if ctype == v.ctype:
        return v
    if ctype == BOOL:
        return _Val(z3.If(v.bv != 0, z3.BitVecVal(1, 1), z3.BitVecVal(0, 1)), BOOL)
    size = v.bv.size()
    if ctype.bits < size:
        return _Val(z3.Extract(ctype.bits - 1, 0, v.bv), ctype)
    if ctype.bits > size:
        grow = z3.ZeroExt if v.ctype.unsigned else z3.SignExt
        return _Val(grow(ctype.bits - size, v.bv), ctype)
    return _Val(v.bv, ctype)


def _bool_int(b: z3.BoolRef) -> _Val:
    return _Val(z3.If(b, z3.BitVecVal(1, 32), z3.BitVecVal(0, 32)), INT)


def _has_effects(expr: Expr) -> bool:
    match expr:
        case Postfix(op="call" | "++" | "--"):
            return True
        case Postfix(base=base, args=args):
            return any(_has_effects(e) for e in (base, *args) if e is not None)
        case Unary(op="++" | "--"):
            return True
    return False


_COMPARE = {
    "<": lambda x, y, s: x < y if s else z3.ULT(x, y),
    "<=": lambda x, y, s: x <= y if s else z3.ULE(x, y),
    ">": lambda x, y, s: x > y if s else z3.UGT(x, y),
    ">=": lambda x, y, s: x >= y if s else z3.UGE(x, y),
    "==": lambda x, y, s: x == y,
    "!=": lambda x, y, s: x != y,
}
_ARITH = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "&": lambda x, y: x & y,
    "|": lambda x, y: x | y,
    "^": lambda x, y: x ^ y,
}
_NO_OVERFLOW = {
    "+": lambda x, y: z3.And(z3.BVAddNoOverflow(x, y, True), z3.BVAddNoUnderflow(x, y)),
    "-": lambda x, y: z3.And(z3.BVSubNoOverflow(x, y), z3.BVSubNoUnderflow(x, y, True)),
    "*": lambda x, y: z3.And(z3.BVMulNoOverflow(x, y, True), z3.BVMulNoUnderflow(x, y)),
}


def equivalent(
    before: Expr,
    after: Expr,
    types: Mapping[str, CType | None],
    budget: Budget,
    *,
    truth: bool = False,
) -> Verdict:
    """Whether `before` and `after` agree for every input: as truths, or as typed values.

    As values they must have one C type and one value, so any use of them (a macro's
    comparison, a function's parameter) sees the same thing.
    """
    t = _Translator(types)
    try:
        if truth:
            sides: _Sides = ((t.truth(before), None), (t.truth(after), None))
        else:
            b, a = t.value(before), t.value(after)
            if b.ctype != a.ctype:
                return Verdict("not proved", f"one is {b.ctype.name}, the other {a.ctype.name}")
            sides = ((b.bv, b.ctype), (a.bv, a.ctype))
    except Unmodelled as exc:
        return Verdict("not proved", str(exc))
    except UNREADABLE as exc:
        return Verdict("not proved", f"cannot read it: {exc}")
    except z3.Z3Exception as exc:
        return Verdict("not proved", f"the solver refused it: {exc}")
    return _solve(t, sides, budget)


_Sides = tuple[tuple[z3.ExprRef, CType | None], tuple[z3.ExprRef, CType | None]]


def _solve(t: _Translator, sides: _Sides, budget: Budget) -> Verdict:
    stated = tuple(dict.fromkeys(text for _, text in t.premises))
    if not budget.take():
        return Verdict("not proved", "the series' solver budget is spent", stated)
    started = time.monotonic()
    try:
        return _answer(t, sides, stated)
    finally:
        budget.charge(time.monotonic() - started)


def _answer(t: _Translator, sides: _Sides, stated: tuple[str, ...]) -> Verdict:
    solver = z3.Solver()
    solver.set("timeout", QUERY_MS)
    solver.add(*(p for p, _ in t.premises))
    if solver.check() == z3.unsat:
        return Verdict("not proved", "C leaves every case undefined", stated)
    solver.add(sides[0][0] != sides[1][0])
    answer = solver.check()
    if answer == z3.unsat:
        return Verdict("proved", premises=stated)
    if answer != z3.sat:
        return Verdict("not proved", f"the solver gave up ({solver.reason_unknown()})", stated)
    # taken now: _small's bounded check replaces the solver's answer, unsat when no small
    # counterexample exists
    anywhere = solver.model()
    model = _small(solver, t) or anywhere
    inputs = [
        f"{key} = {_shown(model, bv, ctype)}" for key, (bv, ctype) in sorted(t.inputs.items())
    ]
    truths = [
        f"{key} is {'true' if z3.is_true(model.eval(b, model_completion=True)) else 'false'}"
        for key, b in sorted(t.truths.items())
    ]
    values = (_shown(model, *sides[0]), _shown(model, *sides[1]))
    return Verdict("refuted", "", stated, (*inputs, *truths), values)


def _small(solver: z3.Solver, t: _Translator) -> z3.ModelRef | None:
    """A counterexample a reviewer can read: every input between -16 and 16 if one exists."""
    bounds = []
    for bv, ctype in t.inputs.values():
        if ctype.unsigned:
            bounds.append(z3.ULE(bv, 16))
        else:
            bounds.append(z3.And(bv >= -16, bv <= 16))
    solver.push()
    solver.add(*bounds)
    found = solver.model() if solver.check() == z3.sat else None
    solver.pop()
    return found


def _shown(model: z3.ModelRef, term: z3.ExprRef, ctype: CType | None) -> str:
    """A term's value in the model: true/false, or the number as its C type reads it."""
    got = model.eval(term, model_completion=True)
    if ctype is None:
        return "true" if z3.is_true(got) else "false"
    raw = got.as_long()
    value = raw - (1 << ctype.bits) if not ctype.unsigned and raw >> (ctype.bits - 1) else raw
    return f"{value} ({value:#x})" if abs(value) > 9 else str(value)
