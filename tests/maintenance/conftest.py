"""Fixtures of the maintenance tests: the web tests' tokens, one per role."""

from __future__ import annotations

from tests.web.conftest import tokens as tokens
