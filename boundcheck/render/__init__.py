"""Rich renderers for the commands' results, one module per result family (the CLI calls them)."""
