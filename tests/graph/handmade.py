"""A small series' code facts, written by hand, for the graph tests.

Two architectures define arch_add (declared in a header) and call mm's add_core; add_core
calls through the pointer field `init`, which mm and a driver each store a function in; a
driver writes a global mm defines; patch 2 renames old_core to add_core.
"""

from __future__ import annotations

from patchscope.code.model import (
    Assignment,
    Change,
    Definition,
    Image,
    PatchFacts,
    Reference,
    SeriesFacts,
)
from patchscope.diff.deps import Dependency, Reason
from patchscope.diff.model import Diffstat
from patchscope.ingest.mail import Person
from patchscope.ingest.series import Patch, Series
from patchscope.ingest.subject import parse_subject

X86 = "arch/x86/mm/init_64.c"
ARM = "arch/arm64/mm/mmu.c"
MM = "mm/hotplug.c"
HDR = "include/linux/hp.h"
DRV = "drivers/hv/balloon.c"


def define(
    kind: str,
    name: str,
    file: str,
    line: int = 1,
    guard: tuple[str, ...] = (),
    static: bool = False,
) -> Definition:
    return Definition(kind, name, file, line, line + 3, guard, static, name, "", True)  # type: ignore[arg-type]


def ref(
    kind: str, name: str, fn: str | None, file: str, via: str | None = None, text: str = ""
) -> Reference:
    return Reference(kind, name, via, fn, file, 10, (), text or f"{name}(...)")  # type: ignore[arg-type]


def change(
    patch: int, kind: str, name: str, file: str, what: str, old: str | None = None
) -> Change:
    return Change(patch, kind, name, file, 5, what, f"{what} {name}", old, None, None)  # type: ignore[arg-type]


BEFORE_2 = Image(
    definitions=(define("function", "old_core", MM, 20),),
    references=(ref("call", "old_core", "arch_add", X86),),
    assignments=(),
)

AFTER_2 = Image(
    definitions=(
        define("prototype", "arch_add", HDR, 3),
        define("macro", "HP_FLAG", HDR, 5),
        define("struct", "hp_r", HDR, 7),
        define("field", "hp_r.init", HDR, 8),
        define("field", "hp_r.flags", HDR, 9),
        define("function", "arch_add", X86, 40, ("CONFIG_MEMORY_HOTPLUG",)),
        define("function", "arch_add", ARM, 60),
        define("function", "add_core", MM, 20),
        define("function", "add_memory", MM, 50),
        define("function", "init_a", MM, 70, static=True),
        define("global", "nr_added", MM, 2),
        define("function", "init_b", DRV, 30, static=True),
        define("function", "init_b", MM, 90, static=True),  # a same-named static elsewhere
        define("function", "probe", DRV, 80),
    ),
    references=(
        ref("call", "add_core", "arch_add", X86),
        ref("call", "add_core", "arch_add", ARM),
        ref("pointer_call", "init", "add_core", MM, via="init"),
        ref("use", "HP_FLAG", "add_core", MM),
        ref("write", "nr_added", "add_core", MM),
        ref("macro_call", "WARN_ON", "add_core", MM),
        ref("call", "arch_add", "add_memory", MM),
        ref("call", "printk", "add_memory", MM),
        ref("write", "nr_added", "probe", DRV),
        ref("use", "flags", "add_memory", MM, text="if (r->flags & HP_FLAG)"),
        ref("use", "flags", "probe", DRV, text="flags = 0;"),  # a local, not the field
        ref("use", "not_defined_anywhere", "add_memory", MM),
    ),
    assignments=(Assignment("init", "init_a", MM, 55), Assignment("init", "init_b", DRV, 85)),
)

FACTS = SeriesFacts(
    patches=(
        PatchFacts(
            1,
            Image((), (), ()),
            Image((define("function", "arch_add", X86, 40, ("CONFIG_MEMORY_HOTPLUG",)),), (), ()),
            (change(1, "function", "arch_add", X86, "added"),),
        ),
        PatchFacts(
            2,
            BEFORE_2,
            AFTER_2,
            (
                change(2, "function", "add_core", MM, "renamed", old="old_core"),
                change(2, "prototype", "arch_add", HDR, "prototype"),
                change(2, "macro", "HP_FLAG", HDR, "added"),
                change(2, "global", "nr_added", MM, "added"),
            ),
        ),
    )
)

DEPENDENCIES = (
    Dependency(2, 1, (Reason("context", X86, "lines 40-41 from 1/2"), Reason("blob", X86, "b"))),
)


def _patch(number: int, subject: str) -> Patch:
    who = Person("Ada Hacker", "ada@example.org")
    return Patch(
        number=number,
        total=2,
        subject=parse_subject(f"[PATCH {number}/2] {subject}"),
        author=who,
        sender=who,
        recipients=(),
        message_id=f"{number}@example.org",
        date="",
        message="",
        signed_off_by=(),
        trailers=(),
        commit_refs=(),
        files=(),
        claimed=None,
        computed=Diffstat(0, 0, 0),
        malformed=False,
    )


SERIES = Series(
    name="handmade",
    title="hand-made",
    version=1,
    rfc=False,
    prefixes=("PATCH",),
    message_id=None,
    cover=None,
    patches=(_patch(1, "x86: add arch_add"), _patch(2, "mm: rename old_core")),
    replies=(),
    findings=(),
)
