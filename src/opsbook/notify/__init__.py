"""opsbook.notify."""
