"""Git hooks: scripts `patchscope hook install` writes, and what they run."""
