"""A contact that names a rotation, resolved to the person on call at the moment of paging.

An Emergency Contacts cell (Name, Contact or Backup), the System Information's On-Call
Contact, or a `notify:` role may name a rotation: `rotation: ops`, `rotation ops` or
`ops rotation`. Paging then asks the rotation who is on call in the layer wanted; when
nobody is (a gap in the hours, a rotation not started), the next layer down is asked,
and the answer says so. Pure: the caller passes the moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from opsbook.errors import BadInput
from opsbook.oncall.model import Rotation
from opsbook.oncall.schedule import layer_on_call
from opsbook.oncall.service import rotations_of
from opsbook.runbook.model import Contact, Runbook

_NAMED = (
    re.compile(r"^\s*(?:on-?call\s+)?rotation\s*:?\s*([A-Za-z0-9][\w.\-]*)\s*$", re.I),
    re.compile(r"^\s*([A-Za-z0-9][\w.\-]*)\s+(?:on-?call\s+)?rotation\s*$", re.I),
)


@dataclass(frozen=True)
class OnCallPerson:
    """Who a rotation puts on call for a page: name, address, layer, and why them."""

    name: str
    address: str
    rotation: str
    layer: str
    tier: int
    why: str


def rotation_by_name(runbook: Runbook, name: str) -> Rotation | None:
    """Return the rotation of this name (case ignored), if the runbook has one.

    A rotation the front matter cannot read is no rotation here: paging must go on (to the
    backup and the Operations Lead) when someone mistypes the `oncall:` block; `opsbook
    oncall now` and the dashboard say what is wrong.
    """
    if "oncall" not in runbook.settings:
        return None
    try:
        rotations = rotations_of(runbook)
    except BadInput:
        return None
    return next((r for n, r in rotations.items() if n.lower() == name.strip().lower()), None)


def rotation_named(runbook: Runbook, text: str) -> Rotation | None:
    """Return the rotation a cell names (`rotation: ops`, `ops rotation`), if it names one."""
    if "rotation" not in text.lower():
        return None
    for pattern in _NAMED:
        match = pattern.match(text)
        if match:
            return rotation_by_name(runbook, match.group(1))
    return None


def contact_rotation(runbook: Runbook, contact: Contact) -> Rotation | None:
    """Return the rotation a contact row's Name or Contact cell names, if any."""
    return rotation_named(runbook, contact.name) or rotation_named(runbook, contact.contact)


def person_on_call(rotation: Rotation, at: datetime, tier: int = 0) -> OnCallPerson | None:
    """Return who is on call in layer `tier` at `at`, else in the first layer below that has
    someone; None when nobody is on call in those layers."""
    for number in range(tier, len(rotation.layers)):
        found = layer_on_call(rotation, number, at)
        if found is None:
            continue
        why = found.why
        if number != tier:
            wanted = rotation.layers[tier].name
            why = f"nobody is on call in the {wanted} layer now; {why}"
        return OnCallPerson(
            found.person.name, found.person.address, rotation.name, found.layer, number, why
        )
    return None
