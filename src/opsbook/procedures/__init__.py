"""opsbook.procedures."""
