"""Greedy rules: projects in order of a score, funded while they fit (or until the first that does not fit)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from fractions import Fraction

from .model import Election, ProjectResult
from .tiebreak import TieBreaking


def greedy_pass(
    election: Election,
    scores: Mapping[str, int | Fraction],
    tie: TieBreaking,
    *,
    votes: Mapping[str, int],
    already: Collection[str] = (),
    no_skip: bool = False,
    threshold: int | None = None,
    stage: str = "",
) -> tuple[list[str], dict[str, ProjectResult]]:
    """Fund projects not in ``already`` by decreasing score (ties by ``tie``) within what is left of the budget.

    Returns the funded ids in order and one :class:`ProjectResult` per project considered.
    """
    ranks = tie.ranks(p.id for p in election.projects)
    taken = set(already)
    left = election.budget - election.cost_of(taken)
    candidates = [p for p in election.projects if p.id not in taken]
    candidates.sort(key=lambda p: (-scores[p.id], ranks[p.id]))
    funded: list[str] = []
    results: dict[str, ProjectResult] = {}
    stopped = False
    for rank, p in enumerate(candidates, start=1):
        data = {"rank": rank, "score": scores[p.id], "votes": votes[p.id], "cost": p.cost, "money_left": left}
        if stage:
            data["stage"] = stage
        if threshold is not None and scores[p.id] < threshold:
            results[p.id] = ProjectResult(p.id, False, "greedy-below-threshold", {**data, "threshold": threshold})
            continue
        if stopped:
            results[p.id] = ProjectResult(p.id, False, "greedy-stopped", data)
            continue
        if p.cost <= left:
            left -= p.cost
            funded.append(p.id)
            results[p.id] = ProjectResult(p.id, True, "greedy-funded", data)
        else:
            results[p.id] = ProjectResult(p.id, False, "greedy-skipped", data)
            stopped = no_skip
    return funded, results


def per_cost_scores(election: Election, votes: Mapping[str, int]) -> dict[str, Fraction]:
    """Votes per unit of cost (a free project with votes comes first)."""
    out: dict[str, Fraction] = {}
    for p in election.projects:
        if p.cost == 0:
            out[p.id] = Fraction(10**30 * (votes[p.id] + 1))
        else:
            out[p.id] = Fraction(votes[p.id], p.cost)
    return out
