"""opsbook.web."""
