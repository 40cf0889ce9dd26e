"""deals capability."""
