"""Git hooks: scripts `patchscope hook install` writes, and what they run."""

# the hooks we install; here, not in install.py, so the command line names them without
# loading what installs them
HOOKS = ("pre-push", "pre-commit", "commit-msg")
