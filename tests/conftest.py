"""Fixtures shared by every test package."""

pytest_plugins = ["tests.e2e.sshd"]
