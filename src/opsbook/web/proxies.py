"""Which reverse proxies are trusted to say who the client is (X-Forwarded-For/-Proto).

None by default: a header any client can send must not pick the address the login limit
counts, nor make a plain-http request look like https. `opsbook serve --trusted-proxy`
names the proxies (addresses or networks) whose forwarded headers are believed.
"""

from __future__ import annotations

import ipaddress

from opsbook.errors import BadInput


def parse_trusted_proxies(values: list[str]) -> tuple[str, ...]:
    """Return the proxies named (comma or space separated), each an IP address or network."""
    found: list[str] = []
    for value in values:
        for item in value.replace(",", " ").split():
            try:
                found.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise BadInput(
                    f"trusted proxy {item!r} is not an IP address or network",
                    "name a proxy such as 127.0.0.1, ::1 or 10.0.0.0/24",
                ) from None
    return tuple(found)
