"""Executable semantic models of kernel code; memory_hotplug/ is the first one."""
