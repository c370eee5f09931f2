"""opsbook.evidence."""
