"""Model of mm/sparse.c, mm/memory_hotplug.c, kernel/memremap.c and their arch hooks, v5.0 era.

Importing the package registers every base kernel function, so `Kernel.call` finds them.
"""

import patchscope.model.memory_hotplug.arch.arm64
import patchscope.model.memory_hotplug.arch.ppc64
import patchscope.model.memory_hotplug.arch.s390
import patchscope.model.memory_hotplug.arch.x86_64
import patchscope.model.memory_hotplug.memory_hotplug
import patchscope.model.memory_hotplug.memremap
import patchscope.model.memory_hotplug.page_alloc
import patchscope.model.memory_hotplug.page_isolation
import patchscope.model.memory_hotplug.sparse  # noqa: F401  (registration by import)
from patchscope.model.memory_hotplug.config import Config, config_for, parse_size
from patchscope.model.memory_hotplug.kernel import Kernel, KernelError, kernel_function

__all__ = ["Config", "Kernel", "KernelError", "config_for", "kernel_function", "parse_size"]
