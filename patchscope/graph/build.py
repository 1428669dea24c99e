"""The series as one networkx MultiDiGraph: entities, files, patches and how they relate.

Node ids spell what a node is: `function:FILE:NAME`, `macro:FILE:NAME`, `field:FILE:TAG.MEMBER`,
`global:FILE:NAME`, `struct:FILE:TAG`, `prototype:NAME` (the group of same-named functions),
`file:PATH`, `patch:N`. A name the series uses but never defines has FILE "" and area "unknown".

Edges carry `kind`; calls carry `via` ("direct" or the pointer field), uses carry `ref` (the
reference kind), modifies `change` and `detail`, renamed_to `patch`, depends_on `reasons`
(one "kind: file: detail" per line). Calls and uses also carry `before` and `after`: the
patches (comma-separated) whose pre- and post-image show them, so a call a patch removes
reads before="1", after="". Every attribute is a str, int or bool so that GraphML can hold
the graph as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from patchscope.code.model import (
    Assignment,
    Change,
    Definition,
    EntityKind,
    Reference,
    SeriesFacts,
)
from patchscope.code.scan import guard_text
from patchscope.diff.deps import Dependency
from patchscope.graph.areas import area_of
from patchscope.ingest.series import Series

if TYPE_CHECKING:
    import networkx as nx

    from patchscope.code.callers import Site
    from patchscope.code.tree import TreeFacts


# Definition kinds -> node kind; declarations (prototype, extern) point at what they declare.
_NODE_KIND = {
    "function": "function",
    "macro": "macro",
    "field": "field",
    "global": "global",
    "struct": "struct",
    "prototype": "prototype",
    "extern": "global",
}


def crosses_arch_mm(area_a: str, area_b: str) -> bool:
    """An edge between an architecture and core mm, in either direction."""
    areas = {area_a, area_b}
    return "mm" in areas and any(a.startswith("arch/") for a in areas)


def node_id(kind: str, file: str, name: str) -> str:
    if kind == "prototype":
        return f"prototype:{name}"
    return f"file:{file}" if kind == "file" else f"{kind}:{file}:{name}"


@dataclass
class _Node:
    kind: str
    name: str
    file: str
    guards: list[str] = field(default_factory=list)
    extra: dict[str, str | int] = field(default_factory=dict)

    def attrs(self) -> dict[str, str | int]:
        # Same-named definitions in one file (an #ifdef/#else pair) share a node: either holds.
        # An unconditional definition ("" guard) makes the node unconditional.
        guard = "" if "" in self.guards else " || ".join(dict.fromkeys(self.guards))
        area = area_of(self.file) if self.kind != "patch" else ""
        base: dict[str, str | int] = {
            "kind": self.kind,
            "name": self.name,
            "file": self.file,
            "area": area,
            "guard": guard,
        }
        return {**base, **self.extra}


@dataclass
class _Edge:
    """One edge, with the patches whose pre- or post-image shows it."""

    attrs: dict[str, str | int]
    before: set[int] = field(default_factory=set)
    after: set[int] = field(default_factory=set)
    details: list[str] = field(default_factory=list)

    def final(self) -> dict[str, str | int]:
        out = dict(self.attrs)
        if self.before or self.after:
            out["before"] = ",".join(map(str, sorted(self.before)))
            out["after"] = ",".join(map(str, sorted(self.after)))
        if self.details:
            out["detail"] = "; ".join(dict.fromkeys(self.details))
        return out


@dataclass(frozen=True)
class _Seen:
    """Where an image's fact comes from: which patch, pre-image (False) or post-image (True)."""

    patch: int
    after: bool


class _Builder:
    """Collects nodes and edges in dicts, so the graph is filled once, in sorted order."""

    def __init__(
        self, definitions: Iterable[Definition], assignments: Iterable[Assignment]
    ) -> None:
        self.nodes: dict[str, _Node] = {}
        self.edges: dict[tuple[str, str, str, str], _Edge] = {}
        self.assignments = sorted(set(assignments), key=lambda a: (a.field, a.file, a.line))
        self.index: dict[tuple[str, str], list[Definition]] = {}
        for d in definitions:
            if d.kind != "extern":  # a declaration: names resolve to the definition
                self.index.setdefault((_NODE_KIND[d.kind], d.name), []).append(d)

    def node(self, kind: str, file: str, name: str, guard: str | None = None) -> str:
        nid = node_id(kind, file, name)
        node = self.nodes.setdefault(nid, _Node(kind, name, file))
        if guard is not None:
            node.guards.append(guard)
        return nid

    def edge(
        self,
        u: str,
        v: str,
        kind: str,
        key: str = "",
        seen: _Seen | None = None,
        **attrs: str | int,
    ) -> _Edge:
        edge = self.edges.setdefault((u, v, kind, key), _Edge({"kind": kind, **attrs}))
        if seen is not None:
            (edge.after if seen.after else edge.before).add(seen.patch)
        return edge

    def resolve(self, kind: str, name: str, from_file: str) -> list[str]:
        """Node ids a name can mean as seen from a file, by C's visibility rules.

        A definition in the same file wins; otherwise every definition another file can
        see (not static, or static inline in a header) is a candidate, one edge each.
        """
        found = self.index.get((kind, name), [])
        same = [d for d in found if d.file == from_file]
        visible = same or [d for d in found if not d.static or d.file.endswith(".h")]
        return sorted({self.node(kind, d.file, name) for d in visible})

    def index_of(self, kind: str) -> list[Definition]:
        return [d for (k, _), defs in self.index.items() if k == kind for d in defs]

    def declared(self, name: str, from_file: str) -> list[str]:
        """The globals an extern declaration names; one the series never defines gets FILE ""."""
        return self.resolve("global", name, from_file) or [self.node("global", "", name)]

    def entity(self, d: Definition, *, guarded: bool) -> None:
        """The node of a definition, with its file's defines/declares edge.

        `guarded` is False for the tree's definitions: a site knows no #if around it.
        """
        kind = _NODE_KIND[d.kind]
        file_node = self.node("file", d.file, d.file, "")
        if d.kind == "extern":
            for target in self.declared(d.name, d.file):
                self.edge(file_node, target, "declares")
            return
        nid = self.node(kind, d.file, d.name, guard_text(d.guard) if guarded else None)
        self.edge(file_node, nid, "declares" if kind == "prototype" else "defines")

    def finish(self) -> nx.MultiDiGraph:
        import networkx as nx

        graph = nx.MultiDiGraph()
        for nid in sorted(self.nodes):
            graph.add_node(nid, **self.nodes[nid].attrs())
        for key in sorted(self.edges):
            graph.add_edge(key[0], key[1], **self.edges[key].final())
        return graph


def build_graph(
    series: Series,
    facts: SeriesFacts,
    dependencies: Sequence[Dependency],
    tree: TreeFacts | None = None,
) -> nx.MultiDiGraph:
    """The union of every image of every patch, each edge marked with the images that show it.

    With a base tree, its definitions and declarations of the touched functions join the
    nodes, and its calls of them (callers the patches never show) join the edges.
    """
    images = [
        (_Seen(p.number, after), image)
        for p in facts.patches
        for after, image in ((False, p.before), (True, p.after))
    ]
    sites = (*tree.callers, *tree.prototypes) if tree else ()
    shown = [d for _, image in images for d in image.definitions]
    in_tree = _tree_definitions(sites)
    b = _Builder([*shown, *in_tree], (a for _, image in images for a in image.assignments))
    for d in shown:
        b.entity(d, guarded=True)
    for d in in_tree:
        b.entity(d, guarded=False)
    _group_prototypes(b)
    for seen, image in images:
        for ref in image.references:
            _reference(b, ref, seen)
    _tree_calls(b, sites)
    _patches(b, series, facts, dependencies)
    return b.finish()


def _tree_definitions(sites: Iterable[Site]) -> list[Definition]:
    """The tree's definitions and declarations, as Definitions with only a first line known."""
    kinds: dict[str, EntityKind] = {"definition": "function", "declaration": "prototype"}
    found = {(kinds[s.kind], s.name, s.file, s.line): s.text for s in sites if s.kind in kinds}
    return [
        Definition(kind, name, file, line, line, (), _static(text, name), text, "", False)
        for (kind, name, file, line), text in sorted(found.items())
    ]


def _static(line: str, name: str) -> bool:
    """`static` among the words before the name on a definition's first line."""
    return "static" in line.split(name, 1)[0].split()


def _tree_calls(b: _Builder, sites: Iterable[Site]) -> None:
    """Calls the tree shows (tree=True on the edge); whether a prototype reached a definition."""
    for s in sites:
        if s.kind == "call" and s.function:
            caller = b.node("function", s.file, s.function)
            for callee in _callees(b, s.name, s.file):
                b.edge(caller, callee, "calls", "direct", via="direct").attrs["tree"] = True
        elif s.kind == "definition" and s.carries is not None:
            group = b.node("prototype", "", s.name)
            edge = b.edge(group, node_id("function", s.file, s.name), "declares")
            edge.attrs["carries"] = s.carries


def _group_prototypes(b: _Builder) -> None:
    """A prototype node for every function declared, or defined for all to see in several files.

    Same-named static functions in two .c files are unrelated and stay ungrouped; a static
    one joins the group only of a declaration in its own file.
    """
    declared = {(d.name, d.file) for d in b.index_of("prototype")}
    files: dict[str, set[str]] = {}
    for d in b.index_of("function"):
        if not d.static or d.file.endswith(".h") or (d.name, d.file) in declared:
            files.setdefault(d.name, set()).add(d.file)
    names = {name for name, _ in declared}
    names |= {name for name, where in files.items() if len(where) > 1}
    for name in sorted(names):
        group = b.node("prototype", "", name)
        for file in sorted(files.get(name, ())):
            b.edge(group, node_id("function", file, name), "declares")


def _reference(b: _Builder, ref: Reference, seen: _Seen) -> None:
    """The edges one reference makes: calls, pointer calls and uses."""
    if ref.in_function is None:
        return  # file-scope uses (initialisers) have no function to hang an edge on
    caller = b.node("function", ref.file, ref.in_function)
    if ref.kind == "call":
        for callee in _callees(b, ref.name, ref.file):
            b.edge(caller, callee, "calls", "direct", seen, via="direct")
    elif ref.kind == "pointer_call":
        _pointer_call(b, caller, ref, seen)
    elif ref.kind == "macro_call":
        for macro in b.resolve("macro", ref.name, ref.file) or [b.node("macro", "", ref.name)]:
            b.edge(caller, macro, "uses", ref.kind, seen, ref=ref.kind)
    else:
        for target in _used(b, ref):
            b.edge(caller, target, "uses", ref.kind, seen, ref=ref.kind)


def _callees(b: _Builder, name: str, from_file: str) -> list[str]:
    """The functions a name calls from a file; one the series never defines gets FILE ""."""
    return b.resolve("function", name, from_file) or [b.node("function", "", name)]


def _used(b: _Builder, ref: Reference) -> list[str]:
    """A read or written name is a macro, a global or a field, whichever the series defines.

    A name the series never defines could be any of these (or a local), so it gets no edge.
    A bare member name is taken for a field only where the evidence line shows it reached
    through `->` or `.`: locals are often named like fields (`altmap`, `flags`).
    """
    for kind in ("macro", "global"):
        found = b.resolve(kind, ref.name, ref.file)
        if found:
            return found
    if "." not in ref.name and not re.search(rf"(->|\.)\s*{re.escape(ref.name)}\b", ref.text):
        return []
    return _fields(b, ref.name)


def _fields(b: _Builder, name: str) -> list[str]:
    """Fields named "tag.member", or by member alone when the struct is not known."""
    member = name.rsplit(".", 1)[-1]
    return sorted(
        {
            node_id("field", d.file, d.name)
            for d in b.index_of("field")
            if d.name == name or ("." not in name and d.name.endswith("." + member))
        }
    )


def _pointer_call(b: _Builder, caller: str, ref: Reference, seen: _Seen) -> None:
    """`r->init(...)` may call every function the series stores in a field named init.

    Assignments are looked up across the whole series (not only this image): the store
    and the call are usually in different functions, often in different patches.
    """
    via = (ref.via or ref.name).rsplit(".", 1)[-1]
    for target in _field_targets(b, via):
        b.edge(caller, target, "calls", via, seen, via=via)
    for target in _fields(b, via):
        b.edge(caller, target, "uses", ref.kind, seen, ref=ref.kind)


def _field_targets(b: _Builder, via: str) -> list[str]:
    out: set[str] = set()
    for a in b.assignments:
        if a.field.rsplit(".", 1)[-1] == via:
            out.update(_callees(b, a.function, a.file))
    return sorted(out)


def _patches(
    b: _Builder, series: Series, facts: SeriesFacts, dependencies: Sequence[Dependency]
) -> None:
    """Patch nodes, what each modifies and renames, and which patch needs which."""
    for p in series.patches:
        node = b.nodes.setdefault(f"patch:{p.number}", _Node("patch", f"{p.number}/{p.total}", ""))
        node.extra = {"number": p.number, "subject": p.subject.title}
    for pf in facts.patches:
        for c in pf.changes:
            _change(b, c)
    for d in dependencies:
        reasons = "\n".join(f"{r.kind}: {r.file}: {r.detail}" for r in d.reasons)
        b.edge(f"patch:{d.patch}", f"patch:{d.depends_on}", "depends_on", reasons=reasons)


def _change(b: _Builder, c: Change) -> None:
    kind = _NODE_KIND[c.kind]
    target = b.declared(c.name, c.file)[0] if c.kind == "extern" else b.node(kind, c.file, c.name)
    patch = f"patch:{c.patch}"
    b.nodes.setdefault(
        patch, _Node("patch", str(c.patch), "", extra={"number": c.patch, "subject": ""})
    )
    b.edge(patch, target, "modifies", c.change, change=c.change).details.append(c.detail)
    if c.change == "renamed" and c.old_name:
        b.edge(b.node(kind, c.file, c.old_name), target, "renamed_to", patch=c.patch)
