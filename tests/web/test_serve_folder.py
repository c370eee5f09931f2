"""`opsbook serve DIR` as a real process: a folder of runbooks is served as one, an
Alertmanager alert links to its file, and the issue's page shows the file's words."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.monitoring.conftest import am_alert, am_payload
from tests.web.served import bootstrap_token, serve_runbook

pytestmark = pytest.mark.process

PAGE = """---
title: Node not ready
---
## Meaning

A node stopped reporting.

## Diagnosis

Start with the kubelet.

### Kubelet state

```shell
$ systemctl status kubelet
```

## Mitigation

Restart it: `systemctl restart kubelet`
"""


def test_a_served_folder_links_an_alert_to_its_file_and_shows_its_words(tmp_path: Path) -> None:
    folder = tmp_path / "runbooks"
    (folder / "alerts").mkdir(parents=True)
    (folder / "alerts" / "KubeNodeNotReady.md").write_text(PAGE)
    (folder / "broken.md").write_text("# B\n\n## Go Procedure\n\n**Steps**:\n1. `true` {x=1}\n")
    server, base = serve_runbook(folder, "", tmp_path / "state", "--bootstrap-admin", "t")
    try:
        headers = {"Authorization": f"Bearer {bootstrap_token(server)}"}
        alert = am_alert(1, name="NodeDown")
        alert["annotations"]["runbook_url"] = (
            "https://github.com/acme/runbooks/blob/main/alerts/KubeNodeNotReady.md"
        )
        posted = httpx.post(
            f"{base}/api/v1/alertmanager", headers=headers, json=am_payload([alert])
        )
        assert posted.status_code == 200
        deadline = time.monotonic() + 30
        while not (alerts := httpx.get(f"{base}/api/v1/alerts", headers=headers).json()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert alerts[0]["issue"] == "node-not-ready"
        page = httpx.get(f"{base}/troubleshooting/node-not-ready", headers=headers).text
        for words in ("alerts/KubeNodeNotReady.md", "Start with the kubelet.", "Kubelet state"):
            assert words in page
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.stdout is not None
    output = server.stdout.read()
    assert "left out:" in output and "broken.md:6" in output
