"""Deployments and configuration: drift against a baseline, environment checks, history."""
