"""Every route an app really serves, walked from `app.routes` (not from a list of routers),
and the routes the README says are public."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

README = Path(__file__).resolve().parents[2] / "README.md"
NO_SUCH_ID = "999999"  # fills every path parameter: names nothing, so no request changes data


@dataclass(frozen=True)
class Served:
    """One method on one route: its path as the app declares it, and a URL that reaches it."""

    method: str
    path: str
    url: str

    @property
    def writes(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")

    @property
    def is_page(self) -> bool:
        return not self.path.startswith("/api/v1/")


def served_routes(app: FastAPI) -> list[Served]:
    """Return every (method, route) the app answers, HEAD aside; a mount as its directory."""
    found = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.append(_mounted(route.original_route))
            continue
        assert route.path is not None and route.methods, route
        url = re.sub(r"\{[^}]+\}", NO_SUCH_ID, route.path)
        found += [Served(m, route.path, url) for m in sorted(route.methods) if m != "HEAD"]
    return found


def _mounted(mount: Mount) -> Served:
    assert isinstance(mount.app, StaticFiles) and mount.app.directory is not None, mount
    first = min(p.name for p in Path(mount.app.directory).iterdir() if p.is_file())
    return Served("GET", f"{mount.path}/", f"{mount.path}/{first}")


def readme_public_routes() -> set[str]:
    """Return the paths the README names as answering without a token (the login page aside)."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    found = re.search(r"Every route but (.+?) and the login page needs a token", text)
    assert found is not None, "README no longer says which routes are public"
    return set(re.findall(r"`(/[^`]*)`", found.group(1)))
