"""opsbook.maintenance."""
