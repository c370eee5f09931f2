"""The one transition helper of the state machines (runs, alerts, incidents). Pure.

Each machine keeps its own states, events and table of moves; `apply` looks the move up and,
where the table has none, raises one `TransitionRefused` (a `Refused`) that says why: in the
machine's own words where it has some (`explain`), else "a resolved alert cannot acknowledge
(it can: nothing)". A move is two dict lookups: the run engine walks it for every step.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from opsbook.errors import Refused

State = TypeVar("State", bound=Hashable)
Event = TypeVar("Event", bound=Hashable)


class TransitionRefused(Refused):
    """A state machine refused an event in the state the thing is in; the message says why."""


def _no_words(state: object, event: object) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class TransitionTable(Generic[State, Event]):
    """A machine's moves: from each state, the events allowed and the state each leads to."""

    noun: str  # what the machine moves, as a refusal names it: "alert", "run", "incident"
    moves: Mapping[State, Mapping[Event, State]]
    # The machine's own reason for a refusal, or None for the general one.
    explain: Callable[[State, Event], str | None] = _no_words

    def allows(self, state: State, event: Event) -> bool:
        """Say whether the event may happen in this state."""
        return event in self.moves.get(state, {})

    def moves_of(self, event: Event) -> dict[State, State]:
        """Return the event's moves: from each state that allows it, the state it leads to."""
        return {state: allowed[event] for state, allowed in self.moves.items() if event in allowed}

    def sources(self, event: Event) -> frozenset[State]:
        """Return the states in which the event is allowed."""
        return frozenset(self.moves_of(event))

    def target(self, event: Event) -> State | None:
        """Return the state the event leads to wherever it is allowed (None if that varies)."""
        targets = {allowed[event] for allowed in self.moves.values() if event in allowed}
        return targets.pop() if len(targets) == 1 else None

    def why(self, state: State, event: Event) -> str:
        """Return why the event is refused in this state."""
        reason = self.explain(state, event)
        if reason is not None:
            return reason
        can = ", ".join(str(e) for e in self.moves.get(state, {})) or "nothing"
        return f"a {state} {self.noun} cannot {event} (it can: {can})"


def apply(table: TransitionTable[State, Event], state: State, event: Event) -> State:
    """Return the state after the event, or raise TransitionRefused saying why not."""
    try:
        return table.moves[state][event]
    except KeyError:
        raise TransitionRefused(table.why(state, event)) from None
