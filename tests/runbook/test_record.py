"""Record: the model's equality, hash and repr are what dataclass would have generated."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from opsbook.runbook.model import Attrs, Procedure, Runbook, Step
from opsbook.runbook.record import Record


@dataclass(frozen=True, eq=False, repr=False)
class Pair(Record):
    """A record with a field left out of comparison and of the repr."""

    left: int
    right: tuple[str, ...] = ()
    note: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class GeneratedPair:
    """The same fields, with dataclass's own methods."""

    left: int
    right: tuple[str, ...] = ()
    note: str = field(default="", compare=False, repr=False)


def test_equal_fields_are_equal_and_hash_alike_other_classes_are_not() -> None:
    a, b = Pair(1, ("x",), note="a"), Pair(1, ("x",), note="b")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert Pair(1) != Pair(2)
    assert a != GeneratedPair(1, ("x",)) and a != (1, ("x",))


def test_repr_and_hash_read_as_the_generated_ones() -> None:
    ours, theirs = Pair(1, ("x",), "n"), GeneratedPair(1, ("x",), "n")
    assert repr(ours) == repr(theirs).replace("GeneratedPair", "Pair")
    assert hash(ours) == hash(theirs)


def test_the_model_stays_frozen_and_compares_by_value() -> None:
    step = Step("Start", "bin/start", Attrs(timeout=5.0))
    assert step == Step("Start", "bin/start", Attrs(timeout=5.0))
    assert step != Step("Start", "bin/start", Attrs(timeout=6.0))
    assert repr(step).startswith("Step(text='Start', command='bin/start', attrs=Attrs(host=None")
    with pytest.raises(AttributeError):
        step.text = "Stop"  # type: ignore[misc]
    book = Runbook(procedures=(Procedure("Start", "start", steps=(step,)),))
    assert book == Runbook(procedures=(Procedure("Start", "start", steps=(step,)),))
    with pytest.raises(TypeError):  # it holds dicts, as the generated __hash__ would say
        hash(book)
