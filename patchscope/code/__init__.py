"""C facts from patches (and an optional base tree), parsed with tree-sitter."""
