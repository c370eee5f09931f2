"""Procedure runs driven from the web: start, watch, confirm, approve, abort."""
