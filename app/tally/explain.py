"""Counterfactual explanations: the largest cost at which a left-out project would have been funded.

Computed, not estimated: the rule is re-run with only that project's cost changed, by bisection between a cost at
which it is funded and one at which it is not; the answer is then checked at that cost (funded) and one unit above
(not funded). Rules are not always monotone in a project's cost, so the check is reported in ``verified``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .model import Election, Outcome, ProjectResult
from .rules import run
from .tiebreak import TieBreaking


@dataclass(frozen=True)
class MaxCost:
    project_id: str
    max_cost: int | None  # None: not funded even at cost 0
    verified: bool  # funded at max_cost and not funded at max_cost + 1
    runs: int


def max_funded_cost(
    rule: str, election: Election, project_id: str, tie_breaking: str | TieBreaking | None = None
) -> MaxCost:
    """The largest cost (integer units) at which ``project_id`` is funded by ``rule``, all else unchanged."""
    runs = 0

    def funded(cost: int) -> bool:
        nonlocal runs
        runs += 1
        return project_id in run(rule, election.with_cost(project_id, cost), tie_breaking).winners

    cost = election.project_map[project_id].cost
    if funded(cost):
        return MaxCost(project_id, cost, True, runs)
    if not funded(0):
        return MaxCost(project_id, None, True, runs)
    lo, hi = 0, cost  # funded(lo), not funded(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if funded(mid):
            lo = mid
        else:
            hi = mid
    verified = funded(lo) and not funded(lo + 1)
    return MaxCost(project_id, lo, verified, runs)


def with_max_costs(
    outcome: Outcome, election: Election, tie_breaking: str | TieBreaking | None = None
) -> Outcome:
    """The outcome with ``max_cost`` (and ``max_cost_verified``) filled in for every project left out."""
    results = dict(outcome.results)
    for pid, r in outcome.results.items():
        if r.funded:
            continue
        mc = max_funded_cost(outcome.rule, election, pid, tie_breaking or outcome.tie_breaking)
        results[pid] = ProjectResult(pid, False, r.kind,
                                     {**r.data, "max_cost": mc.max_cost, "max_cost_verified": mc.verified})
    return replace(outcome, results=results)
