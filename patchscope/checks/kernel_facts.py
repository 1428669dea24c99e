"""The few kernel macros nearly every mm patch uses, as the headers define them.

A patch's expressions are compared after expansion; a macro the series does not
show and no `--tree` supplies comes from here. Values are x86_64's (4 KiB pages,
SECTION_SIZE_BITS 27) where the architecture decides. Where the kernel's
definition leans on gcc extensions the evaluator lacks (statement expressions
in min/max, which only add a compile-time type check), the entry keeps the value
it computes and its note says what was left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchscope.checks.expand import Macro, macro_from_signature


@dataclass(frozen=True)
class KernelMacro:
    define: str  # "#define NAME(params) body", as the header spells it (or its value)
    header: str  # the file in Linux that defines it
    note: str = ""  # what is architecture-dependent or simplified

    @property
    def macro(self) -> Macro:
        head = re.match(r"#define\s+\w+(?:\([^)]*\))?", self.define)
        parsed = (
            None if head is None else macro_from_signature(head.group(), self.define[head.end() :])
        )
        if parsed is None:
            raise ValueError(f"not a #define: {self.define}")
        return parsed


_X86 = "x86_64 value"
_ERRNO = "include/uapi/asm-generic/errno-base.h"
_MINMAX = "the kernel's __careful_cmp adds only a compile-time type check"

FACTS: tuple[KernelMacro, ...] = (
    KernelMacro("#define PAGE_SHIFT 12", "arch/x86/include/asm/page_types.h", _X86),
    KernelMacro("#define PAGE_SIZE (1UL << PAGE_SHIFT)", "arch/x86/include/asm/page_types.h"),
    KernelMacro("#define PAGE_MASK (~(PAGE_SIZE-1))", "arch/x86/include/asm/page_types.h"),
    KernelMacro("#define SECTION_SIZE_BITS 27", "arch/x86/include/asm/sparsemem.h", _X86),
    KernelMacro(
        "#define PFN_SECTION_SHIFT (SECTION_SIZE_BITS - PAGE_SHIFT)", "include/linux/mmzone.h"
    ),
    KernelMacro("#define PAGES_PER_SECTION (1UL << PFN_SECTION_SHIFT)", "include/linux/mmzone.h"),
    KernelMacro("#define PAGE_SECTION_MASK (~(PAGES_PER_SECTION-1))", "include/linux/mmzone.h"),
    KernelMacro(
        "#define SECTION_ALIGN_UP(pfn) (((pfn) + PAGES_PER_SECTION - 1) & PAGE_SECTION_MASK)",
        "include/linux/mmzone.h",
    ),
    KernelMacro(
        "#define SECTION_ALIGN_DOWN(pfn) ((pfn) & PAGE_SECTION_MASK)", "include/linux/mmzone.h"
    ),
    KernelMacro(
        "#define pfn_to_section_nr(pfn) ((unsigned long)(pfn) >> PFN_SECTION_SHIFT)",
        "include/linux/mmzone.h",
        "a static inline taking and returning unsigned long since v4.20",
    ),
    KernelMacro(
        "#define section_nr_to_pfn(sec) ((unsigned long)(sec) << PFN_SECTION_SHIFT)",
        "include/linux/mmzone.h",
        "a static inline taking and returning unsigned long since v4.20",
    ),
    KernelMacro("#define MAX_ORDER 11", "include/linux/mmzone.h", "without FORCE_MAX_ZONEORDER"),
    KernelMacro("#define MAX_ORDER_NR_PAGES (1 << (MAX_ORDER - 1))", "include/linux/mmzone.h"),
    KernelMacro("#define pageblock_order (MAX_ORDER - 1)", "include/linux/pageblock-flags.h", _X86),
    KernelMacro(
        "#define pageblock_nr_pages (1UL << pageblock_order)", "include/linux/pageblock-flags.h"
    ),
    KernelMacro("#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)", "include/linux/pfn.h"),
    KernelMacro("#define PFN_UP(x) (((x) + PAGE_SIZE-1) >> PAGE_SHIFT)", "include/linux/pfn.h"),
    KernelMacro("#define PFN_PHYS(x) ((phys_addr_t)(x) << PAGE_SHIFT)", "include/linux/pfn.h"),
    KernelMacro("#define BIT(nr) (1UL << (nr))", "include/linux/bits.h"),
    KernelMacro("#define BIT_ULL(nr) (1ULL << (nr))", "include/linux/bits.h"),
    KernelMacro(
        "#define ALIGN(x, a) (((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))",
        "include/linux/align.h",
        "ALIGN -> __ALIGN_KERNEL -> __ALIGN_KERNEL_MASK, written out",
    ),
    KernelMacro(
        "#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a) - 1))",
        "include/linux/align.h",
        "__ALIGN_KERNEL((x) - ((a) - 1), (a)) equals this for a power-of-two a",
    ),
    KernelMacro(
        "#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)", "include/linux/align.h"
    ),
    KernelMacro("#define __round_mask(x, y) ((__typeof__(x))((y)-1))", "include/linux/math.h"),
    KernelMacro(
        "#define round_up(x, y) ((((x)-1) | __round_mask(x, y))+1)", "include/linux/math.h"
    ),
    KernelMacro("#define round_down(x, y) ((x) & ~__round_mask(x, y))", "include/linux/math.h"),
    KernelMacro("#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))", "include/linux/math.h"),
    KernelMacro("#define min(x, y) ((x) < (y) ? (x) : (y))", "include/linux/minmax.h", _MINMAX),
    KernelMacro("#define max(x, y) ((x) > (y) ? (x) : (y))", "include/linux/minmax.h", _MINMAX),
    KernelMacro(
        "#define min_t(type, x, y) ((type)(x) < (type)(y) ? (type)(x) : (type)(y))",
        "include/linux/minmax.h",
        _MINMAX,
    ),
    KernelMacro(
        "#define max_t(type, x, y) ((type)(x) > (type)(y) ? (type)(x) : (type)(y))",
        "include/linux/minmax.h",
        _MINMAX,
    ),
    KernelMacro("#define NULL ((void *)0)", "include/linux/stddef.h"),
    KernelMacro("#define EPERM 1", _ERRNO),
    KernelMacro("#define ENOENT 2", _ERRNO),
    KernelMacro("#define EINTR 4", _ERRNO),
    KernelMacro("#define EIO 5", _ERRNO),
    KernelMacro("#define ENXIO 6", _ERRNO),
    KernelMacro("#define E2BIG 7", _ERRNO),
    KernelMacro("#define EAGAIN 11", _ERRNO),
    KernelMacro("#define ENOMEM 12", _ERRNO),
    KernelMacro("#define EFAULT 14", _ERRNO),
    KernelMacro("#define EBUSY 16", _ERRNO),
    KernelMacro("#define EEXIST 17", _ERRNO),
    KernelMacro("#define ENODEV 19", _ERRNO),
    KernelMacro("#define EINVAL 22", _ERRNO),
    KernelMacro("#define ENOSPC 28", _ERRNO),
    KernelMacro("#define ERANGE 34", _ERRNO),
    KernelMacro("#define true 1", "include/linux/stddef.h", "an enum constant there"),
    KernelMacro("#define false 0", "include/linux/stddef.h", "an enum constant there"),
)

_MACROS: dict[str, Macro] = {m.name: m for m in (fact.macro for fact in FACTS)}  # parsed once
BY_NAME: dict[str, KernelMacro] = dict(zip(_MACROS, FACTS, strict=True))


def kernel_macros() -> dict[str, Macro]:
    """Every fact as a Macro the expander takes, by name (a copy: callers add their own)."""
    return dict(_MACROS)


def cite(name: str) -> str:
    """`NAME from include/linux/x.h (note)`: where a fact's definition comes from."""
    fact = BY_NAME[name]
    note = f" ({fact.note})" if fact.note else ""
    return f"{name} from {fact.header}{note}"
