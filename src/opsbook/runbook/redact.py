"""The runbook as anyone allowed to read it may see it: no credentials, no secret values.

Every face that shows the runbook to a reader (`GET /api/v1/runbook`, the procedures API,
`opsbook inspect --json`, the HTML page) shows `public_runbook(runbook)`, never the parsed
runbook itself, which the server keeps for its own use (webhooks, Prometheus, runs).

Hidden, each replaced by `****`:
- in front matter settings, the value of any key named like a secret (`password`,
  `bearer_token`, `api_key`, ...), and in every URL all but its scheme, host and port: the
  user and password before `@`, and the path, query and fragment (a webhook's path or query
  is often the secret itself, as in Slack's `hooks.slack.com/services/...`);
- in metric sources, a URL's user, password, query and fragment (its path says what is
  checked and stays);
- the default of a variable marked secret, and of a parameter named like a secret or named
  after a secret variable (`is_secret_parameter`; the form that starts a run leaves such a
  default out too, and an empty field means the default).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from opsbook.runbook.model import EnvVar, Metric, Parameter, Procedure, Runbook
from opsbook.runbook.secret_names import is_secret_name

HIDDEN = "****"
# A URL anywhere in a text: a scheme, `://`, then anything up to white space or a quote.
_URL = re.compile(r"""[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]*""")


def public_runbook(runbook: Runbook) -> Runbook:
    """Return the runbook with every credential and secret value replaced by `****`."""
    return replace(
        runbook,
        settings=_setting(runbook.settings, name=""),
        metrics=tuple(_metric(m) for m in runbook.metrics),
        env_vars=tuple(_env_var(v) for v in runbook.env_vars),
        procedures=tuple(public_procedure(runbook, p) for p in runbook.procedures),
    )


def public_procedure(runbook: Runbook, procedure: Procedure) -> Procedure:
    """Return one of the runbook's procedures with the defaults of its secret parameters hidden."""
    return replace(
        procedure, parameters=tuple(_parameter(runbook, p) for p in procedure.parameters)
    )


def is_secret_parameter(runbook: Runbook, name: str) -> bool:
    """Say whether a parameter's value is a secret: named like one, or after a secret variable."""
    return is_secret_name(name) or any(v.secret and v.name == name for v in runbook.env_vars)


def hide_url(url: str, *, keep_path: bool) -> str:
    """Return the URL with its user and password, query and fragment (and path) hidden."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:  # not a URL after all (a bad port): show nothing of it
        return HIDDEN
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    user = f"{HIDDEN}@" if "@" in parts.netloc else ""
    path = parts.path if keep_path else (f"/{HIDDEN}" if parts.path.strip("/") else parts.path)
    query = f"?{HIDDEN}" if parts.query else ""
    fragment = f"#{HIDDEN}" if parts.fragment else ""
    return f"{parts.scheme}://{user}{host}{port}{path}{query}{fragment}"


def hide_urls(text: str, *, keep_path: bool) -> str:
    """Return the text with every URL in it passed through `hide_url`."""
    return _URL.sub(lambda m: hide_url(m.group(0), keep_path=keep_path), text)


def _setting(value: Any, *, name: str) -> Any:
    if is_secret_name(name) and value not in (None, ""):
        return HIDDEN
    if isinstance(value, dict):
        return {key: _setting(item, name=str(key)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_setting(item, name=name) for item in value]
    if isinstance(value, str):
        return hide_urls(value, keep_path=False)
    return value


def _metric(metric: Metric) -> Metric:
    return replace(metric, source=hide_urls(metric.source, keep_path=True))


def _env_var(var: EnvVar) -> EnvVar:
    return replace(var, default=HIDDEN) if var.secret and var.default else var


def _parameter(runbook: Runbook, param: Parameter) -> Parameter:
    hidden = param.default and is_secret_parameter(runbook, param.name)
    return replace(param, default=HIDDEN) if hidden else param
