"""Read-only report queries, one module per report."""
