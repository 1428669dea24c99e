"""Plain values for C facts: what each side of each patch defines, references and changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# "prototype": a function declaration without a body (headers, forward declarations);
# "global": a file-scope variable definition; "extern": its declaration;
# "field": a struct/union member, named "struct_tag.member".
EntityKind = Literal["function", "prototype", "macro", "struct", "field", "global", "extern"]
ChangeKind = Literal["added", "removed", "body", "renamed", "prototype"]
# call: f(...); pointer_call: x->field(...) or x.field(...); macro_call: M(...) of a
# function-like macro (or an all-caps callee when the macro is not visible);
# use: a macro, global or field read; write: a global or field assigned.
ReferenceKind = Literal["call", "pointer_call", "macro_call", "use", "write"]


@dataclass(frozen=True)
class Definition:
    """One entity as one image (pre or post) of one patch shows it."""

    kind: EntityKind
    name: str
    file: str
    line: int  # first line, numbered in that image of the file
    end_line: int  # last line visible in the fragment
    guard: tuple[str, ...]  # enclosing #if conditions, outermost first; "!X" for #ifndef/#else
    static: bool  # storage class static (functions, globals)
    # whitespace-folded: "int f(int a, long b)", "#define M(x) ((x) + 1)", "int x"; "" when
    # the fragment shows only a function's body (named then from the @@ hint)
    signature: str
    body: str  # function body or macro replacement text, whitespace-folded; "" if not shown
    complete: bool  # the whole definition lies inside the fragment


@dataclass(frozen=True)
class Reference:
    """A use of a name inside code one image shows."""

    kind: ReferenceKind
    name: str  # the callee, macro, global, or "tag.member"/"member" for fields
    via: str | None  # the pointer field for pointer_call ("init" for r->init(...))
    in_function: str | None  # the enclosing function (for a macro body, the one around it)
    file: str
    line: int
    guard: tuple[str, ...]
    text: str  # the source line, stripped, as evidence


@dataclass(frozen=True)
class Assignment:
    """A function stored in a pointer field: `r.init = fn;` or `{ .init = fn }`."""

    field: str
    function: str
    file: str
    line: int


@dataclass(frozen=True)
class Image:
    """All facts one side (pre-image or post-image) of one patch shows."""

    definitions: tuple[Definition, ...]
    references: tuple[Reference, ...]
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True)
class Change:
    """A patch's effect on one entity."""

    patch: int
    kind: EntityKind
    name: str
    file: str
    line: int  # post-image line (pre-image for removals)
    change: ChangeKind
    detail: str  # e.g. "return type void -> unsigned long", "from kmalloc_section_memmap"
    old_name: str | None  # for renamed
    old_signature: str | None  # for prototype changes
    new_signature: str | None


@dataclass(frozen=True)
class PatchFacts:
    """One patch's code facts: both images of the code it touches, and its changes."""

    number: int
    before: Image
    after: Image
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class SeriesFacts:
    """The code facts of a series: one PatchFacts per patch."""

    patches: tuple[PatchFacts, ...]
