"""Counterfactual explanations: the largest cost at which a left-out project would have been funded.

Computed, not estimated. The definition is :func:`max_funded_cost_by_bisection`: the rule is re-run with only that
project's cost changed, by bisection between a cost at which it is funded and one at which it is not; the answer is
then checked at that cost (funded) and one unit above (not funded). Rules are not always monotone in a project's
cost, so the check is reported in ``verified``.

:func:`max_funded_cost` returns exactly the same answer with far fewer and cheaper runs:

- the MES rules re-use the election's approval profile (only the costs change) instead of rebuilding it per run,
  and ask for the winners only (no per-round details);
- greedy rules whose order does not depend on costs (``greedy``, ``greedy-points``, ``majority-judgment`` and the
  greedy rules of ``city``) need no run: the projects before this one are taken or skipped whatever its cost, so it
  is funded exactly when its cost is at most the money left when its turn came (``money_left``), or never (below the
  threshold, or after the stop of a no-skip rule);
- rules proven monotone in a project's own cost (a lower cost never makes a funded project lose): plain MES and
  ``mes-cost`` (a lower cost lowers the project's price per unit of utility, so the run is the same until it is
  chosen, at the latest in the round it was chosen before), their ``+greedy`` completions (the MES stage either
  funds the project or is unchanged, and the completion then works as greedy) and ``greedy-per-cost`` (a lower cost
  moves the project earlier in the order, where at least as much money is left). For those every search finds the
  same largest funded cost, so it starts from what the first run proved: the money its supporters still had at the
  end (MES: at that cost it is affordable when the run ends, so it is chosen) and the money left at its turn
  (greedy), and stops at the money its supporters had at the start (MES alone); MES first tries one unit above the
  proven cost (on real files the answer is most often the floor of the supporters' final money: one run), then
  bisects;
- the add1 rules are not known to be monotone: they follow the bisection of the definition step by step (only each
  run is cheaper, and the final check re-uses the two runs that already decided it), so the answer is the
  definition's even where the rule is not monotone.

``tests/tally/test_explain.py`` checks the two functions agree on random small elections for every rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

from . import mes as _mes
from .greedy import greedy_pass, per_cost_scores
from .model import Election, Outcome, ProjectResult
from .rules import run
from .tiebreak import TieBreaking, resolve


@dataclass(frozen=True)
class MaxCost:
    project_id: str
    max_cost: int | None  # None: not funded even at cost 0
    verified: bool  # funded at max_cost and not funded at max_cost + 1
    runs: int


def _bisect(funded: Callable[[int], bool], project_id: str, cost: int, *, memo: bool = True) -> MaxCost:
    """The definition's search, asking ``funded`` (one run of the rule per call; ``memo``: never twice a cost)."""
    runs = 0
    seen: dict[int, bool] = {}  # a run is deterministic: the final check re-asks two costs already tried

    def ask(c: int) -> bool:
        nonlocal runs
        if c in seen and memo:
            return seen[c]
        runs += 1
        seen[c] = funded(c)
        return seen[c]

    if ask(cost):
        return MaxCost(project_id, cost, True, runs)
    if not ask(0):
        return MaxCost(project_id, None, True, runs)
    lo, hi = 0, cost  # funded(lo), not funded(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ask(mid):
            lo = mid
        else:
            hi = mid
    verified = ask(lo) and not ask(lo + 1)
    return MaxCost(project_id, lo, verified, runs)


def max_funded_cost_by_bisection(
    rule: str, election: Election, project_id: str, tie_breaking: str | TieBreaking | None = None
) -> MaxCost:
    """The definition: the largest cost (integer units) at which ``project_id`` is funded by ``rule``, all else
    unchanged, by bisection with one full run of the rule per cost tried."""
    return _bisect(lambda c: project_id in run(rule, election.with_cost(project_id, c), tie_breaking).winners,
                   project_id, election.project_map[project_id].cost, memo=False)


_FIXED_ORDER_GREEDY = {"greedy", "greedy-points", "majority-judgment"}
_MONOTONE = {"mes", "mes-cost", "mes+greedy", "mes-cost+greedy", "greedy-per-cost"}
_CITY_GREEDY = {"greedy", "greedy-threshold", "greedy-no-skip"}


def _kind_of_rule(rule: str, election: Election) -> str:
    """The rule actually run (``city`` resolved through the file's META)."""
    if rule != "city":
        return rule
    meta_rule = election.meta.get("rule", "unknown").strip()
    if meta_rule in _CITY_GREEDY:
        return "greedy"
    if meta_rule == "equalshares/add1":
        return "mes-cost+add1"
    return rule  # cannot be reproduced: run() raises as the definition does


class _Oracle:
    """``funded(cost)`` for one project: the rule's winners with that cost, from a profile built once."""

    def __init__(self, rule: str, election: Election, project_id: str, tie: TieBreaking) -> None:
        self.rule, self.election, self.pid, self.tie = rule, election, project_id, tie
        base, *parts = rule.split("+")
        self.parts = parts
        self.mes = base in ("mes", "mes-cost")
        if self.mes:
            ranks = tie.ranks(p.id for p in election.projects)
            self.prof = _mes.MesProfile.build(election, ranks, base == "mes-cost")
            self.index = self.prof.ids.index(project_id)
            self.votes = election.approval_counts() if "greedy" in parts else None
        elif rule == "greedy-per-cost":
            self.votes = election.approval_counts()  # counted once: they do not depend on costs

    def with_cost(self, c: int) -> _mes.MesProfile:
        costs = list(self.prof.costs)
        costs[self.index] = c
        return replace(self.prof, costs=costs)

    def __call__(self, c: int) -> bool:
        if not self.mes:
            changed = self.election.with_cost(self.pid, c)
            if self.rule == "greedy-per-cost":  # as rules.greedy_per_cost, with the votes counted once
                funded, _ = greedy_pass(changed, per_cost_scores(changed, self.votes), self.tie, votes=self.votes)
                return self.pid in funded
            return self.pid in run(self.rule, changed, self.tie).winners
        prof = self.with_cost(c)
        if "add1" in self.parts or "add1-last" in self.parts:
            res = _mes.add1(prof, self.election.budget, self.election.scale, last="add1-last" in self.parts)
            order = [] if res.run is None else _mes.run_mes(prof, res.share).order  # as the rule does
        else:
            share = Fraction(self.election.budget, prof.n_voters) if prof.n_voters else Fraction(0)
            order = _mes.run_mes(prof, share).order
        if self.index in order:
            return True
        if "greedy" not in self.parts:
            return False
        changed = self.election.with_cost(self.pid, c)
        extra, _ = greedy_pass(changed, self.votes, self.tie, votes=self.votes, already=_mes.as_ids(prof, order))
        return self.pid in extra


def _fixed_order_greedy(rule: str, election: Election, project_id: str, tie: TieBreaking, outcome) -> MaxCost:
    """Greedy whose order ignores costs: funded exactly when the cost is at most the money left at its turn."""
    r = (outcome or run(rule, election, tie)).results[project_id]
    if r.funded:
        return MaxCost(project_id, election.project_map[project_id].cost, True, 1)
    if r.kind != "greedy-skipped":  # below the threshold, or after a no-skip stop: whatever its cost
        return MaxCost(project_id, None, True, 1)
    return MaxCost(project_id, int(r.data["money_left"]), True, 1)


def _monotone(rule: str, election: Election, project_id: str, tie: TieBreaking, outcome) -> MaxCost:
    """A rule monotone in the project's cost: search between what the first run proved, with cheap runs."""
    cost = election.project_map[project_id].cost
    outcome = outcome or run(rule, election, tie)
    r = outcome.results[project_id]
    if r.funded:
        return MaxCost(project_id, cost, True, 1)
    oracle = _Oracle(rule, election, project_id, tie)
    runs = 1
    lo: int | None = None  # a cost proven funded
    hi = cost  # not funded
    data = r.data
    if rule == "greedy-per-cost":
        if r.kind == "greedy-skipped":
            lo = int(data["money_left"])
    else:
        if data.get("supporters"):
            lo = math.floor(data["supporters_money"])
            if "greedy" not in oracle.parts:  # funded only if its supporters can pay when it is chosen
                hi = min(hi, math.floor(outcome.info["voter_share"] * data["supporters"]) + 1)
        completion = data.get("completion")
        if completion and completion.get("money_left") is not None:  # skipped by the completion
            left = int(completion["money_left"])
            lo = left if lo is None else max(lo, left)
    if lo is None:
        runs += 1
        if not oracle(0):
            return MaxCost(project_id, None, True, runs)
        lo = 0
    lo = min(lo, cost - 1)
    if hi <= lo:  # cannot happen for a monotone rule; be safe
        hi = lo + 1
    if oracle.mes and lo + 1 < hi:  # MES: the proven cost is most often the answer (one run), else bisect
        runs += 1
        if oracle(lo + 1):
            lo += 1
        else:
            hi = lo + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        runs += 1
        if oracle(mid):
            lo = mid
        else:
            hi = mid
    return MaxCost(project_id, lo, True, runs)


def max_funded_cost(
    rule: str, election: Election, project_id: str, tie_breaking: str | TieBreaking | None = None,
    *, outcome: Outcome | None = None,
) -> MaxCost:
    """The largest cost (integer units) at which ``project_id`` is funded by ``rule``, all else unchanged.

    Same answer as :func:`max_funded_cost_by_bisection` (``runs`` counts the runs this one made). ``outcome``: the
    outcome of ``rule`` on ``election`` with this tie-breaking when the caller has it (saves one run per project)."""
    tie = resolve(tie_breaking)
    kind = _kind_of_rule(rule, election)
    if outcome is not None and (outcome.rule != rule or outcome.tie_breaking != tie.name):
        outcome = None
    if kind in _FIXED_ORDER_GREEDY:
        return _fixed_order_greedy(rule, election, project_id, tie, outcome)
    if kind in _MONOTONE:
        return _monotone(kind, election, project_id, tie, outcome)
    if kind.startswith("mes"):
        return _bisect(_Oracle(kind, election, project_id, tie), project_id, election.project_map[project_id].cost)
    return max_funded_cost_by_bisection(rule, election, project_id, tie)


def with_max_costs(
    outcome: Outcome, election: Election, tie_breaking: str | TieBreaking | None = None
) -> Outcome:
    """The outcome with ``max_cost`` (and ``max_cost_verified``) filled in for every project left out."""
    results = dict(outcome.results)
    for pid, r in outcome.results.items():
        if r.funded:
            continue
        mc = max_funded_cost(outcome.rule, election, pid, tie_breaking or outcome.tie_breaking, outcome=outcome)
        results[pid] = ProjectResult(pid, False, r.kind,
                                     {**r.data, "max_cost": mc.max_cost, "max_cost_verified": mc.verified})
    return replace(outcome, results=results)
