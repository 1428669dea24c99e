"""C tokens, integer constant expressions and their values, as an LP64 compiler sees them.

Written by hand: pycparser needs preprocessed, complete translation units and
tree-sitter gives a syntax tree but no values; neither evaluates a kernel
constant expression with C's integer types (int/long/unsigned long widths,
literal suffixes, the usual arithmetic conversions, unsigned wrap). This module
is that small evaluator: tokenize (ctokens.py), parse with C's precedence and associativity
into frozen nodes, then compute a value with its C type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The tokenizer has a module of its own, light enough for checks that only tokenize; the
# evaluator's users find its names here too.
from patchscope.checks.ctokens import UNREADABLE as UNREADABLE
from patchscope.checks.ctokens import CExprError as CExprError
from patchscope.checks.ctokens import is_identifier as is_identifier
from patchscope.checks.ctokens import scan as scan
from patchscope.checks.ctokens import tokenize as tokenize


class NotConstant(CExprError):
    """An expression whose value depends on something other than constants."""


# --- C integer types on LP64 ------------------------------------------------------------


@dataclass(frozen=True)
class CType:
    name: str
    bits: int
    unsigned: bool
    rank: int  # conversion rank: int 1, long 2, long long 3 (char/short below int)


INT = CType("int", 32, False, 1)
UINT = CType("unsigned int", 32, True, 1)
LONG = CType("long", 64, False, 2)
ULONG = CType("unsigned long", 64, True, 2)
LLONG = CType("long long", 64, False, 3)
ULLONG = CType("unsigned long long", 64, True, 3)
BOOL = CType("bool", 1, True, 0)  # C's _Bool: any non-zero value converts to 1
_SMALL = {
    "char": CType("char", 8, False, 0),
    "signed char": CType("signed char", 8, False, 0),
    "unsigned char": CType("unsigned char", 8, True, 0),
    "short": CType("short", 16, False, 0),
    "unsigned short": CType("unsigned short", 16, True, 0),
}
# Cast targets: C's own spellings and the kernel's fixed-width typedefs (LP64).
TYPES: dict[str, CType] = {
    **_SMALL,
    "int": INT,
    "signed": INT,
    "signed int": INT,
    "unsigned": UINT,
    "unsigned int": UINT,
    "long": LONG,
    "long int": LONG,
    "signed long": LONG,
    "unsigned long": ULONG,
    "unsigned long int": ULONG,
    "long long": LLONG,
    "unsigned long long": ULLONG,
    "u8": _SMALL["unsigned char"],
    "s8": _SMALL["signed char"],
    "u16": _SMALL["unsigned short"],
    "s16": _SMALL["short"],
    "u32": UINT,
    "s32": INT,
    "u64": ULLONG,
    "s64": LLONG,
    "__u32": UINT,
    "__u64": ULLONG,
    "size_t": ULONG,
    "ssize_t": LONG,
    "phys_addr_t": ULLONG,
    "resource_size_t": ULLONG,
    "pgoff_t": ULONG,
    "gfp_t": UINT,
    "bool": BOOL,
    "_Bool": BOOL,
}
_TYPE_WORDS = {"unsigned", "signed", "int", "long", "short", "char", "const", "void"}
TYPEOF = frozenset({"typeof", "__typeof__"})


@dataclass(frozen=True)
class Value:
    value: int
    ctype: CType

    def __str__(self) -> str:
        return f"{self.value} ({self.ctype.name})"


def wrap(value: int, ctype: CType) -> Value:
    """Reduce to the type's width, two's complement for signed types (what gcc does)."""
    value &= (1 << ctype.bits) - 1
    if not ctype.unsigned and value >> (ctype.bits - 1):
        value -= 1 << ctype.bits
    return Value(value, ctype)


def promote(t: CType) -> CType:
    return INT if t.rank < INT.rank else t


def common_type(a: CType, b: CType) -> CType:
    """The usual arithmetic conversions (C11 6.3.1.8) for integer operands."""
    a, b = promote(a), promote(b)
    if a.unsigned == b.unsigned:
        return a if a.rank >= b.rank else b
    unsigned, signed = (a, b) if a.unsigned else (b, a)
    if unsigned.rank >= signed.rank:
        return unsigned
    if signed.bits > unsigned.bits:
        return signed
    return next(t for t in (UINT, ULONG, ULLONG) if t.rank == signed.rank)


def literal(token: str) -> Value:
    """An integer literal's value and type, by C11 6.4.4.1's table of candidate types."""
    match = re.fullmatch(r"(0[xX][0-9a-fA-F']+|0[bB][01']+|\d[\d']*)([uUlL]*)", token)
    if match is None:
        raise CExprError(f"not an integer literal: {token}")
    digits, suffix = match.group(1).replace("'", ""), match.group(2).lower()
    if digits[:2].lower() in ("0x", "0b"):
        value = int(digits[2:], 16 if digits[1] in "xX" else 2)
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits, 8)
    else:
        value = int(digits)
    decimal = digits[0] != "0" or digits == "0"
    if suffix not in ("", "u", "l", "ul", "lu", "ll", "ull", "llu"):
        raise CExprError(f"bad integer suffix: {token}")
    longs = suffix.count("l")
    candidates = [INT, LONG, LLONG][longs:]
    if "u" in suffix:
        candidates = [_unsigned(t) for t in candidates]
    elif not decimal:
        candidates = [x for t in candidates for x in (t, _unsigned(t))]
    for ctype in candidates:
        if value < 1 << (ctype.bits - (0 if ctype.unsigned else 1)):
            return Value(value, ctype)
    raise CExprError(f"integer literal too large: {token}")


def _unsigned(t: CType) -> CType:
    return {INT: UINT, LONG: ULONG, LLONG: ULLONG}.get(t, t)


# --- syntax -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    text: str


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Expr


@dataclass(frozen=True)
class Cast:
    type_name: str
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Ternary:
    cond: Expr
    then: Expr
    other: Expr


@dataclass(frozen=True)
class Postfix:
    """A call, subscript, member access or sizeof: parsed so trees compare, never evaluated."""

    op: str  # "call", "[]", ".", "->", "sizeof", "++", "--"
    base: Expr | None
    args: tuple[Expr, ...]
    text: str  # member name or sizeof's type text


Expr = Num | Name | Unary | Cast | Binary | Ternary | Postfix

# Binary operators by precedence, loosest first; all associate to the left.
_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("|",),
    ("^",),
    ("&",),
    ("==", "!="),
    ("<", "<=", ">", ">="),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
)
_PRECEDENCE = {op: level for level, ops in enumerate(_LEVELS) for op in ops}


class _Parser:
    def __init__(self, tokens: tuple[str, ...]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, ahead: int = 0) -> str | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise CExprError(f"expected {expected or 'more'} in {' '.join(self.tokens)!r}")
        self.pos += 1
        return token

    def conditional(self) -> Expr:
        cond = self.binary(0)
        if self.peek() != "?":
            return cond
        self.take("?")
        then = self.conditional()
        self.take(":")
        return Ternary(cond, then, self.conditional())

    def binary(self, level: int) -> Expr:
        """Precedence climbing: operands bind to the tighter operators first."""
        left = self.unary()
        while (op := self.peek()) in _PRECEDENCE and _PRECEDENCE[op] >= level:
            self.take()
            right = self.binary(_PRECEDENCE[op] + 1)
            left = Binary(op, left, right)
        return left

    def unary(self) -> Expr:
        token = self.peek()
        if token in ("+", "-", "~", "!", "*", "&", "++", "--"):
            self.take()
            return Unary(token, self.unary())
        if token == "sizeof":
            self.take()
            if self.peek() == "(" and self._type_at(1):
                return Postfix("sizeof", None, (), self._type_in_parens())
            return Postfix("sizeof", self.unary(), (), "")
        if token == "(" and self._type_at(1):
            return Cast(self._type_in_parens(), self.unary())
        return self.postfix(self.primary())

    def _type_at(self, ahead: int) -> bool:
        token = self.peek(ahead)
        return token is not None and (
            token in TYPES
            or token in _TYPE_WORDS
            or token in TYPEOF
            or token in ("struct", "union", "enum")
        )

    def _type_in_parens(self) -> str:
        self.take("(")
        words, depth = [], 0
        while depth or self.peek() != ")":
            word = self.take()
            depth += (word == "(") - (word == ")")
            words.append(word)
        self.take(")")
        return " ".join(w for w in words if w != "const")

    def primary(self) -> Expr:
        token = self.take()
        if token == "(":
            inner = self.comma()
            self.take(")")
            return inner
        if token[0].isdigit():
            return Num(token)
        if is_identifier(token):
            return Name(token)
        if token[0] == "'":
            return Num(str(_char_value(token)))
        raise CExprError(f"unexpected {token!r} in {' '.join(self.tokens)!r}")

    def comma(self) -> Expr:
        expr = self.conditional()
        while self.peek() == ",":
            self.take()
            expr = Binary(",", expr, self.conditional())
        return expr

    def postfix(self, base: Expr) -> Expr:
        while (token := self.peek()) in ("(", "[", ".", "->", "++", "--"):
            self.take()
            if token == "(":
                args = []
                while self.peek() != ")":
                    args.append(self.conditional())
                    if self.peek() == ",":
                        self.take()
                self.take(")")
                base = Postfix("call", base, tuple(args), "")
            elif token == "[":
                index = self.comma()
                self.take("]")
                base = Postfix("[]", base, (index,), "")
            elif token in (".", "->"):
                base = Postfix(token, base, (), self.take())
            else:
                base = Postfix(token, base, (), "")
        return base


def _char_value(token: str) -> int:
    body = token[1:-1]
    escapes = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, "'": 39, '"': 34}
    if body.startswith("\\") and len(body) == 2 and body[1] in escapes:
        return escapes[body[1]]
    if len(body) == 1:
        return ord(body)
    raise CExprError(f"unsupported character literal {token}")


def parse(text_or_tokens: str | tuple[str, ...]) -> Expr:
    """The expression tree; parentheses leave no node, so trees compare by meaning."""
    tokens = tokenize(text_or_tokens) if isinstance(text_or_tokens, str) else text_or_tokens
    if not tokens:
        raise CExprError("empty expression")
    parser = _Parser(tokens)
    expr = parser.comma()
    if parser.peek() is not None:
        raise CExprError(f"unexpected {parser.peek()!r} in {' '.join(tokens)!r}")
    return expr


# --- values -----------------------------------------------------------------------------


def evaluate(expr: Expr) -> Value:
    """The value an LP64 gcc computes; NotConstant for names, calls, sizeof and UB."""
    match expr:
        case Num(text):
            return literal(text)
        case Name(name):
            raise NotConstant(f"{name} is not a constant")
        case Cast(type_name, operand):
            if type_name not in TYPES:
                raise NotConstant(f"cast to unknown type {type_name}")
            value = evaluate(operand).value
            ctype = TYPES[type_name]
            return wrap(int(value != 0) if ctype is BOOL else value, ctype)
        case Unary(op, operand):
            return _unary(op, evaluate(operand))
        case Binary(op, left, right):
            return _binary(op, left, right)
        case Ternary(cond, then, other):
            chosen = then if evaluate(cond).value else other
            ctype = common_type(evaluate(then).ctype, evaluate(other).ctype)
            return wrap(evaluate(chosen).value, ctype)
        case Postfix(op):
            raise NotConstant(f"{op} is not a constant")
    raise CExprError(f"cannot evaluate {expr!r}")


def _unary(op: str, v: Value) -> Value:
    ctype = promote(v.ctype)
    if op == "+":
        return wrap(v.value, ctype)
    if op == "-":
        return wrap(-v.value, ctype)
    if op == "~":
        return wrap(~v.value, ctype)
    if op == "!":
        return Value(int(v.value == 0), INT)
    raise NotConstant(f"unary {op} is not a constant")


def _binary(op: str, left_expr: Expr, right_expr: Expr) -> Value:
    left = evaluate(left_expr)
    if op in ("&&", "||"):  # short-circuit: the right side may be left unevaluated
        if (op == "&&") != bool(left.value):
            return Value(int(bool(left.value)), INT)
        return Value(int(bool(evaluate(right_expr).value)), INT)
    right = evaluate(right_expr)
    if op == ",":
        return right
    if op in ("<<", ">>"):
        return _shift(op, left, right)
    ctype = common_type(left.ctype, right.ctype)
    a, b = wrap(left.value, ctype).value, wrap(right.value, ctype).value
    if op in _COMPARE:
        return Value(int(_COMPARE[op](a, b)), INT)
    if op in ("/", "%"):
        if b == 0:
            raise NotConstant("division by zero")
        quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # C truncates
        return wrap(quotient if op == "/" else a - quotient * b, ctype)
    return wrap(_ARITH[op](a, b), ctype)


def _shift(op: str, left: Value, right: Value) -> Value:
    ctype = promote(left.ctype)
    if not 0 <= right.value < ctype.bits:
        raise NotConstant(f"shift by {right.value} is undefined for {ctype.name}")
    if op == "<<":
        return wrap(left.value << right.value, ctype)
    return wrap(left.value >> right.value, ctype)  # arithmetic for negative, as gcc


_COMPARE = {
    "<": int.__lt__,
    "<=": int.__le__,
    ">": int.__gt__,
    ">=": int.__ge__,
    "==": int.__eq__,
    "!=": int.__ne__,
}
_ARITH = {
    "+": int.__add__,
    "-": int.__sub__,
    "*": int.__mul__,
    "&": int.__and__,
    "|": int.__or__,
    "^": int.__xor__,
}


def unparse(expr: Expr) -> str:
    """Fully parenthesised text of a tree: shows how C grouped the operands."""
    match expr:
        case Num(text):
            return text
        case Name(name):
            return name
        case Cast(type_name, operand):
            return f"({type_name}){unparse(operand)}"
        case Unary(op, operand):
            return f"{op}{unparse(operand)}"
        case Binary(op, left, right):
            return f"({unparse(left)} {op} {unparse(right)})"
        case Ternary(cond, then, other):
            return f"({unparse(cond)} ? {unparse(then)} : {unparse(other)})"
        case Postfix(op, base, args, text):
            inner = ", ".join(unparse(a) for a in args)
            head = "" if base is None else unparse(base)
            if op == "call":
                return f"{head}({inner})"
            if op == "[]":
                return f"{head}[{inner}]"
            if op == "sizeof":
                return f"sizeof({text or head})"
            return f"{head}{op}{text}"
    raise CExprError(f"cannot print {expr!r}")
