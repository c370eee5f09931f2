"""Triage: match an incident against the runbook's Troubleshooting Guide. Pure.

A simple scored matcher: an alert or metric named in an issue's symptoms weighs most (the
guide says "The Disk usage alert fires"), then words of the incident's title found in the
issue's title, then in its symptoms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from opsbook.runbook.model import Runbook, TroubleshootingIssue

NAMED_IN_SYMPTOMS = 5.0
NAMED_IN_TITLE = 3.0
WORD_IN_TITLE = 2.0
WORD_IN_SYMPTOMS = 1.0
_STOP = (
    "a an and are at be but by for from has have in is it its not of on or the this to was "
    "were with will after before when than then there fires fired firing alert alerts critical "
    "warning sev incident"
)
STOPWORDS = frozenset(_STOP.split(" "))


@dataclass(frozen=True)
class Match:
    issue_id: str
    title: str
    score: float
    reasons: tuple[str, ...]
    runnable: bool  # has diagnosis steps with commands


def _words(text: str) -> list[str]:
    found = re.findall(r"[a-z0-9]+", text.lower())
    return [w[:-1] if len(w) > 4 and w.endswith("s") else w for w in found]


def _phrase_in(phrase: str, text: str) -> bool:
    wanted = _words(phrase)
    have = _words(text)
    n = len(wanted)
    return n > 0 and any(have[i : i + n] == wanted for i in range(len(have) - n + 1))


def named_signals(runbook: Runbook, texts: Sequence[str]) -> list[str]:
    """Return the runbook's metric and alert names that appear in the texts."""
    names = {m.name for m in runbook.metrics} | {r.metric for r in runbook.alert_rules}
    joined = " \n ".join(texts)
    return sorted(n for n in names if n.strip() and _phrase_in(n, joined))


def score(issue: TroubleshootingIssue, *, title: str, signals: Sequence[str]) -> Match:
    """Score one issue against an incident's title and the alerts/metrics it names."""
    symptoms = " \n ".join(issue.symptoms)
    points, reasons = 0.0, []
    for name in signals:
        if _phrase_in(name, symptoms):
            points += NAMED_IN_SYMPTOMS
            reasons.append(f'symptoms name "{name}"')
        elif _phrase_in(name, issue.title):
            points += NAMED_IN_TITLE
            reasons.append(f'title names "{name}"')
    wanted = {w for w in _words(title) if len(w) > 2 and w not in STOPWORDS}
    in_title = wanted & set(_words(issue.title))
    in_symptoms = (wanted - in_title) & set(_words(symptoms))
    if in_title:
        points += WORD_IN_TITLE * len(in_title)
        reasons.append("title shares " + ", ".join(sorted(in_title)))
    if in_symptoms:
        points += WORD_IN_SYMPTOMS * len(in_symptoms)
        reasons.append("symptoms share " + ", ".join(sorted(in_symptoms)))
    runnable = any(not step.manual for step in issue.diagnosis)
    return Match(issue.id, issue.title, points, tuple(reasons), runnable)


def best_matches(
    runbook: Runbook, *, title: str, alerts: Sequence[str] = (), limit: int = 3
) -> list[Match]:
    """Return the issues that best match the incident, best first (ties: runbook order)."""
    signals = named_signals(runbook, [title, *alerts])
    scored = [
        score(issue, title=" ".join([title, *alerts]), signals=signals)
        for issue in runbook.troubleshooting
    ]
    ranked = sorted(
        (m for m in scored if m.score > 0), key=lambda m: -m.score
    )  # sorted() is stable, so equal scores keep the runbook's order
    return ranked[:limit]
