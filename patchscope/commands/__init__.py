"""One module per CLI command: load, run the stages, render."""
