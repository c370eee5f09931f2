"""opsbook.store."""
