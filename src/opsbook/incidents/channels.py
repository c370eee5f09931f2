"""Which Pager sends an incident's pages, from the runbook's front matter."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opsbook.incidents.paging import Pager
    from opsbook.runbook.model import Runbook


def pager_for(runbook: Runbook) -> Pager | None:
    """Return the pager the runbook configures, or None when it configures no channel."""
    from opsbook.incidents.email_pager import EmailPager, email_settings

    settings = email_settings(runbook.settings)
    return EmailPager(settings) if settings is not None else None
