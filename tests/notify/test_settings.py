"""A `notifications:` setting that cannot be used is bad input (opsbook/errors.py), naming the
field, so a face that meets it answers as for any bad input (422, exit 2)."""

from __future__ import annotations

import pytest

from opsbook.errors import BadInput, ErrorKind
from opsbook.notify.settings import NotifySettingsError, notify_settings


@pytest.mark.parametrize(
    ("notifications", "message"),
    [
        ("smtp.example.com", "front matter `notifications` must be a mapping"),
        ({"retries": 99}, "notifications.retries must be a whole number from 1 to 10"),
        ({"email": {"from": "a@example.com"}}, "notifications.email needs `host`"),
        ({"webhooks": [{"url": "ftp://x"}]}, 'notifications.webhooks: "ftp://x" is not'),
        ({"backoff": "soon"}, 'notifications.backoff "soon" is not a duration'),
    ],
)
def test_a_bad_setting_is_bad_input_naming_the_field(notifications: object, message: str) -> None:
    with pytest.raises(NotifySettingsError) as refused:
        notify_settings({"notifications": notifications})
    assert isinstance(refused.value, BadInput) and refused.value.kind is ErrorKind.BAD_INPUT
    assert refused.value.message.startswith(message)


def test_good_settings_are_read() -> None:
    settings = notify_settings({"notifications": {"retries": 2, "backoff": "1s"}})
    assert (settings.retries, settings.backoff, settings.email) == (2, 1.0, None)
