"""Record: one `__eq__`, `__hash__` and `__repr__` for opsbook's frozen dataclasses.

`@dataclass(frozen=True)` writes six methods for each class as source text and compiles
them when the module is imported. `opsbook run` imports dozens of such classes (most of
them the runbook model) every time; compiling their methods was a large share of a one-step
run's instructions, and these three were many of them (figures in docs/benchmarks.md). So
those classes are
`@dataclass(frozen=True, eq=False, repr=False)` subclasses of Record: dataclass compiles
only `__init__` and the frozen guards, and these three, written once, compare, hash and
show the fields as the generated ones would (same class and equal fields; a hash of the
fields; `Step(text='Start', command=None, ...)`).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

_COMPARED: dict[type, tuple[str, ...]] = {}
_SHOWN: dict[type, tuple[str, ...]] = {}


def _compared(cls: type) -> tuple[str, ...]:
    names = _COMPARED.get(cls)
    if names is None:
        names = _COMPARED[cls] = tuple(f.name for f in fields(cls) if f.compare)
    return names


def _shown(cls: type) -> tuple[str, ...]:
    names = _SHOWN.get(cls)
    if names is None:
        names = _SHOWN[cls] = tuple(f.name for f in fields(cls) if f.repr)
    return names


class Record:
    """Base of a frozen dataclass whose equality, hash and repr come from its fields."""

    __slots__ = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _compared(type(self)))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _shown(type(self)))
        return f"{type(self).__qualname__}({shown})"
