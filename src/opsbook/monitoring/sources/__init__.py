"""Metric sources: one module per kind (host, http, prom, cmd) behind one Protocol."""
