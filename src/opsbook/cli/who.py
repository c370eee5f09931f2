"""Who runs a command: the user's name, and this process as the driver of a run."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opsbook.procedures.drive import Me

# Where `getpass.getuser()` looks, after opsbook's own variable.
USER_VARIABLES = ("OPSBOOK_USER", "LOGNAME", "USER", "LNAME", "USERNAME")


def user() -> str:
    """Return who runs this command: $OPSBOOK_USER, else the login name as getpass says it.

    Without importing getpass: a plain `opsbook run` asks this before its first step.
    """
    found = next((os.environ[n] for n in USER_VARIABLES if os.environ.get(n)), "")
    if found:
        return found
    # lazy: keeps pwd off the start-up of a plain `opsbook run`
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def me() -> Me:
    """Describe this process, run by this user, as the driver of a run."""
    # lazy: keeps procedures.drive off the start-up of `opsbook --help`
    from opsbook.procedures.drive import this_process

    return this_process(user())
