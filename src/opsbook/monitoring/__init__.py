"""opsbook.monitoring."""
