"""opsbook.backups."""
