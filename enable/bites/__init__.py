"""bites capability."""
