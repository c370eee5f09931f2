"""Maintenance: a schedule with grace that runs, notices what did not happen."""
