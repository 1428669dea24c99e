"""What a patch changes in what its code computes: its changed statements, paired before
and after and compared by the solver.

Per hunk, the changed `if`/`while`/`for` conditions, assigned values, return values and
call arguments of the pre-image are paired with those of the post-image (same kind,
same assigned name or callee, the most alike first), once identical statements and the patch's
renames are set aside. Each pair is cut down to the smallest part that differs, then
macros are expanded (the series' own, the tree's, then the kernel facts table) and
the single-`return` helpers the series shows are inlined, each side with its own
definitions: an inverted helper whose callers are all negated compares equal.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from patchscope.checks.cexpr import (
    TYPES,
    UNREADABLE,
    Binary,
    Cast,
    CType,
    Expr,
    Name,
    Postfix,
    Unary,
    parse,
    tokenize,
    unparse,
)
from patchscope.checks.expand import expand, macro_from_signature, parenthesised
from patchscope.checks.hunkcode import CONDITIONS, Stmt, Token, statements
from patchscope.checks.knowledge import (
    Helper,
    Knowledge,
    declarations,
    helper_of,
    meaning,
    names,
    substitute,
)
from patchscope.checks.verdict import Budget, Verdict
from patchscope.code.model import Definition, PatchFacts
from patchscope.diff.model import FileDiff, Hunk


@dataclass(frozen=True)
class Comparison:
    what: str  # "the condition", "the value assigned to x", "the arguments of f()"
    before: Stmt | None
    after: Stmt | None
    verdict: Verdict
    compared: tuple[str, str]  # the two expressions the solver saw, "" where unpaired
    sources: tuple[str, ...]  # kernel facts and inlined helpers the comparison used
    callee: str | None = None  # the call whose argument the differing part is
    substituted: tuple[str, ...] = ()  # "left = (int)(n - 1)": values that reach the code


def compare_patch(
    hunks: Sequence[tuple[FileDiff, Hunk]],
    images: Sequence[tuple[list[Token], list[Token]]],
    known: tuple[Knowledge, Knowledge],
    mapping: Mapping[str, str],
    budget: Budget,
) -> list[Comparison]:
    """Every changed statement of the patch's C hunks with its counterpart, compared.

    `images` are the hunks' token images (hunkcode.images), in the order of `hunks`.
    """
    shown = [
        (list(statements(before, h.section)), list(statements(after, h.section)))
        for (_, h), (before, after) in zip(hunks, images, strict=True)
    ]
    per_hunk = [([s for s in b if s.changed], [s for s in a if s.changed]) for b, a in shown]
    before_k, after_k = known
    _drop_identical(per_hunk, mapping, _redefined(before_k, after_k, mapping))
    tainted = {
        mapping.get(s.key, s.key) for b, a in per_hunk for s in (*b, *a) if s.kind == "assign"
    }
    tainted |= _addressed(per_hunk)
    declared = _Declared()
    out: list[Comparison] = []
    for (fd, hunk), (olds, news), (all_b, all_a) in zip(hunks, per_hunk, shown, strict=True):
        local = (
            _local(before_k, fd, hunk, "-", declared).renamed(mapping),
            _local(after_k, fd, hunk, "+", declared),
        )
        pairs, lone = _pair(olds, news, mapping)
        for b, a in pairs:
            reach = (
                _reacher(all_b, b, mapping, local[0]),
                _reacher(all_a, a, {}, local[1]),
            )
            out.append(_compare(b, a, mapping, local, tainted, budget, reach))
        for s in lone:
            if s.kind in CONDITIONS:
                out.append(_lone(s, local[0] if s.where.sign == "-" else local[1], budget))
    return _explained(out)


Reach = Callable[[str], Expr | None]


def _reacher(stmts: list[Stmt], at: Stmt, mapping: Mapping[str, str], known: Knowledge) -> Reach:
    """The value a local assigned in the same block reaches `at` with, as its type holds it.

    Only the nearest assignment before `at` in the same braces, run every time (no
    unbraced if/else/loop around it), plain `=`, and never with the name's address taken:
    then each pass through the block assigns before it reads.
    """

    def reach(name: str) -> Expr | None:
        ctype = known.types.get(name)
        if ctype is None or at not in stmts:
            return None
        for s in reversed(stmts[: stmts.index(at)]):
            tokens = tuple(mapping.get(t, t) for t in s.tokens)
            if any(tokens[k : k + 2] == ("&", name) for k in range(len(tokens))):
                return None
            if s.kind != "assign" or mapping.get(s.key, s.key) != name:
                continue
            if s.guarded or s.blocks != at.blocks or name in tokens or not tokens:
                return None
            try:
                return Cast(ctype.name, parse(tokens))
            except UNREADABLE:
                return None
        return None

    return reach


def _all_proved(found: list[Comparison]) -> bool:
    return all(c.verdict.outcome == "proved" for c in found)


def _explained(found: list[Comparison]) -> list[Comparison]:
    """A local's changed value whose every shown use computes the same is not refuted:
    uses the hunk does not show decide."""
    out = []
    for c in found:
        name = c.after.key if c.after is not None and c.after.kind == "assign" else ""
        uses = [d for d in found if any(x.startswith(f"{name} = ") for x in d.substituted)]
        if name and c.verdict.outcome == "refuted" and uses and _all_proved(uses):
            why = f"{name} changes, but every use the hunk shows computes the same"
            c = replace(c, verdict=Verdict("not proved", why))
        out.append(c)
    return out


def _redefined(before: Knowledge, after: Knowledge, mapping: Mapping[str, str]) -> set[str]:
    """Renamed helpers whose body changes too: a statement calling one is no rename."""

    def shape(h: Helper | None, names: Mapping[str, str]) -> object:
        if h is None:
            return None
        places = {p: f"${k}" for k, (p, _) in enumerate(h.params)}
        body = tuple(places.get(t, names.get(t, t)) for t in h.body)
        return (tuple(t for _, t in h.params), h.result, body)

    return {
        new
        for old, new in mapping.items()
        if shape(before.helpers.get(old), mapping) != shape(after.helpers.get(new), {})
        and (old in before.helpers or new in after.helpers)
    }


def _drop_identical(
    per_hunk: list[tuple[list[Stmt], list[Stmt]]], mapping: Mapping[str, str], redefined: set[str]
) -> None:
    def sig(s: Stmt, m: Mapping[str, str]) -> tuple[str, str, tuple[str, ...]]:
        return (s.kind, m.get(s.key, s.key), tuple(m.get(t, t) for t in s.tokens))

    before = Counter(sig(s, mapping) for olds, _ in per_hunk for s in olds)
    after = Counter(sig(s, {}) for _, news in per_hunk for s in news)
    common = Counter({k: n for k, n in (before & after).items() if not redefined & set(k[2])})
    left_b, left_a = Counter(common), Counter(common)
    for olds, news in per_hunk:
        olds[:] = [s for s in olds if not _consume(left_b, sig(s, mapping))]
        news[:] = [s for s in news if not _consume(left_a, sig(s, {}))]


def _consume(
    counter: Counter[tuple[str, str, tuple[str, ...]]], key: tuple[str, str, tuple[str, ...]]
) -> bool:
    if counter[key] > 0:
        counter[key] -= 1
        return True
    return False


def _addressed(per_hunk: list[tuple[list[Stmt], list[Stmt]]]) -> set[str]:
    """Names whose address a changed statement passes on: a callee may write them."""
    found = set()
    for olds, news in per_hunk:
        for s in (*olds, *news):
            found |= {s.tokens[k + 1] for k in range(len(s.tokens) - 1) if s.tokens[k] == "&"}
    return found


class _Declared:
    """The declarations each hunk side shows, read once per patch: every hunk of a file
    asks for all the file's hunks."""

    def __init__(self) -> None:
        self._read: dict[tuple[int, str], dict[str, CType | None]] = {}

    def __call__(self, hunk: Hunk, kind: str) -> dict[str, CType | None]:
        key = (id(hunk), kind)  # the hunks outlive the patch's comparison
        if key not in self._read:
            shown = (hl.text for hl in hunk.lines if hl.kind in (" ", kind))
            self._read[key] = declarations(hunk.section + "\n" + "\n".join(shown))
        return self._read[key]


def _local(known: Knowledge, fd: FileDiff, hunk: Hunk, kind: str, declared: _Declared) -> Knowledge:
    """The side's knowledge with the declarations the file's hunks show, its own first."""
    local = known.copy()
    for shown in (*(h for h in fd.hunks if h is not hunk), hunk):
        local.types.update(declared(shown, kind))
    return local


def _pair(
    olds: list[Stmt], news: list[Stmt], mapping: Mapping[str, str]
) -> tuple[list[tuple[Stmt, Stmt]], list[Stmt]]:
    """Counterparts of the same kind and key: the most alike first (difflib's ratio), then
    the nearest in order.

    A renamed function's returns have none: all its callers are in the patch (the old
    name is gone) and compare with each side's body inlined.
    """
    candidates = []
    for i, b in enumerate(olds):
        mapped = [mapping.get(t, t) for t in b.tokens]
        key = b.key if b.kind == "return" else mapping.get(b.key, b.key)
        for j, a in enumerate(news):
            if (a.kind, a.key) == (b.kind, key):
                alike = difflib.SequenceMatcher(None, mapped, a.tokens).ratio()
                candidates.append((-alike, abs(i - j), i, j))
    pairs, used_b, used_a = [], set(), set()
    for _, _, i, j in sorted(candidates):
        if i not in used_b and j not in used_a:
            used_b.add(i)
            used_a.add(j)
            pairs.append((olds[i], news[j]))
    lone = [b for i, b in enumerate(olds) if i not in used_b]
    return pairs, lone + [a for j, a in enumerate(news) if j not in used_a]


def _compare(
    b: Stmt,
    a: Stmt,
    mapping: Mapping[str, str],
    known: tuple[Knowledge, Knowledge],
    tainted: set[str],
    budget: Budget,
    reach: tuple[Reach, Reach],
) -> Comparison:
    what = {
        "return": "a returned value",
        "call": f"the arguments of {a.key}()",
        "assign": f"the value assigned to {a.key}",
    }.get(b.kind, f"the {b.kind} condition")
    try:
        old = parse(tuple(mapping.get(t, t) for t in b.tokens))
        new = parse(a.tokens)
    except UNREADABLE as exc:
        return Comparison(what, b, a, Verdict("not proved", f"cannot read it: {exc}"), ("", ""), ())
    if _regroups(old, known[0]) or _regroups(new, known[1]):  # cut only where macros keep
        pairs: list[_Part] = [(old, new, b.kind in CONDITIONS, None)]  # their bodies whole
    else:
        inlined = set(known[0].helpers) | set(known[1].helpers)
        pairs = _argument_pairs(*_smallest(old, new, b.kind in CONDITIONS, None, inlined), inlined)
    if not pairs:
        verdict = Verdict("not proved", "the number of arguments changes")
        return Comparison(what, b, a, verdict, (unparse(old), unparse(new)), ())
    found = []
    for x, y, truth, callee in pairs:
        verdict, compared, sources, substituted = _solve(
            (x, y), truth, known, tainted, budget, reach
        )
        found.append(Comparison(what, b, a, verdict, compared, sources, callee, substituted))
        if verdict.outcome != "proved":
            break
    return found[-1]


_Part = tuple[Expr, Expr, bool, str | None]  # two differing parts, truth only, whose argument


def _regroups(expr: Expr, known: Knowledge) -> bool:
    """Whether some macro's body, expanded here, groups with what is around it."""
    tokens = tokenize(unparse(expr))
    whole = {name: parenthesised(m) for name, m in known.macros.items()}
    try:
        return parse(expand(tokens, known.macros)) != parse(expand(tokens, whole))
    except UNREADABLE:
        return False


def _argument_pairs(
    old: Expr, new: Expr, truth: bool, callee: str | None, inlined: set[str]
) -> list[_Part]:
    """Calls of one function the series does not define compare argument by argument;
    anything else as it is."""
    match old, new:
        case Postfix("call", Name(f), xs, _), Postfix("call", Name(g), ys, _) if (
            f == g and f not in inlined and xs != ys
        ):
            if len(xs) != len(ys):
                return []
            differ = [(x, y) for x, y in zip(xs, ys, strict=True) if x != y]
            return [_smallest(x, y, False, f, inlined) for x, y in differ]
    return [(old, new, truth, callee)]


def _smallest(old: Expr, new: Expr, truth: bool, callee: str | None, inlined: set[str]) -> _Part:
    """The one differing part of two trees alike elsewhere, whether only its truth counts,
    and the function it is an argument of (never one of the `inlined` helpers: a body
    may change with its callers)."""
    while True:
        match old, new:
            case Unary(op, x), Unary(op2, y) if op == op2 and op not in ("*", "&"):
                old, new, truth = x, y, op == "!"
            case Binary(op, l1, r1), Binary(op2, l2, r2) if op == op2 and (l1 == l2) != (r1 == r2):
                old, new = (r1, r2) if l1 == l2 else (l1, l2)
                truth = op in ("&&", "||")
            case Cast(t1, x), Cast(t2, y) if t1 == t2:
                old, new, truth = x, y, False
            case Postfix("call", f, xs, _), Postfix("call", g, ys, _) if (
                f == g
                and len(xs) == len(ys)
                and sum(x != y for x, y in zip(xs, ys, strict=True)) == 1
            ):
                old, new = next((x, y) for x, y in zip(xs, ys, strict=True) if x != y)
                truth = False
                callee = None if f is None else unparse(f)
            case _:
                return old, new, truth, callee


def _solve(
    pair: tuple[Expr, Expr],
    truth: bool,
    known: tuple[Knowledge, Knowledge],
    tainted: set[str],
    budget: Budget,
    reach: tuple[Reach, Reach],
) -> tuple[Verdict, tuple[str, str], tuple[str, ...], tuple[str, ...]]:
    used: set[str] = set()
    exprs, substituted = _reached(list(pair), tainted, reach)
    try:
        sides = tuple(meaning(e, k, used) for e, k in zip(exprs, known, strict=True))
    except UNREADABLE as exc:
        verdict = Verdict("not proved", f"cannot expand it: {exc}")
        return verdict, (unparse(pair[0]), unparse(pair[1])), (), substituted
    compared = (unparse(sides[0]), unparse(sides[1]))
    sources = tuple(sorted(used))
    moved = sorted(names(sides[0]) & tainted | names(sides[1]) & tainted)
    if moved:
        verb = "is" if len(moved) == 1 else "are"
        reason = f"{', '.join(moved)} {verb} assigned by lines the patch changes"
        return Verdict("not proved", reason), compared, sources, substituted
    types = _Agreed(known[0].types, known[1].types)
    verdict = _equivalent(sides[0], sides[1], types, budget, truth=truth)
    return verdict, compared, sources, substituted


class _Agreed(Mapping[str, CType | None]):
    """Both sides' types as one, looked up name by name: a name the sides type differently
    has no type (a tree side's types are read only for the names asked)."""

    def __init__(self, before: Mapping[str, CType | None], after: Mapping[str, CType | None]):
        self.before = before
        self.after = after

    def __getitem__(self, name: str) -> CType | None:
        if name in self.before:
            ctype = self.before[name]
            return ctype if self.after.get(name, ctype) == ctype else None
        return self.after[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self.before, *self.after]))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _reached(
    exprs: list[Expr], tainted: set[str], reach: tuple[Reach, Reach]
) -> tuple[list[Expr], tuple[str, ...]]:
    """Each side with the locals the patch reassigns replaced by the value reaching them."""
    substituted: list[str] = []
    for _ in range(3):  # a value may name another such local
        for k in (0, 1):
            for name in sorted(names(exprs[k]) & tainted):
                value = reach[k](name)
                if value is not None:
                    exprs[k] = substitute(exprs[k], {name: value})
                    substituted.append(f"{name} = {unparse(value)}")
    return exprs, tuple(dict.fromkeys(substituted))


def _lone(s: Stmt, known: Knowledge, budget: Budget) -> Comparison:
    """A condition with no counterpart: harmless when it never holds."""
    verb = "adds" if s.where.sign == "+" else "removes"
    what = f"the {s.kind} condition"
    used: set[str] = set()
    try:
        cond = meaning(parse(s.tokens), known, used)
    except UNREADABLE as exc:
        return Comparison(
            what, *_placed(s), Verdict("not proved", f"cannot read it: {exc}"), ("", ""), ()
        )
    never = _equivalent(cond, parse("0"), known.types, budget, truth=True)
    if never.outcome == "proved":
        return Comparison(what, *_placed(s), never, (unparse(cond), "0"), tuple(sorted(used)))
    reason = f"the patch {verb} it with no counterpart, and it can hold"
    if never.outcome == "not proved":
        reason = f"the patch {verb} it with no counterpart ({never.reason})"
    return Comparison(what, *_placed(s), Verdict("not proved", reason), ("", ""), ())


def _placed(s: Stmt) -> tuple[Stmt | None, Stmt | None]:
    return (None, s) if s.where.sign == "+" else (s, None)


def conversions(
    pf: PatchFacts, known: tuple[Knowledge, Knowledge], budget: Budget
) -> list[Comparison]:
    """Each macro the patch turns into a function of the same name, compared with it."""
    macros = {d.name: d for d in pf.before.definitions if d.kind == "macro"}
    return [
        _conversion(macros[d.name], d, known, budget)
        for d in pf.after.definitions
        if d.kind == "function" and d.complete and d.name in macros
    ]


_NOTHING = frozenset(
    {(), ("do", "{", "}", "while", "(", "0", ")"), ("(", "(", "void", ")", "0", ")")}
)


def _conversion(
    m: Definition, f: Definition, known: tuple[Knowledge, Knowledge], budget: Budget
) -> Comparison:
    old = Stmt("macro", m.name, (), Token(m.name, m.file, m.line, m.signature, "-"), True)
    new = Stmt("macro", f.name, (), Token(f.name, f.file, f.line, f.signature, "+"), True)
    what = f"{f.name}, a macro made a function"
    macro = macro_from_signature(m.signature, m.body)
    try:
        body = tokenize(f.body)
    except UNREADABLE:
        body = ()
    if macro is not None and macro.body in _NOTHING and body == ("{", "}"):
        return Comparison(what, old, new, Verdict("proved"), ("nothing", "nothing"), ())
    helper = helper_of(f)
    if macro is None or helper is None or len(helper.params) != len(macro.params or ()):
        statement = macro is None or "{" in macro.body
        reason = "the macro is a statement" if statement else "the function does more than return"
        verdict = Verdict("not proved", reason)
        return Comparison(what, old, new, verdict, (m.body, f.body), ())
    args = ", ".join(name for name, _ in helper.params)
    used: set[str] = set()
    try:
        before = meaning(parse(f"{m.name}({args})"), known[0], used)
        after = meaning(parse(f"{f.name}({args})"), known[1], used)
    except UNREADABLE as exc:
        verdict = Verdict("not proved", f"cannot read it: {exc}")
        return Comparison(what, old, new, verdict, (m.body, f.body), ())
    compared = (unparse(before), unparse(after))
    typed = {name: None if t is None else TYPES[t] for name, t in helper.params}
    types = known[1].types.copy()
    types.update(typed)
    verdict = _equivalent(before, after, types, budget)
    if verdict.outcome == "not proved" and helper.result and after == Cast(helper.result, before):
        kept = f"the value fits {helper.result}, the function's return type"
        return Comparison(what, old, new, Verdict("proved", premises=(kept,)), compared, ())
    if names(before) & set(typed) and verdict.outcome != "not proved":
        callers = "callers pass arguments of the function's parameter types"
        premises = (callers, *verdict.premises)
        verdict = Verdict(
            verdict.outcome, verdict.reason, premises, verdict.counterexample, verdict.values
        )
    return Comparison(what, old, new, verdict, compared, tuple(sorted(used)))


def _equivalent(
    before: Expr,
    after: Expr,
    types: Mapping[str, CType | None],
    budget: Budget,
    *,
    truth: bool = False,
) -> Verdict:
    # imported here: z3 (some 30 ms to load, 10 ms to its first answer) only for a comparison
    from patchscope.checks.smt import equivalent

    return equivalent(before, after, types, budget, truth=truth)


def pairs_text(items: Iterable[Comparison]) -> Iterator[str]:
    """One evidence line per comparison: where, what was compared, the outcome."""
    for c in items:
        at = c.after or c.before
        assert at is not None
        compared = f": {c.compared[0]}  vs  {c.compared[1]}" if c.compared[0] else ""
        what = c.what
        if c.callee and c.callee != at.key:  # the differing part is an argument of a call
            what += f", in the arguments of {c.callee}()"
        why = f" ({c.verdict.reason})" if c.verdict.reason else ""
        if c.substituted:
            why += f" with {', '.join(c.substituted)}"
        yield f"{at.where.file}:{at.where.line}: {what}{compared}: {c.verdict.outcome}{why}"
