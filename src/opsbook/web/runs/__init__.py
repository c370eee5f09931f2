"""The server's wiring of procedure runs: actions on them, the worker's driver, cached views."""
