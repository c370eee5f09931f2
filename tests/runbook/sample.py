"""A runbook that uses every section and feature, for the parser tests."""

FULL = """---
hosts:
  web1: {address: 127.0.0.1, user: ops, port: 2222}
  web2: ops@127.0.0.2:22
groups:
  web: [web1, web2]
prometheus_url: http://127.0.0.1:9090
monitoring:
  interval: 30s
---
# Shop API Runbook

## Purpose

Keeps the shop API running.

## System Information

- **System Name**: Shop API
- **Version**: 2.3.1
- **Owner**: Platform Team
- **Last Updated**: 2026-11-01
- **On-Call Contact**: +1 555 0100

## Quick Reference

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Primary Owner | Ana Ruiz | ana@example.com | Ben Ode |
| Security Lead | Chen Li | chen@example.com | |
| Operations Lead | Dee Park | dee@example.com | Eli Stone |

### System Status Dashboard

Grafana board at https://grafana.example.com/d/shop.

### Key Metrics

- CPU: `host:cpu_percent` - busy share of all cores
- Root disk: `host:disk_percent:/`
- Health: `http:http://127.0.0.1:8765/health`
- Error rate: `prom:sum(rate(http_errors_total[5m]))`
- Queue depth: `cmd:wc -l < /var/spool/q` {timeout=5s}

## Standard Operating Procedures

### Startup Procedure

**Objective**: Start the API from a stopped state

**Parameters**:
- `PORT` (default: 8765): port to listen on
- `REGION` (required): where to start

**Prerequisites**:
- [ ] Config present: `test -f config.yml`
- [ ] Someone is watching the dashboard

**Steps**:
1. Start the service: `bin/shop start` {timeout=30s retries=2 delay=1s}
2. Warm caches on every web host {host=web}
   ```bash {host=web confirm=true}
   curl -fsS http://localhost/warm \\
     --max-time 5
   ```
3. Tell the channel the API is up

**Validation**:
- [ ] Health answers: `curl -fsS http://127.0.0.1:8765/health` {expect=ok}

**Rollback**: Run the Shutdown Procedure

---

### Shutdown Procedure

**Objective**: Stop the API

**Steps**:
1. Stop: `bin/shop stop` {continue_on_error=true}

**Validation**:
- [x] Nothing listens: `! nc -z 127.0.0.1 8765`

### Backup Procedure

**Objective**: Back up the data

**Frequency**: Daily

**Steps**:
1. Archive: `tar czf backup.tgz data/`

**Validation**:
- [ ] Archive readable: `tar tzf backup.tgz`

**Restore Test Schedule**: Monthly, restore into staging

### Monitoring & Alerting

**Key Metrics to Monitor**:
- Latency: `http:http://127.0.0.1:8765/slow` - slow endpoint

**Alert Thresholds**:

| Metric | Warning | Critical | For | Action |
|--------|---------|----------|-----|--------|
| CPU | > 80 | >= 95% | 5m | notify: Primary Owner |
| Root disk | > 85 | > 95 | | run: Backup Procedure; incident: SEV-2 |
| `host:cpu_percent` | | > 99 | 1 minute | Call the vendor |

**Alert Response Time**:
- Critical: 15 minutes
- High: 1 hour
- Medium: 4 hours
- Low: Next business day

## Troubleshooting Guide

### Common Issues

#### Issue: API returns 502

**Symptoms**:
- Users see 502 errors
- Alert `HighErrorRate` firing

**Diagnosis Steps**:
1. Check the process: `bin/shop status`
2. Read the last log lines: `tail -n 50 var/shop.log`

**Resolution**:
1. Restart: `bin/shop restart`

**Prevention**:
- Add a readiness probe

### Disk full

#### Meaning

The disk holding data is nearly full.

#### Diagnosis

See what is big:

```bash
du -sh data/*
```

#### Mitigation

```console
$ rm -rf data/tmp/*
removed 3 files
```

### Incident Response

#### Severity Levels

| Level | Description | Response Time | Example |
|-------|-------------|---------------|---------|
| SEV-1 | Complete outage | 15 min | API down |
| SEV-2 | Major degradation | 1 hour | Slow checkout |

#### Incident Response Process

1. **Detect & Assess**
   - Identify the issue
   - Determine severity

2. **Post-Mortem**
   - Update runbook

### Security Incident Response

**If security incident suspected**:

1. **DO NOT** shut down systems (preserve evidence)
2. Call the security lead

**Evidence Collection**:
- Store in `/evidence/` directory
- Maintain chain of custody

## Maintenance Procedures

### Regular Maintenance Tasks

| Task | Frequency | Owner | Last Completed | Next Due |
|------|-----------|-------|----------------|----------|
| Dependency updates | Monthly | Ana | 2026-10-01 | 2026-11-01 |
| Log rotation | Every 6 hours | Ops | | |
| Cert check | 0 3 * * * | Ops | | |
| Security patches | As needed | Chen | | |

### Deployment Procedure

**Parameters**:
- `VERSION` (required): release to deploy

**Prerequisites**:
- [ ] Code review complete
- [ ] Tests passing: `make test` {timeout=10m}

**Steps**:
1. Deploy <version>: `bin/deploy "$VERSION" <namespace>` {approvals=2}

**Rollback Plan**:
1. Roll back: `bin/deploy --previous`

## Configuration Management

### Configuration Files

| File | Location | Purpose | Backup |
|------|----------|---------|--------|
| config.yml | /etc/shop/ | Main settings | Daily |

### Environment Variables

| Variable | Required | Default | Description |
|----------|----------|---------|-------------|
| SHOP_PORT | Yes | 8765 | Port |
| SHOP_DB_PASSWORD | Yes | | Database password |
| SHOP_MODE | No | prod | Mode |

## Disaster Recovery

### Recovery Time Objective (RTO)

4 hours

### Recovery Point Objective (RPO)

15 minutes

### Disaster Recovery Steps

1. Provision a new host
2. Restore the last backup: `bin/restore latest` {timeout=1h}

## Appendix

### Useful Commands

```bash
# Tail the log
tail -f var/shop.log

# Restart everything
bin/shop stop
bin/shop start
```

### Log Locations

- `/var/log/shop/api.log`
- `/var/log/shop/access.log`

### References

- [Shop design doc](https://example.com/design)

### On-call Notes

Page twice before escalating.

## Version History

| Version | Date | Author | Changes |
|---------|------|--------|---------|
| 1.0 | 2026-01-01 | Ana | Initial runbook |
| 1.1 | 2026-11-01 | Ben | Added DR |
"""
