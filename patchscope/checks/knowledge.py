"""What one image of a patch defines, as a comparison needs it: macros, the helpers it
can inline (a whole body that is one `return`), and the integer types of names.

Layers, later over earlier: the kernel facts table, the tree's touched files (with
`--tree`), then every definition the series shows up to that image.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from patchscope.checks import kernel_facts
from patchscope.checks.cexpr import (
    TYPES,
    Binary,
    Cast,
    CExprError,
    CType,
    Expr,
    Name,
    Postfix,
    Ternary,
    Unary,
    is_identifier,
    parse,
    scan,
    tokenize,
    unparse,
)
from patchscope.checks.expand import Macro, expand, macro_from_signature
from patchscope.checks.hunkcode import DECL_WORDS
from patchscope.code.fragments import is_c_file
from patchscope.code.model import Definition, Image, SeriesFacts
from patchscope.code.tree import TreeFacts


@dataclass(frozen=True)
class Helper:
    """A function whose whole body is one `return`: inlined where the side calls it."""

    params: tuple[tuple[str, str | None], ...]  # name, type name when it is an integer type
    result: str | None
    body: tuple[str, ...]


class Types(Mapping[str, CType | None]):
    """name -> integer type: the types set here, else the first tree text declaring the name.

    A tree text (a whole touched file) is tokenized only when a name it holds is looked up,
    and once however many images hold it: tokenizing every touched file for every image was
    most of the time `check --tree` took.
    """

    def __init__(self, own: Mapping[str, CType | None] | None = None, texts: tuple[str, ...] = ()):
        self.own: dict[str, CType | None] = dict(own or {})
        self.texts = texts

    def __getitem__(self, name: str) -> CType | None:
        if name in self.own:
            return self.own[name]
        if is_identifier(name):
            for text in self.texts:  # a text without the name cannot declare it
                if name in text and name in (found := _text_declarations(text)):
                    return found[name]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        every = (name for text in self.texts for name in _text_declarations(text))
        return iter(dict.fromkeys([*self.own, *every]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __setitem__(self, name: str, ctype: CType | None) -> None:
        self.own[name] = ctype

    def update(self, found: Mapping[str, CType | None]) -> None:
        self.own.update(found)

    def add_text(self, text: str) -> None:
        """Declarations of `text` for the names neither set here nor declared by earlier texts."""
        if text not in self.texts:
            self.texts = (*self.texts, text)

    def copy(self) -> Types:
        return Types(self.own, self.texts)


@lru_cache(maxsize=64)  # the same file text stands in many images of a series
def _text_declarations(text: str) -> dict[str, CType | None]:
    return declarations(text)


@lru_cache(maxsize=64)
def _text_macros(text: str) -> tuple[Macro, ...]:
    """The macros a C text defines, in its order."""
    found = []
    for match in _DEFINE.finditer(text):
        macro = macro_from_signature(match.group(1), match.group(2).replace("\\\n", " "))
        if macro is not None:
            found.append(macro)
    return tuple(found)


@dataclass
class Knowledge:
    """One image's definitions as a comparison needs them; later layers override earlier."""

    macros: dict[str, Macro] = field(default_factory=kernel_facts.kernel_macros)
    helpers: dict[str, Helper] = field(default_factory=dict)
    types: Types = field(default_factory=Types)

    def copy(self) -> Knowledge:
        return Knowledge(dict(self.macros), dict(self.helpers), self.types.copy())

    def renamed(self, mapping: Mapping[str, str]) -> Knowledge:
        """The pre-image's knowledge under the post-image's names: its tokens are mapped so."""
        out = self.copy()
        for old, new in mapping.items():
            if old in out.macros:
                out.macros[new] = out.macros[old]
            if old in out.helpers:
                out.helpers[new] = out.helpers[old]
            if old in out.types:
                out.types[new] = out.types[old]
        return out

    def learn(self, image: Image) -> None:
        for d in image.definitions:
            if d.kind == "macro":
                macro = macro_from_signature(d.signature, d.body)
                if macro is not None:
                    self.macros[macro.name] = macro
                    self.helpers.pop(macro.name, None)
            elif d.kind == "function" and d.complete:
                helper = helper_of(d)
                if helper is not None:
                    self.helpers[d.name] = helper
                    self.macros.pop(d.name, None)
            elif d.kind in ("field", "global") and d.signature:
                name = d.name.rsplit(".", 1)[-1]
                key = "." + name if d.kind == "field" else name
                self.types[key] = _declared_type(d.signature, name)

    def learn_text(self, text: str) -> None:
        """Macros and declarations a tree file holds (tree text ranks below the series)."""
        for macro in _text_macros(text):
            self.macros.setdefault(macro.name, macro)
        self.types.add_text(text)


_DEFINE = re.compile(
    r"^[ \t]*(#[ \t]*define[ \t]+\w+(?:\([^)\n]*\))?)((?:[^\n]*\\\n)*[^\n]*)", re.M
)
_SIGNATURE = re.compile(r"(?P<head>[^()]*?)\b(?P<name>\w+)\s*\((?P<params>[^()]*)\)\s*$")


def helper_of(d: Definition) -> Helper | None:
    match = _SIGNATURE.match(d.signature)
    try:
        body = tokenize(d.body)
    except CExprError:
        return None
    if match is None or len(body) < 5 or body[:2] != ("{", "return") or body[-2:] != (";", "}"):
        return None
    if ";" in body[2:-2]:
        return None
    params = []
    for param in match.group("params").split(","):
        words = param.replace("*", " * ").split()
        if not words or words == ["void"]:
            continue
        params.append((words[-1], _type_name(words[:-1])))
    return Helper(tuple(params), _type_name(match.group("head").split()), body[2:-2])


def _type_name(words: list[str]) -> str | None:
    kept = [w for w in words if w not in ("static", "inline", "const", "extern", "__always_inline")]
    name = " ".join(kept)
    return name if name in TYPES else None


def _declared_type(signature: str, name: str) -> CType | None:
    words = signature.replace("*", " * ").split()
    if name not in words or "*" in words:
        return None
    type_name = _type_name(words[: words.index(name)])
    return None if type_name is None else TYPES[type_name]


_DIRECTIVE = re.compile(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", re.M)
_PRECEDES_DECL = frozenset({";", "{", "}", "(", ",", ""})


def declarations(text: str) -> dict[str, CType | None]:
    """name -> integer type for each declaration or parameter in C text; None when two
    declarations disagree or the declared thing is a pointer."""
    text = _DIRECTIVE.sub(";", text)  # a directive ends whatever came before it
    try:
        tokens = tokenize(text)
    except CExprError:
        tokens = tuple(t for t, _ in scan(text, lenient=True))
    found: dict[str, CType | None] = {}
    i = 0
    while i < len(tokens):
        if (tokens[i - 1] if i else "") not in _PRECEDES_DECL or tokens[i] not in DECL_WORDS:
            i += 1
            continue
        j = i
        while j < len(tokens) and tokens[j] in DECL_WORDS:
            j += 1
        type_name = _type_name(list(tokens[i:j]))
        while j < len(tokens):
            pointer = tokens[j] == "*"
            while j < len(tokens) and tokens[j] == "*":
                j += 1
            if j + 1 >= len(tokens) or not is_identifier(tokens[j]):
                break
            if tokens[j + 1] not in (",", ";", "=", ")", "["):
                break
            name = tokens[j]
            ctype = None if pointer or type_name is None else TYPES[type_name]
            found[name] = ctype if found.get(name, ctype) == ctype else None
            j = _after_declarator(tokens, j + 1)
            if j >= len(tokens) or tokens[j] != "," or tokens[j + 1 : j + 2] == ():
                break
            if tokens[j + 1] in DECL_WORDS:  # a parameter list: the next has its own type
                break
            j += 1
        i = j + 1
    return found


def _after_declarator(tokens: tuple[str, ...], j: int) -> int:
    """The index of the `,`, `;` or `)` ending a declarator's initializer or array size."""
    depth = 0
    while j < len(tokens):
        text = tokens[j]
        if depth == 0 and text in (",", ";", ")"):
            return j
        depth += text in "([{"
        depth -= text in ")]}"
        j += 1
    return j


def knowledge(facts: SeriesFacts, tree: TreeFacts | None) -> dict[int, tuple[Knowledge, Knowledge]]:
    """Per patch, what its pre-image and its post-image define."""
    known = Knowledge()
    out: dict[int, tuple[Knowledge, Knowledge]] = {}
    texts = {} if tree is None else {s.patch: s for s in tree.placement.stages}
    previous = 0
    for pf in sorted(facts.patches, key=lambda pf: pf.number):
        before = known.copy()
        before.learn(pf.before)
        after = before.copy()
        after.learn(pf.after)
        for know, stage in ((before, texts.get(previous)), (after, texts.get(pf.number))):
            for ft in () if stage is None else stage.files:
                if ft.text is not None and is_c_file(ft.path):
                    know.learn_text(ft.text)
        out[pf.number] = (before, after)
        known = after
        previous = pf.number
    return out


def meaning(expr: Expr, known: Knowledge, used: set[str]) -> Expr:
    """The expression with macros expanded and the side's one-line helpers inlined."""
    tokens = tokenize(unparse(expr))
    used |= {t for t in tokens if t in known.macros and t in kernel_facts.BY_NAME}
    parsed = parse(expand(tokens, known.macros))
    return inline(parsed, known, used, 4)


def inline(expr: Expr, known: Knowledge, used: set[str], depth: int) -> Expr:
    match expr:
        case Postfix("call", Name(name), args, _) if name in known.helpers and depth > 0:
            helper = known.helpers[name]
            if len(helper.params) != len(args):
                return expr
            used.add(f"{name}()")
            bound = {
                p: arg if t is None else Cast(t, arg)
                for (p, t), arg in zip(helper.params, args, strict=True)
            }
            body = substitute(meaning(parse(helper.body), known, used), bound)
            body = inline(body, known, used, depth - 1)
            return body if helper.result is None else Cast(helper.result, body)
        case Unary(op, x):
            return Unary(op, inline(x, known, used, depth))
        case Binary(op, x, y):
            return Binary(op, inline(x, known, used, depth), inline(y, known, used, depth))
        case Ternary(c, x, y):
            return Ternary(*(inline(e, known, used, depth) for e in (c, x, y)))
        case Cast(t, x):
            return Cast(t, inline(x, known, used, depth))
        case Postfix(op, base, args, text):
            inner = None if base is None else inline(base, known, used, depth)
            return Postfix(op, inner, tuple(inline(a, known, used, depth) for a in args), text)
    return expr


def substitute(expr: Expr, bound: Mapping[str, Expr]) -> Expr:
    match expr:
        case Name(name) if name in bound:
            return bound[name]
        case Unary(op, x):
            return Unary(op, substitute(x, bound))
        case Binary(op, x, y):
            return Binary(op, substitute(x, bound), substitute(y, bound))
        case Ternary(c, x, y):
            return Ternary(*(substitute(e, bound) for e in (c, x, y)))
        case Cast(t, x):
            return Cast(t, substitute(x, bound))
        case Postfix(op, base, args, text):
            inner = None if base is None else substitute(base, bound)
            return Postfix(op, inner, tuple(substitute(a, bound) for a in args), text)
    return expr


def names(expr: Expr) -> set[str]:
    match expr:
        case Name(name):
            return {name}
        case Unary(_, x) | Cast(_, x):
            return names(x)
        case Binary(_, x, y):
            return names(x) | names(y)
        case Ternary(c, x, y):
            return names(c) | names(x) | names(y)
        case Postfix(_, base, args, _):
            found = set() if base is None else names(base)
            for a in args:
                found |= names(a)
            return found
    return set()
