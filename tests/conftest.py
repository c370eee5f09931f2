"""Fixtures shared by every test package."""

pytest_plugins = ["pytester", "tests.e2e.sshd", "tests.tiers"]
