"""Backup drivers, one module each, behind the `BackupDriver` Protocol of `base`."""
