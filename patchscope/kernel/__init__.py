"""A real kernel under QEMU: boot Debian's Linux, run a hotplug flow through QMP and
sysfs, read its accounting, and set it beside the semantic model's replay of the same
flow (design.md: "a real kernel under QEMU (validation: same flow, same observables)")."""
