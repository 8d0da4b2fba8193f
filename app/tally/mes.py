"""The Method of Equal Shares, exact (integers and Fractions), and its add1 completion.

Voters with identical ballots are collapsed into weighted groups. Within one run, every voter's budget is the
initial share minus the prices of the funded projects they approve (or 0 once exhausted), so voters with the same
history share a *budget class*; each project keeps a histogram class -> weight of its supporters, and computing
a project's price touches only its classes, not its voters. Projects are evaluated lazily: a project's price can
only rise during a run, so a stale price is a lower bound (a heap gives the cheapest project).

The add1 completion raises every voter's share one currency unit at a time. Instead of running MES at every step,
a run at share ``b0 + t`` also returns the next ``t`` at which its outcome can change: every budget and price is
affine in ``t`` as long as the comparisons the run made keep their result (which supporters of each funded project
pay all they have; which project is cheapest in each round; which projects are unaffordable). For any split of a
project's supporters, ``(cost - what the split-off ones have) / (weight of the others)`` is a lower bound on its
price, so stale bounds stay valid along ``t`` too. The next step to evaluate is the first whole step at or after
the first point where one of those affine comparisons could flip (a tie at ``t`` itself means ``t + 1``). All the
steps skipped have the same outcome, so the stepwise definition is followed exactly, with far fewer runs.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import ceil

from .model import Election

INF = None  # "never" for a breakpoint


@dataclass
class MesProfile:
    ids: list[str]
    costs: list[int]
    groups: list[tuple[tuple[int, ...], int]]  # (approved project indices, number of voters)
    supporters: list[list[int]]  # per project: group indices
    n_voters: int
    cost_utility: bool
    ranks: list[int]  # tie-breaking position per project

    @classmethod
    def build(cls, election: Election, ranks: dict[str, int], cost_utility: bool) -> MesProfile:
        ids = [p.id for p in election.projects]
        index = {pid: i for i, pid in enumerate(ids)}
        by_object: dict[int, frozenset[str]] = {}
        counts: Counter[frozenset[str]] = Counter()
        for ballot in election.ballots:
            approved = by_object.get(id(ballot))
            if approved is None:
                approved = ballot.approved()
                by_object[id(ballot)] = approved
            counts[approved] += 1
        groups = [(tuple(sorted(index[p] for p in s)), w) for s, w in counts.items() if s]
        supporters: list[list[int]] = [[] for _ in ids]
        for g, (ps, _) in enumerate(groups):
            for p in ps:
                supporters[p].append(g)
        return cls(
            ids=ids,
            costs=[p.cost for p in election.projects],
            groups=groups,
            supporters=supporters,
            n_voters=len(election.ballots),
            cost_utility=cost_utility,
            ranks=[ranks[pid] for pid in ids],
        )


@dataclass
class MesRun:
    order: list[int]  # funded project indices, in order
    prices: list[Fraction]  # price paid by a supporter who could pay in full, per funded project
    payments: list[list[tuple[Fraction, int]]]  # per funded project: (amount, voters), largest first
    next_t: Fraction | int | None  # first share increase (in units) at which the outcome may change; None: never
    final_money: dict[int, Fraction] | None  # per unfunded project: what its supporters had at the end


def _bp(f: Fraction, fs: Fraction) -> Fraction | None:
    """Where f + fs*d (f >= 0 now) first reaches 0 for d >= 0: 0 when already 0, None when never."""
    if f <= 0:
        return Fraction(0)
    if fs >= 0:
        return INF
    return f / -fs


def run_mes(prof: MesProfile, share: Fraction, *, track: bool = False, details: bool = False) -> MesRun:
    """One MES run with every voter starting at ``share``; with ``track``, also the next breakpoint (see module)."""
    costs, groups, supporters, ranks = prof.costs, prof.groups, prof.supporters, prof.ranks
    m = len(costs)
    cost_u = prof.cost_utility
    val: list[Fraction] = [Fraction(share)]
    slope: list[Fraction] = [Fraction(1)]
    cls = [0] * len(groups)  # class per group; -1 = exhausted (budget 0)
    hist: list[dict[int, int] | None] = []
    for p in range(m):
        hist.append({0: sum(groups[g][1] for g in supporters[p])} if supporters[p] else None)
    status = [0] * m  # 0 candidate, 1 funded, 2 out (unaffordable or unsupported)
    lb = [Fraction(0)] * m  # price lower bound at the current t, and its slope
    lbs = [Fraction(0)] * m
    fresh = [-1] * m
    version = [0] * m
    best = INF  # smallest breakpoint distance so far

    def note(d: Fraction | None) -> None:
        nonlocal best
        if d is not None and (best is None or d < best):
            best = d

    def price(p: int) -> tuple[Fraction, Fraction] | None:
        """Exact price of p now (and its slope along t), or None when its supporters cannot pay it."""
        h = hist[p]
        W = sum(h.values())
        R = Fraction(costs[p])
        if not h:
            return None
        if len(h) == 1:
            (c, w), = h.items()
            if val[c] * W < R:
                return None
            return R / W, Fraction(0)
        Rs = Fraction(0)
        for c in sorted(h, key=val.__getitem__):
            v = val[c]
            if v * W < R:
                w = h[c]
                R -= v * w
                Rs -= slope[c] * w
                W -= w
                if W == 0:
                    return None
            else:
                break
        return R / W, Rs / W

    def rho(p: int, q: Fraction) -> Fraction:
        if cost_u:
            return q / costs[p] if costs[p] else Fraction(0)
        return q

    def money(p: int) -> tuple[Fraction, Fraction]:
        h = hist[p]
        return sum((val[c] * w for c, w in h.items()), Fraction(0)), sum((slope[c] * w for c, w in h.items()),
                                                                          Fraction(0))

    def drop(p: int) -> None:
        status[p] = 2
        if track and hist[p]:
            s, ss = money(p)
            note(_bp(costs[p] - s, -ss))

    heap: list[tuple[Fraction, int, int, int]] = []
    for p in range(m):
        if hist[p] is None:
            status[p] = 2
            continue
        heap.append((Fraction(0), ranks[p], 0, p))
    heapq.heapify(heap)

    order: list[int] = []
    prices: list[Fraction] = []
    payments: list[list[tuple[Fraction, int]]] = []
    rnd = 0
    while True:
        rnd += 1
        chosen = -1
        while heap:
            key, rk, ver, p = heap[0]
            if status[p] != 0 or ver != version[p]:
                heapq.heappop(heap)
                continue
            if fresh[p] == rnd:
                chosen = p
                break
            heapq.heappop(heap)
            pr = price(p)
            if pr is None:
                drop(p)
                continue
            lb[p], lbs[p] = pr
            fresh[p] = rnd
            version[p] += 1
            heapq.heappush(heap, (rho(p, pr[0]), rk, version[p], p))
        if chosen < 0:
            break
        s = chosen
        q, qs = lb[s], lbs[s]
        h = hist[s]
        # who pays all they have (E), who pays q
        mapping: dict[int, int] = {}
        paid: Counter[Fraction] = Counter()
        for c, w in h.items():
            v = val[c]
            if v <= q:
                if track:
                    note(Fraction(0) if v == q else _bp(q - v, qs - slope[c]))
                mapping[c] = -1
                if details:
                    paid[v] += w
            else:
                if track:
                    note(_bp(v - q, slope[c] - qs))
                val.append(v - q)
                slope.append(slope[c] - qs)
                mapping[c] = len(val) - 1
                if details:
                    paid[q] += w
        if track:
            rs = rho(s, q)
            rss = rho(s, qs) if cost_u else qs
            for p in range(m):
                if status[p] != 0 or p == s:
                    continue
                d = _bp(rho(p, lb[p]) - rs, (rho(p, lbs[p]) if cost_u else lbs[p]) - rss)
                if d is None or (best is not None and d >= best):
                    continue
                if fresh[p] != rnd:  # tighten a stale bound before letting it cut the interval
                    pr = price(p)
                    if pr is None:
                        drop(p)
                        continue
                    lb[p], lbs[p] = pr
                    fresh[p] = rnd
                    version[p] += 1
                    heapq.heappush(heap, (rho(p, pr[0]), ranks[p], version[p], p))
                    d = _bp(rho(p, lb[p]) - rs, (rho(p, lbs[p]) if cost_u else lbs[p]) - rss)
                note(d)
        status[s] = 1
        hist[s] = None
        order.append(s)
        prices.append(q)
        if details:
            payments.append(sorted(paid.items(), reverse=True))
        for g in supporters[s]:
            c = cls[g]
            if c < 0:
                continue
            nc = mapping[c]
            cls[g] = nc
            ps, w = groups[g]
            for p in ps:
                if status[p] == 0:
                    hp = hist[p]
                    left = hp[c] - w
                    if left:
                        hp[c] = left
                    else:
                        del hp[c]
                    if nc >= 0:
                        hp[nc] = hp.get(nc, 0) + w
    final_money = None
    if details:
        final_money = {}
        funded = set(order)
        for p in range(m):
            if p not in funded:
                final_money[p] = sum(
                    (val[cls[g]] * groups[g][1] for g in supporters[p] if cls[g] >= 0), Fraction(0)
                )
    return MesRun(order, prices, payments, best, final_money)


@dataclass
class Add1Result:
    run: MesRun | None  # the chosen outcome's run (None: nothing, e.g. the first step already overspent)
    share: Fraction
    steps_evaluated: int
    increments: int  # how many units were added to the share


def add1(prof: MesProfile, budget: int, step: int, *, last: bool = False) -> Add1Result:
    """Raise every voter's share by ``step`` units at a time from ``budget / voters`` (see the module docstring).

    ``last=False``: stop at the first exhaustive outcome, or keep the previous one when a step overspends.
    ``last=True``: keep raising while the outcome stays within the budget; keep the last such outcome.
    """
    n = prof.n_voters
    costs = prof.costs
    if n == 0:
        return Add1Result(None, Fraction(0), 0, 0)
    b0 = Fraction(budget, n)
    supported = [p for p in range(len(costs)) if prof.supporters[p]]
    t = 0
    prev: tuple[MesRun, int] | None = None
    evaluated = 0
    while True:
        run = run_mes(prof, b0 + t, track=True)
        evaluated += 1
        spent = sum(costs[p] for p in run.order)
        if spent > budget:
            if prev is None:
                return Add1Result(None, b0 + t, evaluated, t)
            return Add1Result(prev[0], b0 + prev[1], evaluated, prev[1])
        funded = set(run.order)
        if not last:
            if all(spent + costs[p] > budget for p in range(len(costs)) if p not in funded):
                return Add1Result(run, b0 + t, evaluated, t)
        elif all(p in funded for p in supported):
            return Add1Result(run, b0 + t, evaluated, t)
        prev = (run, t)
        if run.next_t is None:  # the outcome can no longer change
            return Add1Result(run, b0 + t, evaluated, t)
        t += step * max(1, ceil(run.next_t / step))


def winners_of(prof: MesProfile, run: MesRun | None) -> list[str]:
    return [] if run is None else [prof.ids[p] for p in run.order]


def as_ids(prof: MesProfile, idx: Sequence[int]) -> list[str]:
    return [prof.ids[p] for p in idx]
