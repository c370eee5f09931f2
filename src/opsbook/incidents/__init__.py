"""Incidents: lifecycle and response timers, escalation, triage, post-mortems."""
