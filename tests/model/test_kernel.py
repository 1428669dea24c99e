"""Kernel dispatch: stage overrides first, the arch's own function next, then the generic
one; every call traced with its step, stage and depth; errors as -errno."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from patchscope.model.memory_hotplug import Kernel, KernelError, config_for
from patchscope.model.memory_hotplug.kernel import registered_functions

GiB = 1 << 30


@dataclass(frozen=True)
class FakeStage:
    number: int
    name: str
    overrides: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, int] = field(default_factory=dict)


def test_stage_override_runs_instead_of_the_base_and_can_wrap_it() -> None:
    seen: list[int] = []

    def check_range(k: Kernel, start: int, size: int) -> None:
        seen.append(start)
        k.call_base("check_hotplug_memory_range", start, size)

    stage = FakeStage(2, "after patch 2", {"check_hotplug_memory_range": check_range})
    k = Kernel(config_for("x86_64"), stage)
    with pytest.raises(KernelError) as err:
        k.call("add_memory", 0, 4 * GiB + 4096, 128 << 20)
    assert err.value.errno == "EINVAL" and err.value.value == -22
    assert seen == [4 * GiB + 4096]
    calls = [(t.function, t.depth, t.stage) for t in k.trace if "check_hotplug" in t.function]
    assert calls == [("check_hotplug_memory_range", 3, 2), ("check_hotplug_memory_range", 4, 2)]


def test_arch_functions_dispatch_on_the_configured_arch() -> None:
    for arch in ("x86_64", "ppc64", "s390", "arm64"):
        k = Kernel(config_for(arch))
        with k.step("hot-add"):
            k.call("add_memory", 0, 8 * GiB, 1 * GiB)
        owners = {t.function for t in k.trace}
        assert ("add_pages" in owners) == (arch == "x86_64")  # only x86_64 has add_pages
        assert {t.step for t in k.trace} == {"hot-add"}


def test_trace_names_the_hot_add_chain_in_order() -> None:
    """design.md's hot-add chain, each function called by the one before it."""
    k = Kernel(config_for("x86_64"))
    k.call("add_memory", 0, 4 * GiB, 128 << 20)
    chain = [
        "add_memory",
        "__add_memory",
        "add_memory_resource",
        "arch_add_memory",
        "add_pages",
        "__add_pages",
        "__add_section",
        "sparse_add_one_section",
        "kmalloc_section_memmap",
        "sparse_mem_map_populate",
        "vmemmap_populate",
    ]
    depth = {t.function: t.depth for t in k.trace}
    assert [depth[name] for name in chain] == list(range(len(chain)))
    names = [t.function for t in k.trace]
    after = names.index("sparse_add_one_section")
    assert names.index("page_init_poison") > names.index("vmemmap_populate") > after
    assert names.index("hotplug_memory_register") > names.index("page_init_poison")
    assert k.trace[0].args == "0, 0x100000000, 0x8000000"


def test_every_base_function_names_its_kernel_source() -> None:
    from patchscope.model.memory_hotplug.kernel import base_function

    for name in registered_functions():
        arch = next(a for a in ("x86_64", "ppc64", "s390", "arm64") if _has(a, name))
        doc = base_function(arch, name).__doc__ or ""
        assert ".c" in doc or ".h" in doc, name


def _has(arch: str, name: str) -> bool:
    from patchscope.model.memory_hotplug.kernel import base_function

    try:
        base_function(arch, name)
    except LookupError:
        return False
    return True


def test_snapshot_delta_and_unknown_function() -> None:
    k = Kernel(config_for("x86_64"))
    before = k.snapshot()
    k.call("add_memory", 0, 4 * GiB, 256 << 20)
    delta = k.snapshot().delta(before)
    assert delta["sections_present"] == 2 and delta["memory_blocks"] == 2
    assert delta["memmap_backing_pages"] == 2 * 512
    with pytest.raises(LookupError):
        k.call("no_such_function")


def test_fragment_order_zero_is_bad_input_not_a_negative_shift() -> None:
    from patchscope.model.memory_hotplug.config import ModelInputError

    k = Kernel(config_for("x86_64"))
    for order in (0, -1, k.config.max_order):
        with pytest.raises(ModelInputError, match=f"fragment: order {order} "):
            k.fragment(0, order)
    k.fragment(0, 1)  # the smallest meaningful order: no free block of 2 pages or more
    areas = k.nodes[0].zones["DMA32"].free_area
    assert len(areas[0]) > 0 and not any(len(a) for a in areas[1:])


def test_a_model_only_helper_is_replaceable_but_never_traced() -> None:
    """free_memmap_block is the model's name for x86_64's free_hugepage_table() and
    free_pagetable() together: the frees it makes are traced, its own name is not."""
    k = Kernel(config_for("x86_64"))
    k.call("add_memory", 0, 4 * GiB, 128 << 20)
    k.call("remove_memory", 0, 4 * GiB, 128 << 20)
    names = [t.function for t in k.trace]
    assert "free_memmap_block" not in names
    assert "free_memmap_block" not in registered_functions()
    frees = [t for t in k.trace if t.function == "__free_pages"]
    vmemmap_free = next(t for t in k.trace if t.function == "vmemmap_free")
    assert [t.depth for t in frees] == [vmemmap_free.depth + 1]  # the one 2 MiB PMD
    freed: list[str] = []
    stage = FakeStage(1, "replaced", {"free_memmap_block": lambda k, b, a: freed.append("x")})
    k = Kernel(config_for("x86_64"), stage)
    k.call("add_memory", 0, 4 * GiB, 128 << 20)
    k.call("remove_memory", 0, 4 * GiB, 128 << 20)
    assert freed == ["x"] and "__free_pages" not in {t.function for t in k.trace}
