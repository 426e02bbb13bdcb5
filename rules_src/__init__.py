"""The alert catalog: one module per area, each with a module-level `groups` list."""
