"""opsbook.incidents."""
