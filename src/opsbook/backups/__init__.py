"""Backups that are proven: drivers, manifests, retention, restore drills, RPO, DR drills."""
