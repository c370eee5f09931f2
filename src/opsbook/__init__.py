"""opsbook: operations runbooks that run."""

__version__ = "0.1.0"
