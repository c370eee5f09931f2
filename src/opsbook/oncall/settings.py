"""Read the front matter's `oncall:` block into rotations; every error names its field. Pure.

    oncall:
      ops:                                   # a rotation, by name
        zone: Europe/Berlin                  # the default zone of everything below
        layers:
          - name: primary                    # escalation order: primary, then secondary
            people: [Ana Ruiz <ana@example.com>, Sam Okafor <sam@example.com>]
            length: 1 week                   # 12 hours, 1 day, 2 weeks...
            start: 2026-01-05                # the first handoff (a date, or date and time)
            handoff: "09:00"                 # the time of day of each handoff
          - name: follow-the-sun             # several patterns, each its hours of the day
            shifts:
              - {people: [Kai], length: 1 day, start: 2026-01-05, zone: Asia/Tokyo,
                 hours: 08:00-20:00}
        overrides:
          - {who: Lee <lee@example.com>, covers: Ana Ruiz, from: 2026-03-02 09:00,
             to: 2026-03-09 09:00, layer: primary}

A person's `until:` (or `since:`) says when they leave (or join) the rotation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opsbook.errors import BadInput
from opsbook.oncall.clock_math import place
from opsbook.oncall.model import Hours, Layer, Member, Override, Pattern, Rotation
from opsbook.oncall.people import with_address

HINT = "see docs/oncall.md for the `oncall:` front matter"
MAX_ROTATIONS, MAX_LAYERS, MAX_PEOPLE, MAX_OVERRIDES = 50, 10, 200, 2000
MIN_LENGTH, MAX_LENGTH = timedelta(hours=1), timedelta(days=366)
_LAYER_NAMES = ("primary", "secondary", "tertiary")
_PATTERN_KEYS = {"people", "length", "start", "zone", "handoff", "hours"}
_LAYER_KEYS = _PATTERN_KEYS | {"name", "shifts"}
_OVERRIDE_KEYS = {"who", "covers", "from", "to", "layer", "zone", "reason"}
_MEMBER_KEYS = {"name", "since", "until"}
_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_WORDS = {"hourly": "1 hour", "daily": "1 day", "weekly": "1 week", "fortnightly": "2 weeks"}


class FieldProblem(BadInput):
    """A value of the `oncall:` front matter is wrong; `field` is its dotted path."""

    def __init__(self, field: str, problem: str, hint: str = HINT) -> None:
        super().__init__(f"front matter `{field}`: {problem}", hint)
        self.field = field


def read_rotations(raw: Any, directory: Mapping[str, str] | None = None) -> dict[str, Rotation]:
    """Return the rotations of an `oncall:` value; names without an address look in `directory`."""
    if raw is None:
        return {}
    found = _mapping(raw, "oncall")
    if len(found) > MAX_ROTATIONS:
        raise FieldProblem("oncall", f"has {len(found)} rotations; at most {MAX_ROTATIONS}")
    return {
        str(name): _rotation(str(name), spec, f"oncall.{name}", directory or {})
        for name, spec in found.items()
    }


def _mapping(raw: Any, field: str, known: set[str] | None = None) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise FieldProblem(field, "must be a mapping of `key: value` pairs")
    if known is not None:
        unknown = sorted(str(k) for k in raw if str(k) not in known)
        if unknown:
            raise FieldProblem(
                f"{field}.{unknown[0]}", f"is not a known key; known: {', '.join(sorted(known))}"
            )
    return {str(k): v for k, v in raw.items()}


def _list(raw: Any, field: str, most: int) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise FieldProblem(field, "must be a list with at least one entry")
    if len(raw) > most:
        raise FieldProblem(field, f"has {len(raw)} entries; at most {most}")
    return raw


def _text(raw: Any, field: str, most: int = 300) -> str:
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise FieldProblem(field, "must be text")
    text = " ".join(str(raw).split())
    if not text or "\x00" in text or len(text) > most:
        raise FieldProblem(field, f"must be text of 1 to {most} characters")
    return text


def check_zone(raw: Any, field: str) -> str:
    """Return an IANA time-zone name, or raise naming the field."""
    name = _text(raw, field, 80)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldProblem(
            field, f'"{name}" is not a time zone', "name an IANA zone such as Europe/Berlin"
        ) from None
    return name


def read_length(raw: Any, field: str) -> tuple[timedelta, str]:
    """Return a shift length (`1 week`, `12 hours`, `2d`, `daily`) and its text."""
    text = _text(raw, field, 40).lower()
    text = _WORDS.get(text, text)
    match = re.fullmatch(r"(\d{1,4})\s*(minute|min|m|hour|h|day|d|week|w)s?", text)
    if match is None:
        raise FieldProblem(field, f'"{raw}" is not a length', "write `1 week`, `12 hours`, `1 day`")
    unit = next(u for u in _UNITS if u.startswith(match.group(2)[0]))
    length = timedelta(seconds=int(match.group(1)) * _UNITS[unit])
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise FieldProblem(field, f'"{raw}" must be between 1 hour and 366 days')
    count = int(match.group(1))
    return length, f"{count} {unit}{'s' if count != 1 else ''}"


def read_time_of_day(raw: Any, field: str) -> time:
    """Return a time of day `HH:MM` (YAML's 9:00, read as the number 540, too)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 24 * 60:
        return time(raw // 60, raw % 60)  # YAML 1.1 reads an unquoted 9:00 as base 60
    text = _text(raw, field, 10)
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if match is None or int(match.group(1)) > 24 or int(match.group(2)) > 59:
        raise FieldProblem(field, f'"{text}" is not a time of day', "write HH:MM, such as 09:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24 and minute == 0:
        return time(0, 0)
    if hour == 24:
        raise FieldProblem(field, f'"{text}" is not a time of day', "write HH:MM, such as 09:00")
    return time(hour, minute)


def read_hours(raw: Any, field: str) -> Hours:
    """Return the hours of a follow-the-sun shift: `08:00-20:00` (may wrap midnight)."""
    text = _text(raw, field, 20)
    start, dash, end = text.partition("-")
    if not dash:
        raise FieldProblem(field, f'"{text}" is not hours of the day', "write 08:00-20:00")
    return Hours(read_time_of_day(start.strip(), field), read_time_of_day(end.strip(), field))


def read_moment(raw: Any, field: str, zone: str) -> tuple[datetime, bool]:
    """Return a naive wall time in `zone` (or aware, when an offset is written); and whether a
    time of day was written."""
    if isinstance(raw, datetime):
        return raw, True
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day), False
    text = _text(raw, field, 40)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FieldProblem(
            field, f'"{text}" is not a date or time', "write 2026-03-02 or 2026-03-02 09:00"
        ) from None
    if not 2000 <= moment.year <= 2200:
        raise FieldProblem(field, f'"{text}" is not a year between 2000 and 2200')
    return moment, bool(re.search(r"\d[T ]\d", text))


def instant(raw: Any, field: str, zone: str) -> datetime:
    """Return a date or time as a UTC instant; one without an offset is wall time in `zone`."""
    moment, _ = read_moment(raw, field, zone)
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return place(moment, zone)


def _member(raw: Any, field: str, zone: str, directory: Mapping[str, str]) -> Member:
    if isinstance(raw, dict):
        spec = _mapping(raw, field, _MEMBER_KEYS)
        if "name" not in spec:
            raise FieldProblem(f"{field}.name", "is missing: who is this?")
        name, address = with_address(_text(spec["name"], f"{field}.name"), directory)
        since = instant(spec["since"], f"{field}.since", zone) if "since" in spec else None
        until = instant(spec["until"], f"{field}.until", zone) if "until" in spec else None
        return Member(name, address, since, until)
    name, address = with_address(_text(raw, field), directory)
    return Member(name, address)


def _pattern(spec: dict[str, Any], field: str, zone: str, directory: Mapping[str, str]) -> Pattern:
    zone = check_zone(spec["zone"], f"{field}.zone") if "zone" in spec else zone
    for needed in ("people", "length", "start"):
        if needed not in spec:
            raise FieldProblem(f"{field}.{needed}", "is missing")
    people = tuple(
        _member(item, f"{field}.people[{i}]", zone, directory)
        for i, item in enumerate(_list(spec["people"], f"{field}.people", MAX_PEOPLE))
    )
    length, length_text = read_length(spec["length"], f"{field}.length")
    hours = read_hours(spec["hours"], f"{field}.hours") if "hours" in spec else None
    start, timed = read_moment(spec["start"], f"{field}.start", zone)
    if start.tzinfo is not None:
        start = start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    if not timed:
        if "handoff" in spec:
            at = read_time_of_day(spec["handoff"], f"{field}.handoff")
        else:
            at = hours.start if hours else time(0, 0)
        start = start.replace(hour=at.hour, minute=at.minute)
    elif "handoff" in spec:
        raise FieldProblem(
            f"{field}.handoff", "is given and so is a time in `start`; write one of them"
        )
    return Pattern(people, length, length_text, start, zone, hours, field)


def _layer(raw: Any, field: str, index: int, zone: str, directory: Mapping[str, str]) -> Layer:
    spec = _mapping(raw, field, _LAYER_KEYS)
    default = _LAYER_NAMES[index] if index < len(_LAYER_NAMES) else f"layer {index + 1}"
    name = _text(spec.get("name", default), f"{field}.name", 60)
    if "shifts" in spec:
        extra = sorted(set(spec) & _PATTERN_KEYS - {"zone"})
        if extra:
            raise FieldProblem(f"{field}.{extra[0]}", "belongs in each of `shifts`, not beside")
        zone = check_zone(spec["zone"], f"{field}.zone") if "zone" in spec else zone
        shifts = _list(spec["shifts"], f"{field}.shifts", MAX_LAYERS)
        patterns = tuple(
            _pattern(
                _mapping(item, f"{field}.shifts[{i}]", _PATTERN_KEYS),
                f"{field}.shifts[{i}]",
                zone,
                directory,
            )
            for i, item in enumerate(shifts)
        )
    else:
        patterns = (_pattern(spec, field, zone, directory),)
    return Layer(name, patterns)


def _override(
    raw: Any, field: str, zone: str, layers: tuple[Layer, ...], directory: Mapping[str, str]
) -> Override:
    spec = _mapping(raw, field, _OVERRIDE_KEYS)
    zone = check_zone(spec["zone"], f"{field}.zone") if "zone" in spec else zone
    for needed in ("who", "from", "to"):
        if needed not in spec:
            raise FieldProblem(f"{field}.{needed}", "is missing")
    who = _member(spec["who"], f"{field}.who", zone, directory)
    start = instant(spec["from"], f"{field}.from", zone)
    end = instant(spec["to"], f"{field}.to", zone)
    if end <= start:
        raise FieldProblem(f"{field}.to", "must be after `from`")
    layer = _text(spec.get("layer", layers[0].name), f"{field}.layer", 60)
    if not any(lyr.name.lower() == layer.lower() for lyr in layers):
        known = ", ".join(lyr.name for lyr in layers)
        raise FieldProblem(f"{field}.layer", f'"{layer}" is not a layer; layers: {known}')
    covers = _text(spec["covers"], f"{field}.covers") if "covers" in spec else ""
    return Override(who, start, end, layer, covers, field)


def _rotation(name: str, raw: Any, field: str, directory: Mapping[str, str]) -> Rotation:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,59}", name):
        raise FieldProblem(field, "a rotation's name is letters, digits, `-`, `_` or `.`")
    spec = _mapping(raw, field, {"zone", "layers", "overrides"})
    zone = check_zone(spec.get("zone", "UTC"), f"{field}.zone")
    if "layers" not in spec:
        raise FieldProblem(f"{field}.layers", "is missing: who takes turns, and how?")
    layers = tuple(
        _layer(item, f"{field}.layers[{i}]", i, zone, directory)
        for i, item in enumerate(_list(spec["layers"], f"{field}.layers", MAX_LAYERS))
    )
    names = [lyr.name.lower() for lyr in layers]
    if len(set(names)) != len(names):
        raise FieldProblem(f"{field}.layers", "two layers have the same name")
    overrides = tuple(
        _override(item, f"{field}.overrides[{i}]", zone, layers, directory)
        for i, item in enumerate(spec.get("overrides") or [])
    )
    if len(overrides) > MAX_OVERRIDES:
        raise FieldProblem(f"{field}.overrides", f"has more than {MAX_OVERRIDES} entries")
    return Rotation(name, zone, layers, overrides)


def field_line(text: str, field: str) -> int | None:
    """Return the line (1-based) of a dotted front-matter field in the runbook's text, if found.

    Follows the path key by key down the indented YAML, counting `- ` items for a list
    index. Only a guide for the error message: the nearest line found when the layout
    (flow style, say) defeats it, None when not even `oncall:` is found.
    """
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    at, indent, found_any = 1, -1, False
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", field):
        found = _item_line(lines, at, indent, int(part[1:-1])) if part.startswith("[") else None
        if not part.startswith("["):
            found = _key_line(lines, at, indent, part)
        if found is None:
            return at + 1 if found_any else None
        at, indent, found_any = found[0], found[1], True
    return at + 1


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip())


def _ends_block(line: str, indent: int) -> bool:
    body = line.strip()
    return body == "---" or (
        bool(body) and not body.startswith(("#", "- ")) and _depth(line) <= indent
    )


def _key_line(lines: list[str], at: int, indent: int, name: str) -> tuple[int, int] | None:
    pattern = re.compile(rf"^(\s*)(- )?{re.escape(name)}\s*:")
    for number in range(at, len(lines)):
        if number > at and _ends_block(lines[number], indent):
            return None
        match = pattern.match(lines[number])
        if match:
            depth = len(match.group(1)) + (2 if match.group(2) else 0)
            if depth > indent:
                return number, depth
    return None


def _item_line(lines: list[str], at: int, indent: int, wanted: int) -> tuple[int, int] | None:
    seen, level = -1, -1
    for number in range(at + 1, len(lines)):
        line = lines[number]
        if _ends_block(line, indent):
            return None
        if line.lstrip().startswith("- ") and _depth(line) >= indent:
            level = _depth(line) if level < 0 else level
            if _depth(line) != level:
                continue
            seen += 1
            if seen == wanted:
                return number, _depth(line)
    return None
