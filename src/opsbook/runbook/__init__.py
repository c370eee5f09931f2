"""opsbook.runbook."""
