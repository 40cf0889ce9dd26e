"""playbooks capability."""
