"""A runbook whose credentials and secret values are canaries no reader may ever see."""

from __future__ import annotations

CANARIES = (
    "canary-prom-password",
    "canary-prom-user",
    "canary-slack-path",
    "canary-hook-query",
    "canary-db-password",
    "canary-bearer-token",
    "canary-smtp-api-key",
    "canary-secret-column-default",
    "canary-password-default",
    "canary-token-parameter",
    "canary-parameter-of-secret-var",
    "canary-metric-password",
    "canary-metric-query",
)

RUNBOOK = """---
prometheus_url: http://canary-prom-user:canary-prom-password@prom.example:9090
database: postgresql://ops:canary-db-password@db.example:5432/opsbook
prometheus:
  bearer_token: canary-bearer-token
notifications:
  email: {host: smtp.example.com, api_key: canary-smtp-api-key}
  webhooks:
    - url: https://hooks.slack.com/services/T000/B000/canary-slack-path
    - "https://hooks.example.com/notify?token=canary-hook-query"
---
# Canary Runbook

## System Information

- **System Name**: Canary Service

### Key Metrics to Monitor

- Health: `http:https://probe:canary-metric-password@app.example/health?key=canary-metric-query`

## Standard Operating Procedures

### Deploy Procedure

**Objective**: Deploy a release

**Parameters**:
- `VERSION` (required): release to deploy
- `DEPLOY_TOKEN` (default: canary-token-parameter): token for the registry
- `SIGNING_PHRASE` (default: canary-parameter-of-secret-var): the phrase

**Steps**:
1. Show the version: `echo "deploying $VERSION"`

## Configuration Management

### Environment Variables

| Variable | Required | Default | Description | Secret |
|----------|----------|---------|-------------|--------|
| APP_PORT | No | 8080 | Port | No |
| SIGNING_PHRASE | No | canary-secret-column-default | Phrase | Yes |
| DB_PASSWORD | No | canary-password-default | Password | No |
"""
"""Each canary is hidden a different way: URL credentials, webhook paths and queries, secret
setting names, the Secret column, a secret-looking name, a parameter named after a secret
variable, and credentials in a metric's URL."""

VISIBLE = ("prom.example:9090", "hooks.slack.com", "app.example/health", "8080", "VERSION")
"""What a reader still needs to see: where things are, and every value that is not secret."""


def assert_no_canary(text: str) -> None:
    """Fail naming every canary that appears in the text."""
    leaked = [canary for canary in CANARIES if canary in text]
    assert not leaked, f"secrets leaked: {leaked}"
