"""opsbook.cli."""
