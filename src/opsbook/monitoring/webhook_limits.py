"""What one Alertmanager webhook may store, and how a notification outside that is made storable.

Pure. Alertmanager does not retry a notification answered 4xx, so one odd alert must not cost
the others their place. The payload model (`alertmanager.py`) holds the limits below and
refuses what is outside them; `fit_notification` brings such a notification within them
first: a text over its limit is cut and ends with `CUT_MARK`, NUL and lone surrogates become
U+FFFD, a fingerprint too long to store is replaced by its hash, alerts beyond `MAX_ALERTS`
are dropped and counted (as Alertmanager's own `max_alerts` truncates), and a time that is not
a usable time is taken as not set (`fit_times`). Each change is noted, so the response says what
was done. docs/monitoring.md states the limits.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from opsbook.errors import BadInput
from opsbook.inputs import EARLIEST_YEAR, LATEST_YEAR, check_time, text_problem

MAX_ALERTS = 10_000  # alerts of one request; more are dropped and counted
MAX_LABELS = 100  # labels of one alert, and as many annotations
MAX_NAME = 200  # characters of a label or annotation name
MAX_LABEL_VALUE = 2_000  # characters of a label value
MAX_ANNOTATION_VALUE = 20_000  # characters of an annotation value (descriptions run long)
MAX_TEXT = 2_000  # characters of generatorURL and groupKey (the API filters by groupKey)
MAX_RECEIVER = 100  # characters of the receiver name (history lines name it)
MAX_FINGERPRINT = 100  # characters; a longer fingerprint is replaced by its hash
MAX_NOTES = 20  # lines of the response that say what was changed
CUT_MARK = "…[cut]"
REPLACEMENT = "\ufffd"
# No NUL: PostgreSQL refuses it in text (lone surrogates the model refuses by itself).
NO_NUL = r"^[^\x00]*$"
# Labels kept first when an alert has too many: they name and rank it.
FIRST_LABELS = ("alertname", "severity")
_TEXTS = (("groupKey", MAX_TEXT), ("receiver", MAX_RECEIVER))
_ALERT_TEXTS = (("generatorURL", MAX_TEXT),)
_MAPPINGS = (("labels", MAX_LABEL_VALUE, FIRST_LABELS), ("annotations", MAX_ANNOTATION_VALUE, ()))


class Notes:
    """What was changed to make a webhook storable (the first `MAX_NOTES` lines, and a count)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0
        self.dropped = 0  # alerts beyond MAX_ALERTS

    def add(self, index: int | None, field: str, what: str) -> None:
        """Note a change to `field` of alert `index` (None: of the notification itself)."""
        self.count += 1
        if len(self.lines) < MAX_NOTES:
            where = field if index is None else f"alerts[{index}].{field}"
            self.lines.append(f"{where}: {what}")

    def summary(self) -> tuple[str, ...]:
        """Return the noted lines, with how many more there were."""
        more = self.count - len(self.lines)
        return (*self.lines, f"and {more} more change(s)") if more else tuple(self.lines)


def fit_notification(data: Any, notes: Notes) -> Any:
    """Return webhook JSON data made storable, in place; what is not the expected shape is left
    for the model to refuse."""
    data = _replaced(data, notes, "")
    if not isinstance(data, dict):
        return data
    _fit_texts(data, _TEXTS, notes, None)
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        return data
    if len(alerts) > MAX_ALERTS:
        notes.dropped = len(alerts) - MAX_ALERTS
        del alerts[MAX_ALERTS:]
    for index, alert in enumerate(alerts):
        if isinstance(alert, dict):
            _fit_alert(alert, notes, index)
    return data


def _fit_alert(alert: dict[str, Any], notes: Notes, index: int) -> None:
    _fit_texts(alert, _ALERT_TEXTS, notes, index)
    for field, limit, first in _MAPPINGS:
        values = alert.get(field)
        if isinstance(values, dict):
            alert[field] = _fit_mapping(values, limit, notes, field, index, first)
    fingerprint = alert.get("fingerprint")
    if isinstance(fingerprint, str) and len(fingerprint) > MAX_FINGERPRINT:
        # A hash, not a cut: two fingerprints sharing a prefix must stay two alerts.
        digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
        alert["fingerprint"] = f"sha256:{digest}"
        notes.add(index, "fingerprint", f"{len(fingerprint)} characters; replaced by its SHA-256")


def _fit_texts(
    data: dict[str, Any], fields: tuple[tuple[str, int], ...], notes: Notes, index: int | None
) -> None:
    for field, limit in fields:
        value = data.get(field)
        if isinstance(value, str):
            data[field] = _cut(value, limit, notes, field, index)


def _fit_mapping(
    values: dict[Any, Any],
    limit: int,
    notes: Notes,
    field: str,
    index: int,
    first: tuple[str, ...],
) -> dict[Any, Any]:
    """Return labels or annotations with at most `MAX_LABELS` entries, names and values cut."""
    names = list(values)
    if len(names) > MAX_LABELS:
        ranked = [n for n in first if n in values]
        chosen = set(ranked)
        ranked += [n for n in names if n not in chosen]
        notes.add(index, field, f"{len(names)} entries; the first {MAX_LABELS} kept")
        names = ranked[:MAX_LABELS]
    fitted: dict[Any, Any] = {}
    for name in names:
        value = values[name]
        key = _cut(name, MAX_NAME, notes, f"{field} name", index)
        if isinstance(value, str):
            value = _cut(value, limit, notes, f"{field}.{_shown(key)}", index)
        fitted[key] = value
    return fitted


def _cut(value: str, limit: int, notes: Notes, field: str, index: int | None) -> str:
    """Return the text cut to `limit` characters, ending with `CUT_MARK`, if it is longer."""
    if len(value) <= limit:
        return value
    notes.add(index, field, f"{len(value)} characters cut to {limit}")
    return value[: limit - len(CUT_MARK)] + CUT_MARK


def _replaced(data: Any, notes: Notes, where: str) -> Any:
    """Return JSON data with NUL and lone surrogates replaced by U+FFFD in every text."""
    if isinstance(data, str):
        if text_problem(data) is None:
            return data
        notes.add(None, where, "NUL or invalid Unicode replaced with U+FFFD")
        return "".join(REPLACEMENT if c == "\0" or "\ud800" <= c <= "\udfff" else c for c in data)
    if isinstance(data, list):
        return [_replaced(item, notes, f"{where}[{i}]") for i, item in enumerate(data)]
    if isinstance(data, dict):
        fitted: dict[Any, Any] = {}
        for key, value in data.items():
            name = _replaced(key, notes, f"{where or 'body'} name")
            inner = f"{where}.{_shown(name)}" if where else _shown(name)
            fitted[name] = _replaced(value, notes, inner)
        return fitted
    return data


def _shown(name: str) -> str:
    """Return a name as a note shows it: its start, if long."""
    return name if len(name) <= 40 else name[:40] + "…"


def fit_times(alert: dict[str, Any], notes: Notes, index: int) -> None:
    """Make an alert's startsAt and endsAt storable, in place (an alert's fields by name).

    A usable time is kept as sent; Alertmanager's zero time and a time that is not usable
    become None (not set). A firing alert's endsAt is dropped: it is the zero time, or when
    Alertmanager would resolve the alert, and no end of an alert that still fires."""
    # Only the year is read on the way through: it costs far less than the time's offset
    # (docs/benchmarks.md), and these lines run for every alert of a flood.
    starts = alert["startsAt"]
    if starts is not None and not EARLIEST_YEAR < starts.year < LATEST_YEAR:
        alert["startsAt"] = _fitted(starts, "startsAt", notes, index)
    ends = alert["endsAt"]
    if ends is None:
        return
    if alert["status"] == "firing":
        alert["endsAt"] = None
    elif not EARLIEST_YEAR < ends.year < LATEST_YEAR:
        alert["endsAt"] = _fitted(ends, "endsAt", notes, index)


def _fitted(moment: datetime, field: str, notes: Notes, index: int) -> datetime | None:
    """Return a time near or past the bounds in UTC, or None (noted) when it is not usable."""
    if is_zero_time(moment):
        # An end is zero while an alert fires; a start never should be, so say so.
        if field == "startsAt":
            notes.add(index, field, "Alertmanager's zero time: taken as not set")
        return None
    try:
        return check_time(moment, field=field)
    except BadInput as exc:
        change = f"{moment.isoformat()} is not a usable time ({exc.hint}); taken as not set"
        notes.add(index, field, change)
        return None


def is_zero_time(moment: datetime) -> bool:
    """Say whether this is Go's zero time, which Alertmanager writes for "not set"."""
    return (
        moment.year == 1
        and (moment.month, moment.day, moment.hour, moment.minute, moment.second) == (1, 1, 0, 0, 0)
        and moment.microsecond == 0
        and not moment.utcoffset()
    )
