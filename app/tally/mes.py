"""The Method of Equal Shares, exact (integers and GMP/Fraction rationals), and its add1 completion.

Voters with identical ballots are collapsed into weighted groups. Within one run, every voter's budget is the
initial share minus the prices of the funded projects they approve (or 0 once exhausted), so voters with the same
history share a *budget class*; a project's price is computed from the classes of its supporters (numpy counts
them), not voter by voter. A project's price can only rise during a run, so a stale price is a lower bound and a
heap of them gives the cheapest project after few recomputations. Floats are kept beside the exact values only
to order work (sorting, picking whom to compare exactly); every decision is an exact comparison.

The add1 completion raises every voter's share one currency unit at a time. Instead of running MES at every step,
:func:`certify` runs it at share ``b`` and checks that the same projects are selected in the same order for every
share in ``[b, b + span]``, by keeping affine lower and upper bounds on every budget and price along the interval.
Every run gives the outcome at ``b`` whether the check passes or not, so the driver wastes none: when it passes it
jumps past the span and tries one twice as long, when it fails it moves one step and tries one a quarter as long.
All the steps skipped have the same outcome, so the stepwise definition is followed exactly (tests compare it with
plain stepping), with far fewer runs where the outcome is stable. Where it is not (the order changes every few
units), each unit is evaluated by a float run (:func:`float_order`) that is trusted only when every decisive
comparison wins by a wide margin (exact ties of simple prices are compared exactly), else that step runs exactly.
The float runs of many consecutive units are computed together by :func:`float_orders`: one run per share, all in
lockstep round by round (budgets are a group x share array), so that one numpy call prices or funds a project
for every share that needs it; each share still takes exactly its own decisions. On small profiles a batch also runs
a few steps far ahead: the first of those whose outcome ends the completion bounds the steps still to run. When no
voter group supports two projects, funding one project changes no other's price, and the completion has a closed
form (:func:`_add1_disjoint`).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .groups import ApprovalGroups
from .model import Election

try:  # GMP rationals: exact like Fraction, an order of magnitude faster; Fraction when gmpy2 is missing
    from gmpy2 import mpq as Q
except ImportError:  # pragma: no cover
    Q = Fraction



def to_fraction(x) -> Fraction:
    return x if isinstance(x, Fraction) else Fraction(int(x.numerator), int(x.denominator))


@dataclass
class MesProfile:
    """The approval view of an election for one MES variant: the election's voter groups
    (:class:`~app.tally.groups.ApprovalGroups`, shared by every rule run on it), costs and tie-breaking ranks."""

    groups: ApprovalGroups
    costs: list[int]
    cost_utility: bool
    ranks: list[int]  # tie-breaking position per project

    ids = property(lambda self: self.groups.ids)
    weights = property(lambda self: self.groups.weights)
    incidence = property(lambda self: self.groups.incidence)
    sup_arrays = property(lambda self: self.groups.sup_arrays)
    sup_weights = property(lambda self: self.groups.sup_weights)
    support_totals = property(lambda self: self.groups.support_totals)
    n_voters = property(lambda self: self.groups.n_voters)
    n_groups = property(lambda self: self.groups.n_groups)

    @classmethod
    def build(cls, election: Election, ranks: dict[str, int], cost_utility: bool) -> MesProfile:
        return cls(
            groups=election.approval_groups,
            costs=[p.cost for p in election.projects],
            cost_utility=cost_utility,
            ranks=[ranks[p.id] for p in election.projects],
        )


@dataclass
class MesRun:
    order: list[int]  # funded project indices, in order
    prices: list[Fraction]  # price paid by a supporter who could pay in full, per funded project
    payments: list  # per funded project: ((price, voters paying it in full), (voters paying all they had, total))
    final_money: dict[int, Fraction] | None  # per unfunded project: what its supporters had at the end


def _class_weights(sub: np.ndarray, weights: np.ndarray, n_cls: int) -> tuple[np.ndarray, np.ndarray]:
    """The budget classes present in ``sub`` (class 0, "nothing left", left out) and their numbers of voters."""
    if n_cls <= 4 * len(sub) + 4096:
        counts = np.bincount(sub, weights=weights, minlength=n_cls)
        counts[0] = 0
        uniq = np.flatnonzero(counts)
        return uniq, counts[uniq].astype(np.int64)
    uniq, inv = np.unique(sub, return_inverse=True)
    total = np.bincount(inv, weights=weights).astype(np.int64)
    if len(uniq) and uniq[0] == 0:
        return uniq[1:], total[1:]
    return uniq, total


def _move(cls: np.ndarray, groups: np.ndarray, uniq: np.ndarray, new_ids: np.ndarray) -> None:
    """Move the groups of each class ``uniq[j]`` to class ``new_ids[j]`` (groups in class 0 stay there)."""
    sub = cls[groups]
    if not len(uniq):
        return
    pos = np.minimum(np.searchsorted(uniq, sub), len(uniq) - 1)
    cls[groups] = np.where(sub == 0, 0, new_ids[pos])


def run_mes(prof: MesProfile, share, *, details: bool = False, order: list[int] | None = None) -> MesRun:
    """The exact MES run with every voter starting at ``share``: its order from :func:`float_order` (or ``order``,
    the exact order at that share when already known) and its prices (and with ``details`` what each paid and what
    the supporters of unfunded projects had left) from :func:`_exact_prices`, or, when either is too close to call,
    from :func:`run_mes_exact`."""
    if order is None:
        order = float_order(prof, share)
    if order is not None:
        run = _exact_prices(prof, share, order, details)
        if run is not None:
            return run
    return run_mes_exact(prof, share, details=details)


def _exact_prices(prof: MesProfile, share, order: list[int], details: bool) -> MesRun | None:
    """Exact prices along a known order (None when a split is too close to call in floats: the caller runs exactly).

    Voter groups, not budget classes: a group with money left has exactly ``share - sum of the prices of the
    rounds it paid in full``, so ``paid`` (group x round, 1.0 = paid in full) gives the exact sum of many groups'
    budgets as ``share * weight - sum over rounds of price * (weight that paid it)``, a float product of whole
    numbers (exact below 2**53) and one exact product per round. A group that paid all it had is dead (exactly
    nothing left). Floats only split the supporters into those who pay all they have and those who pay the price;
    the groups within ``tol`` of the price are valued exactly, and the split is used only if the exact price falls
    within half that margin of the float one.
    """
    sq = Q(share)
    fshare = float(share)
    tol = 1e-9 * fshare + 1e-300  # float budgets are within a few ulps of ``share`` of the exact ones
    n = prof.n_groups
    fb = np.full(n, fshare)
    alive = np.ones(n, dtype=bool)
    paid = np.zeros((n, max(len(order), 1)), dtype=np.float32)
    prices: list = []
    payments: list = []

    def exact_total(groups: np.ndarray, weights: np.ndarray):
        total = sq * int(weights.sum())
        if prices:
            counts = (weights @ paid[groups, : len(prices)]).tolist()
            total -= sum(price * int(c) for price, c in zip(prices, counts, strict=True) if c)
        return total

    for r, s in enumerate(order):
        g = prof.sup_arrays[s]
        w = prof.sup_weights[s]
        live = alive[g]
        g, w = g[live], w[live]
        cost = prof.costs[s]
        b = fb[g]
        qf = _float_price(b, w, cost)
        if qf is None:
            return None
        W = int(w.sum())
        below = b < qf - tol
        near = np.flatnonzero(np.abs(b - qf) <= tol)
        if below.any():
            off_total = exact_total(g[below], w[below])
            rest_w = W - int(w[below].sum())
        else:
            off_total, rest_w = Q(0), W
        # the groups near the price, valued exactly, split off in increasing order while below the price
        near_vals = sorted((exact_total(g[j : j + 1], w[j : j + 1]) / int(w[j]), int(j)) for j in near)
        q = None
        split_near = []
        for v, j in near_vals:
            if rest_w <= 0:
                return None
            q = (cost - off_total) / rest_w
            if v >= q:
                break
            off_total += v * int(w[j])
            rest_w -= int(w[j])
            split_near.append(j)
        if rest_w <= 0:
            return None
        q = (Q(cost) - off_total) / rest_w
        if abs(float(q) - qf) > tol / 2:
            return None
        split = below.copy()
        if split_near:
            split[split_near] = True
        payers = g[~split]
        if details:
            payments.append(((q, rest_w), (W - rest_w, off_total)))
        fb[payers] -= float(q)
        paid[payers, r] = 1.0
        gone = g[split]
        alive[gone] = False
        fb[gone] = 0.0
        prices.append(q)
        for j in near:  # a payer that had exactly the price has nothing left
            if not split[j] and exact_total(g[j : j + 1], w[j : j + 1]) == 0:
                alive[g[j]] = False
                fb[g[j]] = 0.0
    final_money = None
    if details:
        # what the supporters of each unfunded project have left, all projects at once: weights of the groups
        # with money left supporting p that paid round k, by one float product of whole numbers
        unfunded = sorted(set(range(len(prof.costs))) - set(order))
        alive_w = (prof.weights * alive).astype(np.float32)
        supporting = prof.incidence[unfunded] * alive_w
        alone = supporting.sum(axis=1)
        together = supporting @ paid[:, : len(prices)] if prices else None
        final_money = {}
        for j, p in enumerate(unfunded):
            total = sq * int(alone[j])
            if prices:
                for k in np.flatnonzero(together[j]):
                    total -= prices[k] * int(together[j, k])
            final_money[p] = total
    return MesRun(order, prices, payments, final_money)


def _float_price(b: np.ndarray, w: np.ndarray, cost: float) -> float | None:
    """The q with ``sum(w * min(b, q)) = cost`` in floats (None if the budgets cannot pay it), without sorting.

    From ``q = cost / W`` (at most the answer), those with less than q pay all they have and the rest share what is
    left: the new q is still at most the answer (the line through the present split lies above the true payment
    curve) and never smaller, so the split only grows; when it stops growing, q is the answer. A few passes.
    """
    W = float(w.sum())
    if W <= 0:
        return None
    q = cost / W
    n_low = 0
    while True:
        low = b < q
        k = int(np.count_nonzero(low))
        if k == n_low:
            return q
        n_low = k
        rest = W - float(w @ low)
        if rest <= 0:
            return None
        q = (cost - float((w * low) @ b)) / rest


def run_mes_exact(prof: MesProfile, share, *, details: bool = False) -> MesRun:
    """One exact MES run with every voter starting at ``share``, without floats deciding anything.

    Budget classes live in ``val`` (exact) and ``fval`` (a float copy that only orders work); class 0 is
    "nothing left"; ``cls[g]`` is the class of voter group ``g``. A project's price only rises during a run, so a
    price computed in an earlier round is a lower bound: the heap holds those, and only the project on top is
    recomputed until the top one is fresh.
    """
    costs, ranks = prof.costs, prof.ranks
    m = len(costs)
    cost_u = prof.cost_utility
    sup, sup_w = prof.sup_arrays, prof.sup_weights
    val: list = [Q(0), Q(share)]
    fval = np.empty(1024)
    fval[0], fval[1] = 0.0, float(share)
    n_cls = 2
    cls = np.ones(prof.n_groups, dtype=np.int64)
    hist = _History(m)
    status = [0] * m  # 0 candidate, 1 funded, 2 out (unaffordable or unsupported)
    lb: list = [Q(0)] * m
    fresh = [-1] * m

    def classes(p: int):
        return _class_weights(cls[sup[p]], sup_w[p], n_cls)

    def rho(p: int, q):
        if cost_u:
            return q / costs[p] if costs[p] else Q(0)
        return q

    heap: list = []
    for p in range(m):
        if prof.support_totals[p] == 0:
            status[p] = 2
            continue
        heap.append((Q(0), ranks[p], p))
    heapq.heapify(heap)
    order: list[int] = []
    prices: list = []
    payments: list = []
    rnd = 0
    while True:
        rnd += 1
        chosen = -1
        while heap:
            key, rk, p = heap[0]
            if fresh[p] == rnd:
                chosen = p
                break
            heapq.heappop(heap)
            uniq, weights = classes(p)
            res = _scan_fast(uniq, weights, hist, costs[p], (val, fval, share, prices))
            if res is None:
                status[p] = 2
                continue
            lb[p] = res[0]
            fresh[p] = rnd
            heapq.heappush(heap, (rho(p, lb[p]), rk, p))
        if chosen < 0:
            break
        s = heapq.heappop(heap)[2]
        q = lb[s]
        uniq, weights = classes(s)
        new_ids = np.zeros(len(uniq), dtype=np.int64)  # new class per class of s's supporters (0: nothing left)
        if n_cls + len(uniq) > len(fval):
            fval = np.resize(fval, max(n_cls + len(uniq), 2 * len(fval)))
        hist.grow(n_cls + len(uniq))
        created: list[int] = []
        parents: list[int] = []
        full = 0  # voters who paid the price in full
        emptied: list[int] = []  # slots of the classes that paid all they had
        for j in range(len(uniq)):
            c = int(uniq[j])
            v = val[c]
            if v <= q:
                if v < q:
                    emptied.append(j)
                else:  # paid the price in full and has nothing left
                    full += int(weights[j])
                continue
            val.append(v - q)
            fval[n_cls] = float(val[-1])
            created.append(n_cls)
            parents.append(c)
            new_ids[j] = n_cls
            n_cls += 1
            full += int(weights[j])
        if details:
            e_cls, e_w = uniq[emptied], weights[emptied]
            payments.append(((q, full), (int(e_w.sum()), hist.total(e_cls, e_w, (val, fval, share, prices)))))
        _move(cls, sup[s], uniq, new_ids)
        hist.add(created, parents, len(order))
        status[s] = 1
        order.append(s)
        prices.append(q)
    final_money = None
    if details:
        # a voter with money left has the share minus the prices of the funded projects they approve; so the
        # supporters of p have share * (their weight) - sum over funded s of price(s) * (weight supporting both),
        # with weights counted among voters with money left (whole numbers, exact in float32 far beyond 10^6)
        alive_w = (prof.weights * (cls != 0)).astype(np.float32)
        together = prof.incidence @ (prof.incidence[order] * alive_w).T if order else None
        alone = prof.incidence @ alive_w
        final_money = {}
        for p in range(m):
            if status[p] != 1:
                total = Q(share) * int(alone[p])
                for k in range(len(order)):
                    both = int(together[p, k])
                    if both:
                        total -= prices[k] * both
                final_money[p] = total
    return MesRun(order, prices, payments, final_money)


class _History:
    """Which funded rounds each budget class has paid for (rows: classes, columns: rounds, 1.0 = paid).

    A class with a non-zero value of some kind (exact budget, or a bound) has the value
    ``base - sum of that kind's per-round prices over its paid rounds``; so the sum of the values of many classes
    is a handful of exact products, from a float matrix product of whole numbers (exact below 2**53)."""

    def __init__(self, m: int) -> None:
        self.H = np.zeros((1024, max(m, 1)), dtype=np.float32)

    def grow(self, n: int) -> None:
        if n > len(self.H):
            bigger = np.zeros((max(n, 2 * len(self.H)), self.H.shape[1]), dtype=np.float32)
            bigger[: len(self.H)] = self.H
            self.H = bigger

    def add(self, new_ids: list[int], parents: list[int], k: int) -> None:
        if new_ids:
            self.H[new_ids] = self.H[parents]
            self.H[new_ids, k] = 1.0

    def total(self, classes: np.ndarray, weights: np.ndarray, kind: tuple):
        """Exact sum of weight * value over ``classes`` for a value kind ``(vals, fvals, base, prices)``."""
        vals, fvals, base, prices = kind
        fv = fvals[classes]
        alive = fv != 0.0
        for j in np.flatnonzero(~alive):  # a float 0.0 may hide a tiny exact value
            if vals[int(classes[j])] != 0:
                alive[j] = True
        w = weights * alive
        total = Q(base) * int(w.sum())
        if prices:
            paid = w.astype(np.float64) @ self.H[classes, : len(prices)]
            for k in np.flatnonzero(paid):
                total -= prices[k] * int(paid[k])
        return total


def _scan_fast(uniq, weights, hist: _History, cost: int, main: tuple, other: tuple | None = None):
    """:func:`_scan_price` with the split found in floats and the sums taken through :class:`_History`; the split
    is then checked exactly (every split-off class at most the price, every other at least), else the exact scan."""
    vals, fvals = main[0], main[1]
    if not len(uniq):
        return None
    order = np.argsort(fvals[uniq], kind="stable")
    u = uniq[order]
    w = weights[order]
    fv = fvals[u]
    wf = w.astype(np.float64)
    W = int(w.sum())
    before_w = np.cumsum(wf) - wf
    before_s = np.cumsum(wf * fv) - wf * fv
    stays = fv * (W - before_w) >= cost - before_s
    if not stays.any():
        return _scan_price(uniq, weights, vals, fvals, cost, other[0] if other else None)
    k = int(np.argmax(stays))
    rest_w = W - int(w[:k].sum())
    if rest_w <= 0:
        return _scan_price(uniq, weights, vals, fvals, cost, other[0] if other else None)
    q = (Q(cost) - hist.total(u[:k], w[:k], main)) / rest_w
    qf = float(q)
    tol = 1e-9 * abs(qf) + 1e-300
    if (any(vals[int(c)] > q for c in u[:k][fv[:k] > qf - tol])
            or any(vals[int(c)] < q for c in u[k:][fv[k:] < qf + tol])):
        return _scan_price(uniq, weights, vals, fvals, cost, other[0] if other else None)
    if other is None:
        return q, None
    return q, (Q(cost) - hist.total(u[:k], w[:k], other)) / rest_w


def _scan_price(uniq, weights, vals: list, fvals: np.ndarray, cost: int, other: list | None = None):
    """Exact solution q of sum(w * min(v, q)) = cost over classes ``uniq`` valued ``vals``; None if unaffordable.

    Returns (q, lower bound from ``other`` values for the same split) -- the second is
    (cost - sum over the split-off classes of w * other) / (weight of the rest), or None without ``other``.
    """
    if not len(uniq):
        return None
    W = int(weights.sum())
    R = Q(cost)
    Ro = Q(cost)
    order = np.argsort(fvals[uniq], kind="stable")
    k = 0
    broke = False
    for k in range(len(order)):
        c = int(uniq[order[k]])
        v = vals[c]
        if v * W < R:
            w = int(weights[order[k]])
            R -= v * w
            if other is not None:
                Ro -= other[c] * w
            W -= w
            if W == 0:
                return None
        else:
            broke = True
            break
    if not broke:
        return None
    q = R / W
    rest = order[k:]
    near = rest[fvals[uniq[rest]] <= float(q) * (1 + 1e-9) + abs(float(q)) * 1e-9 + 1e-300]
    if any(vals[int(uniq[j])] < q for j in near):  # the float order misled the scan: redo it exactly
        pairs = sorted(((int(c), int(w)) for c, w in zip(uniq, weights, strict=True)), key=lambda cw: vals[cw[0]])
        W = int(weights.sum())
        R, Ro = Q(cost), Q(cost)
        for c, w in pairs:
            if vals[c] * W < R:
                R -= vals[c] * w
                if other is not None:
                    Ro -= other[c] * w
                W -= w
                if W == 0:
                    return None
            else:
                break
        q = R / W
    return q, (Ro / W if other is not None else None)


def certify(prof: MesProfile, share, span: int, work: list | None = None) -> tuple[list[int], bool]:
    """Run MES exactly at ``share`` and check that it selects the same projects, in the same order, for every
    share in ``[share, share + span]``.

    Along that interval every voter's budget is kept between two affine bounds (``lo``, ``hi``, stored by their
    values at the far end; at the near end both equal the exact budget ``v0``). A project's price is at least
    ``(cost - what its split-off supporters have at most) / (weight of the others)`` for any split, and at most
    the chord of the (convex) price computed from the ``lo`` budgets; comparing affine bounds on an interval is
    comparing them at both ends. Returns the exact order at ``share`` and whether the check passed.
    """
    costs, ranks = prof.costs, prof.ranks
    m = len(costs)
    cost_u = prof.cost_utility
    sup, sup_w = prof.sup_arrays, prof.sup_weights
    share = Q(share)
    far = share + span
    v0: list = [Q(0), share]
    loD: list = [Q(0), far]
    hiD: list = [Q(0), far]
    f0 = np.empty(1024)
    fD = np.empty(1024)
    f0[0], f0[1], fD[0], fD[1] = 0.0, float(share), 0.0, float(far)
    n_cls = 2
    cls = np.ones(prof.n_groups, dtype=np.int64)
    status = [0] * m
    lb0: list = [Q(0)] * m  # price lower bounds at both ends
    lbD: list = [Q(0)] * m
    fresh = [-1] * m
    version = [0] * m
    ok = True
    visits = 0  # budget classes visited (the work, for :func:`_cost`)

    def classes(p: int):
        return _class_weights(cls[sup[p]], sup_w[p], n_cls)

    def rho(p: int, q):
        if cost_u:
            return q / costs[p] if costs[p] else Q(0)
        return q

    def refresh(p: int) -> bool:
        """Fresh bounds for p at this round; False (and p dropped) when its supporters cannot pay it now."""
        nonlocal ok, visits
        uniq, weights = classes(p)
        visits += len(uniq) + 1
        res = _scan_price(uniq, weights, v0, f0, costs[p], hiD)
        if res is None:
            status[p] = 2
            alive[p] = False
            if ok and len(uniq):  # it must stay unaffordable up to the far end
                total = sum((hiD[int(c)] * int(w) for c, w in zip(uniq, weights, strict=True)), Q(0))
                ok = total < costs[p]
            return False
        lb0[p], lbD[p] = res
        fl0[p] = float(rho(p, lb0[p]))
        flD[p] = float(rho(p, lbD[p]))
        fresh[p] = rnd
        version[p] += 1
        return True

    def beaten(p: int, s: int, u0, uD) -> bool:
        """Could p beat s somewhere on the interval (by its bounds)?"""
        a0, aD = rho(p, lb0[p]), rho(p, lbD[p])
        if ranks[p] > ranks[s]:
            return a0 < u0 or aD < uD
        return a0 <= u0 or aD <= uD

    heap: list = []
    fl0 = np.full(m, -np.inf)  # float copies of the rho lower bounds (-inf: not computed yet)
    flD = np.full(m, -np.inf)
    alive = np.ones(m, dtype=bool)  # still a candidate
    for p in range(m):
        if prof.support_totals[p] == 0:
            status[p] = 2
            alive[p] = False
            continue
        heap.append((Q(0), ranks[p], 0, p))
    heapq.heapify(heap)
    order: list[int] = []
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
            if refresh(p):
                heapq.heappush(heap, (rho(p, lb0[p]), rk, version[p], p))
        if chosen < 0:
            break
        s = chosen
        q0, lq_D = lb0[s], lbD[s]
        uniq, weights = classes(s)
        visits += 2 * len(uniq) + 1
        if ok:
            up = _scan_price(uniq, weights, loD, fD, costs[s])
            if up is None:
                ok = False
            else:
                uq_D = up[0]
                u0, uD = rho(s, q0), rho(s, uq_D)
                # floats only pick whom to check exactly: a margin far above rounding error
                thr0 = float(u0) * (1 + 1e-9) + 1e-300
                thrD = float(uD) * (1 + 1e-9) + 1e-300
                near = np.flatnonzero(alive & ((fl0 <= thr0) | (flD <= thrD)))
                for p in near.tolist():
                    if status[p] != 0 or p == s or not beaten(p, s, u0, uD):
                        continue
                    if fresh[p] != rnd:
                        if not refresh(p):
                            continue
                        heapq.heappush(heap, (rho(p, lb0[p]), ranks[p], version[p], p))
                        if not beaten(p, s, u0, uD):
                            continue
                    ok = False
                    break
        new_ids = np.zeros(len(uniq), dtype=np.int64)
        needed = n_cls + len(uniq)
        if needed > len(f0):
            f0 = np.resize(f0, max(needed, 2 * len(f0)))
            fD = np.resize(fD, max(needed, 2 * len(fD)))
        for j in range(len(uniq)):
            c = int(uniq[j])
            x0 = v0[c] - q0
            if ok:
                hi_far = hiD[c] - lq_D
                if hi_far < 0:
                    hi_far = Q(0)
                lo_far = loD[c] - uq_D if x0 > 0 else Q(0)
            else:
                hi_far = lo_far = Q(0)
            if x0 <= 0 and hi_far == 0:
                continue  # nothing left anywhere on the interval: class 0
            v0.append(x0 if x0 > 0 else Q(0))
            loD.append(lo_far)
            hiD.append(hi_far)
            f0[n_cls] = float(v0[-1])
            fD[n_cls] = float(lo_far)
            new_ids[j] = n_cls
            n_cls += 1
        _move(cls, sup[s], uniq, new_ids)
        status[s] = 1
        alive[s] = False
        order.append(s)
    if work is not None:
        work[0] += visits
    return order, ok


@dataclass
class Add1Result:
    run: MesRun | None  # the chosen outcome's run (None: nothing, e.g. the first step already overspent)
    share: Fraction
    steps_evaluated: int
    increments: int  # how many units were added to the share


def _ends(prof: MesProfile, budget: int, b0, last: bool, order: list[int], t: int,
          prev: tuple[list[int], int] | None, evaluated: int) -> Add1Result | None:
    """The add1 result when the outcome ``order`` at step ``t`` ends the completion, else None (go on).
    ``prev``: the outcome of the step before and that step (None at the first step)."""
    if not _stops(prof, budget, last, order):
        return None
    if sum(prof.costs[p] for p in order) > budget:
        if prev is None:
            return Add1Result(None, b0 + t, evaluated, t)
        return Add1Result(_as_run(prev[0]), b0 + prev[1], evaluated, prev[1])
    return Add1Result(_as_run(order), b0 + t, evaluated, t)


def _stops(prof: MesProfile, budget: int, last: bool, order: list[int]) -> bool:
    """Whether the outcome ``order`` ends the add1 completion: it overspends, or (``last=False``) no unfunded
    project fits in what is left, or (``last=True``) every supported project is funded."""
    costs = prof.costs
    spent = sum(costs[p] for p in order)
    if spent > budget:
        return True
    funded = set(order)
    if not last:
        return all(spent + costs[p] > budget for p in range(len(costs)) if p not in funded)
    return all(p in funded for p in range(len(costs)) if prof.support_totals[p])


def _disjoint(prof: MesProfile) -> bool:
    """No voter group supports two projects (as when every ballot approves one project)."""
    counts = np.bincount(np.concatenate(prof.sup_arrays), minlength=1) if prof.sup_arrays else np.zeros(1)
    return bool(counts.max() <= 1)


def _add1_disjoint(prof: MesProfile, budget: int, step: int, last: bool) -> Add1Result:
    """add1 when no voter group supports two projects (:func:`_disjoint`).

    Funding a project then changes no other project's supporters' budgets, so MES at share ``s`` funds exactly the
    supported projects whose supporters hold their cost (``supporters * s >= cost``), in increasing order of
    price per utility (ties by rank). The funded set only grows with the share and changes only at the steps where
    a project becomes affordable: only those steps are evaluated, all in exact arithmetic."""
    costs, ranks, totals = prof.costs, prof.ranks, prof.support_totals
    b0 = Q(budget, prof.n_voters)
    supported = [p for p in range(len(costs)) if totals[p]]
    from_step = {}
    for p in supported:
        need = Q(costs[p], totals[p]) - b0  # affordable from share b0 + need on
        units = -(-int(need.numerator) // int(need.denominator)) if need > 0 else 0
        from_step[p] = -(-units // step) * step
    rho = {p: Q(1, totals[p]) if prof.cost_utility else Q(costs[p], totals[p]) for p in supported}
    prev = None
    evaluated = 0
    events = sorted(set(from_step.values()) | {0})
    for t in events:
        order = sorted((p for p in supported if from_step[p] <= t), key=lambda p: (rho[p], ranks[p]))
        evaluated += 1
        if prev is not None:  # the outcome before t holds up to the step before t
            prev = (prev[0], t - step)
        done = _ends(prof, budget, b0, last, order, t, prev, evaluated)
        if done is not None:
            return done
        prev = (order, t)
    # every supported project is funded and some unsupported one would still fit: nothing changes any more
    return Add1Result(_as_run(prev[0]), b0 + prev[1], evaluated, prev[1])


def add1(prof: MesProfile, budget: int, step: int, *, last: bool = False) -> Add1Result:
    """Raise every voter's share by ``step`` units at a time from ``budget / voters`` (see the module docstring).

    ``last=False``: stop at the first exhaustive outcome, or keep the previous one when a step overspends.
    ``last=True``: keep raising while the outcome stays within the budget; keep the last such outcome.
    Steps whose outcome is certified equal to the current one (:func:`certify`) are not run.
    """
    n = prof.n_voters
    costs = prof.costs
    if n == 0:
        return Add1Result(None, Q(0), 0, 0)
    if _disjoint(prof):
        return _add1_disjoint(prof, budget, step, last)
    b0 = Q(budget, n)
    t = 0
    prev: tuple[list[int], int] | None = None
    evaluated = 0
    guess = step
    # past a share of the total cost of all projects, every supported project is funded whatever the share
    horizon = sum(costs)

    certifying = False  # interval checks (stable stretches) or float runs one step at a time (unstable ones)
    same = 0  # float steps in a row with an unchanged order
    last_order: list[int] | None = None
    spent_on = {True: [0.0, 0], False: [0.0, 0]}  # estimated cost (:func:`_cost`) and runs, of interval checks and
    # of float steps: from counts of the work done, not from timers, so that the same election takes the same path
    ahead: list = []  # float orders of the next steps, computed together (:func:`float_orders`)
    # batches of float steps grow four-fold, from FIRST_BATCH (fewer when they would hold more than FIRST_CELLS
    # budgets, at least BATCH_MIN) to ``batch_max`` (BATCH_MAX, up to four times that on tiny profiles, whose batches
    # cost mostly per call; the budgets they hold: BATCH_CELLS), but not much past the step at which spending, rising
    # as it did so far, would reach the budget
    batch_max = max(BATCH_MIN, min(max(BATCH_MAX, min(4 * BATCH_MAX, PROBE_CELLS * 2 // max(prof.n_groups, 1))),
                                   BATCH_CELLS // max(prof.n_groups, 1)))
    batch = max(BATCH_MIN, min(FIRST_BATCH, FIRST_CELLS // max(prof.n_groups, 1)))
    calls: list[tuple[int, float]] = []  # (shares, estimated cost) of each float batch
    float_cells = 0  # budgets visited by float batches
    # each batch run before any is known also runs a few steps far ahead (PROBES): the first of those whose outcome
    # ends the completion bounds the steps to run (the completion ends there or before), with its outcome
    bound: tuple[int, list[int]] | None = None
    going_on = 0  # the last probed step whose outcome does not end the completion
    first_spent: int | None = None
    overlap = None
    while True:
        if certifying:
            work = [0]
            order, ok = certify(prof, b0 + t, guess, work)
            spent_on[True][0] += _cost(exact=work[0])
            spent_on[True][1] += 1
        else:
            ok = False
            if not ahead and bound is not None and bound[0] == t:
                ahead = [bound[1]]
            if not ahead:
                size = batch
                if first_spent is not None and t and prev is not None:
                    rise = (sum(costs[p] for p in prev[0]) - first_spent) / t * step
                    if rise > 0:
                        size = max(BATCH_MIN, min(batch, 2 * (int((budget - first_spent) / rise) - t // step)))
                probes: list[int] = []
                if bound is None:
                    if (size + len(PROBES)) * prof.n_groups <= PROBE_CELLS:
                        probes = [t + size * step * m for m in PROBES]
                else:  # no step past the bound is needed; when it is near and the planned batch would stop short
                    # of a probed step that did not end the completion, the steps up to it all in one batch
                    remaining = (bound[0] - t) // step
                    if (remaining <= 4 * size and t + size * step <= going_on
                            and remaining * prof.n_groups <= 8 * PROBE_CELLS):
                        size = remaining
                    size = min(size, remaining, batch_max)
                if overlap is None:
                    overlap = overlaps(prof)
                work = [0, 0]
                ahead = float_orders(prof, [b0 + t + i * step for i in range(size)] + [b0 + u for u in probes],
                                     overlap, work)
                for u, probed in zip(probes, ahead[size:], strict=True):
                    if probed is not None:
                        if _stops(prof, budget, last, probed):
                            bound = (u, probed)
                            break
                        going_on = u
                del ahead[size:]
                calls.append((size + len(probes), _cost(cells=work[0], steps=work[1])))
                float_cells += work[0]
                spent_on[False][0] += calls[-1][1]
                spent_on[False][1] += size + len(probes)
                batch = min(4 * batch, batch_max)
            order = ahead.pop(0)
            if order is None:  # a comparison too close to call in floats: this step exactly
                order = run_mes_exact(prof, b0 + t).order
        evaluated += 1
        if first_spent is None:
            first_spent = sum(costs[p] for p in order)
        if order != last_order:  # (the same outcome as the step before, which did not end the completion)
            done = _ends(prof, budget, b0, last, order, t, prev, evaluated)
            if done is not None:
                return done
        if ok and guess >= horizon and b0 + t + guess >= horizon:
            return Add1Result(_as_run(order), b0 + t, evaluated, t)  # nothing can change any more
        # every run gives the outcome at t whether the check passes or not, so no run is wasted: on success jump
        # past the certified span and try twice as far; on failure move one step and try a quarter as far. An
        # interval check pays off only over more steps than the float runs it replaces would cost (``worth``,
        # from the estimated cost of each so far, at least CERTIFY_MIN): step with float runs until the order has
        # stayed the same for half that many steps. (Costs only pick which exact path to take.)
        (c_cost, c_runs), (f_cost, f_runs) = spent_on[True], spent_on[False]
        worth = CERTIFY_MIN
        if f_runs and f_cost > 0:
            if not c_runs:  # before any check, one taken to visit a class per budget that a float step visits
                c_cost, c_runs = _cost(exact=float_cells // f_runs), 1
            if c_runs:
                worth = max(CERTIFY_MIN, 2 * int(c_cost / c_runs / (f_cost / f_runs)))
        if ok:
            prev = (order[:], t + guess)  # the same outcome up to t + guess
            t += guess + step
            guess *= 2
        else:
            prev = (order, t)
            t += step
            if certifying:
                guess = guess // 4 // step * step
                if guess < worth * step:
                    certifying, same = False, 0
            else:
                same = same + 1 if order == last_order else 0
                if same >= worth // 2 and not ahead:  # (float orders already computed are used first)
                    certifying, guess, batch = True, worth * step, _natural_batch(calls, batch_max)
        last_order = order


CERTIFY_MIN = 32
# The cost model that picks between float batches and interval checks, and sizes batches: seconds per budget visited
# and per price, funding or round (a few dozen numpy calls each) of :func:`float_orders`, per budget class visited and
# per call of :func:`certify` (fitted on the shared pabulib files on the 2-core benchmark machine: within a factor of
# two of the CPU time measured). Counts, unlike timers, make the path taken, and so the time it takes, the same from
# one run to the next.
COST_CELL, COST_STEP, COST_VISIT, COST_CHECK = 9e-9, 5.2e-5, 2.2e-6, 9e-4


def _cost(*, cells: int = 0, steps: int = 0, exact: int | None = None) -> float:
    """Estimated seconds of a float batch (``cells`` budgets visited by ``steps`` prices, fundings and rounds) or of
    an interval check (``exact`` budget classes visited)."""
    if exact is not None:
        return COST_VISIT * exact + COST_CHECK
    return COST_CELL * cells + COST_STEP * steps
# steps probed ahead of a batch, in multiples of its size, while the batch and its probes hold at most PROBE_CELLS
# budgets (on large profiles a probe costs as much as a batch of small size)
PROBES, PROBE_CELLS = (2, 4, 8, 16), 1 << 15
# float steps computed together: first FIRST_BATCH while they hold at most FIRST_CELLS budgets (share x group: a
# batch costs mostly per call below that), never fewer than BATCH_MIN; then four times more at each batch, up to
# BATCH_MAX and BATCH_CELLS budgets
BATCH_MIN, BATCH_MAX, BATCH_CELLS = 8, 256, 1 << 21
FIRST_BATCH, FIRST_CELLS = 32, 40_000


def _natural_batch(calls: list[tuple[int, float]], batch_max: int) -> int:
    """The size from which a batch of float steps costs mostly per share rather than per call: a batch's estimated
    cost (:func:`_cost`) fitted as ``per_call + per_share * size`` over the batches run so far, size
    ``per_call / per_share`` (from BATCH_MIN to ``batch_max``, a power of two)."""
    sizes = np.array([k for k, _ in calls], dtype=float)
    if len(set(sizes.tolist())) < 2:
        return BATCH_MIN
    secs = np.array([s for _, s in calls])
    per_share = float(np.polyfit(sizes, secs, 1)[0])
    per_call = float(secs.mean() - per_share * sizes.mean())
    if per_share <= 0:
        return batch_max
    size = BATCH_MIN
    while size < batch_max and size < per_call / per_share:
        size *= 2
    return min(size, batch_max)


def _as_run(order: list[int]) -> MesRun:
    return MesRun(order, [], [], None)


def winners_of(prof: MesProfile, run: MesRun | None) -> list[str]:
    return [] if run is None else [prof.ids[p] for p in run.order]


def as_ids(prof: MesProfile, idx: Sequence[int]) -> list[str]:
    return [prof.ids[p] for p in idx]


# Relative margin below which a float comparison is not trusted. Every float quantity of a run (budgets, sums of
# budgets, prices) is a sum or difference of at most a few million rounded terms over at most a few hundred rounds,
# so its relative error stays below 1e-9 by far (2**-53 per operation); a comparison whose two sides differ by more
# than ``FLOAT_MARGIN`` of their size has the same result in exact arithmetic.
FLOAT_MARGIN = 1e-7


def float_order(prof: MesProfile, share) -> list[int] | None:
    """The MES order at ``share`` from a float run, or None when some decisive comparison is too close to call.

    The outcome of MES depends on the budgets only through two kinds of comparisons: which candidate has the
    smallest price per utility (ties broken by rank), and whether a project's supporters can still afford it;
    prices and remaining budgets are continuous in the budgets. So when every such comparison wins by more than
    :data:`FLOAT_MARGIN`, the float run selects exactly the projects, in the same order, as the exact run; when one
    does not (an exact tie between two projects, say), the caller runs MES exactly.
    """
    costs, ranks = prof.costs, prof.ranks
    m = len(costs)
    if any(c <= 0 for c in costs):
        return None
    cost_u = prof.cost_utility
    sup, sup_w = prof.sup_arrays, prof.sup_weights
    budget = np.full(prof.n_groups, float(share))
    tol = FLOAT_MARGIN
    fresh = [-1] * m
    price = [0.0] * m
    exact: list = [None] * m
    dead = np.zeros(prof.n_groups, dtype=bool)  # groups known to have exactly nothing left

    def refresh(p: int) -> bool | None:
        """Recompute p's price; False: decisively unaffordable; None: too close to call."""
        b = budget[sup[p]]
        w = sup_w[p]
        cost = costs[p]
        live = ~dead[sup[p]]
        wl = w[live]
        n_live = int(wl.sum())
        if n_live:
            q = cost / n_live
            if float(b[live].min()) > q * (1 + tol):  # everyone with money left pays the same: no sort needed
                price[p] = q / cost if cost_u else q
                # exactly cost / (supporters with money left); such prices often tie exactly (6000 / 24 and
                # 1500 / 6, or with cost utilities 1 / 29 and 1 / 29): kept exact to break those ties
                exact[p] = Q(1, n_live) if cost_u else Q(cost, n_live)
                return True
        exact[p] = None
        total = float(w @ b)
        if total < cost * (1 - tol):
            return False
        if total <= cost * (1 + tol):
            return None
        q = _float_price(b, w, cost)
        if q is None:
            return None
        price[p] = q / cost if cost_u else q
        return True

    heap = [(0.0, ranks[p], p) for p in range(m) if prof.support_totals[p]]
    heapq.heapify(heap)
    order: list[int] = []
    rnd = 0
    while True:
        rnd += 1
        chosen = -1
        while heap:
            key, rk, p = heap[0]
            if fresh[p] == rnd:
                chosen = p
                break
            heapq.heappop(heap)
            ok = refresh(p)
            if ok is None:
                return None
            if ok:
                fresh[p] = rnd
                heapq.heappush(heap, (price[p], rk, p))
        if chosen < 0:
            return order
        heapq.heappop(heap)
        s = chosen
        limit = price[s] * (1 + tol) + 1e-300
        # every other candidate must be decisively dearer (stale keys are lower bounds: refresh the close ones),
        # or the close ones must all have exact prices to compare
        close = [s]
        while heap and heap[0][0] <= limit:
            key, rk, p = heapq.heappop(heap)
            if fresh[p] != rnd:
                ok = refresh(p)
                if ok is None:
                    return None
                if not ok:
                    continue
                fresh[p] = rnd
                if price[p] > limit:
                    heapq.heappush(heap, (price[p], rk, p))
                    continue
            close.append(p)
        if len(close) > 1:
            if any(exact[p] is None for p in close):
                return None
            s = min(close, key=lambda p: (exact[p], ranks[p]))
            for p in close:
                if p != s:
                    heapq.heappush(heap, (price[p], ranks[p], p))
        q = price[s] * costs[s] if cost_u else price[s]
        g = sup[s]
        b = budget[g]
        gone = dead[g] | (b < q * (1 - tol))  # paid all they had: exactly nothing left
        dead[g] = gone
        budget[g] = np.where(gone, 0.0, np.maximum(b - q, 0.0))
        order.append(s)


def overlaps(prof: MesProfile) -> np.ndarray:
    """Project x project, True where the two projects have a supporting group in common."""
    member = np.zeros((prof.n_groups, len(prof.costs)), dtype=bool)
    for p, groups in enumerate(prof.sup_arrays):
        member[groups, p] = True
    return np.array([member[groups].any(axis=0) for groups in prof.sup_arrays]).reshape(len(prof.costs), -1)


def float_orders(prof: MesProfile, shares: Sequence, overlap: np.ndarray | None = None,
                 work: list | None = None) -> list[list[int] | None]:
    """:func:`float_order` at many shares at once: one float run per share, all run in lockstep (round by round,
    each share with its own budgets, prices and choices), so that each numpy call serves every share that needs
    the same project priced or funded. Each share's run takes exactly the decisions of :func:`float_order` (which
    stays the faster way to run one share).

    A group with exactly nothing left has the budget -1.0, so that one gather tells its budget and that it is
    gone. A price stays fresh until a project sharing supporters with it is funded (``overlap``: :func:`overlaps`,
    computed here when not given)."""
    costs, ranks = prof.costs, prof.ranks
    m, K, G = len(costs), len(shares), prof.n_groups
    if any(c <= 0 for c in costs):
        return [None] * K
    cost_u = prof.cost_utility
    sup, sup_w = prof.sup_arrays, prof.sup_weights
    tol = FLOAT_MARGIN
    fshares = np.array([float(s) for s in shares])
    budget = np.repeat(fshares[None, :], G, axis=0)  # group x share; -1.0: gone
    # per share and candidate (the projects ``cols``, dropped once no share has them as candidates any more):
    cols = np.array([p for p in range(m) if prof.support_totals[p]], dtype=np.int64)
    if overlap is None:
        overlap = overlaps(prof)
    weight = [float(t) for t in prof.support_totals]
    failed = np.zeros(K, dtype=bool)  # a comparison too close to call
    orders: list[list[int]] = [[] for _ in range(K)]
    # the first prices, all at once: every supporter has the share, so a project is unaffordable where its
    # supporters' shares fall decisively short of its cost, too close to call where they nearly match it, and else
    # its price is exactly cost / supporters (the share exceeds it by the margin), all paying the same
    col_w = np.array([weight[p] for p in cols])
    col_cost = np.array([float(costs[p]) for p in cols])
    held = fshares[:, None] * col_w[None, :]
    unaffordable = held < col_cost * (1 - tol)
    failed |= (~unaffordable & (held <= col_cost * (1 + tol))).any(axis=1)
    key = np.repeat((1.0 / col_w if cost_u else col_cost / col_w)[None, :], K, axis=0)  # price lower bounds (the
    key[unaffordable] = np.inf  # price itself where not ``stale``); inf: not a candidate
    stale = np.zeros((K, len(cols)), dtype=bool)  # some supporter's budget changed since the price was computed
    n_live = np.repeat(col_w.astype(np.int64)[None, :], K, axis=0)  # >0: the price is exactly cost / n_live

    def refresh(rows: np.ndarray, j: int) -> None:
        """Recompute the price of candidate ``j`` (project p) at ``rows``: dropped where decisively unaffordable,
        the row failed where too close.

        The price q solves sum(w * min(b, q)) = cost: from q = cost / (weight with money left), repeatedly
        q = (cost - what those under q have) / (weight of the others), which only rises and stops at the price
        once no budget lies between two successive values (no sort)."""
        p = int(cols[j])
        g, w, cost, W = sup[p], sup_w[p], costs[p], weight[p]
        count[0] += len(g) * len(rows)
        count[1] += 1
        if len(rows) == K:
            b = budget.take(g, axis=0)
            stale[:, j] = False
        else:
            b = budget.take(g, axis=0).take(rows, axis=1)
            stale[rows, j] = False
        out = -(w @ np.minimum(b, 0.0))  # weight of the supporters with exactly nothing left (-1.0 each)
        total = w @ b + out  # (each of them counts -1.0 in w @ b)
        if total.min() <= cost * (1 + tol):
            bad = total <= cost * (1 + tol)
            unaffordable = total < cost * (1 - tol)
            close = bad & ~unaffordable
            key[rows[unaffordable], j] = np.inf
            failed[rows[close]] = True
            ok = ~bad
            rows, b, out = rows[ok], b[:, ok], out[ok]
            if not len(rows):
                return
        n = W - out
        q = cost / n
        # the stale key is a lower bound of the new price too (budgets only fall): the first set starts there
        lb = key[rows, j] * cost if cost_u else key[rows, j]
        # ``under``: 1.0 where a budget is under the price so far (floats: a matrix product needs no cast then)
        under = np.less_equal(b, np.maximum(q, lb) * (1 + tol), out=np.empty(b.shape))
        w_under = w @ under
        fast = w_under == out  # everyone with money left pays the same (and more than the lower bound)
        n_fast = np.count_nonzero(fast)
        if n_fast:  # such prices often tie exactly: kept exact (n_live) to break those ties
            key[rows[fast], j] = 1.0 / n[fast] if cost_u else q[fast]
            n_live[rows[fast], j] = n[fast]
            if n_fast == len(rows):
                return
            slow = ~fast
            rows, b, out, under, w_under = rows[slow], b[:, slow], out[slow], under[:, slow], w_under[slow]
        n_live[rows, j] = 0
        # the first set (budgets up to q (1 + tol)) may hold a few budgets above the price: still a lower bound;
        # the rows that have converged keep their price through the further passes (the same set again)
        while True:
            rest = W - w_under
            if rest.min() <= 0:  # cannot happen for an affordable project; declined if rounding says otherwise
                failed[rows] = True
                return
            q = (cost - w @ np.multiply(b, under, out=under) - out) / rest
            np.less(b, q, out=under)
            below, w_under = w_under, w @ under
            if (w_under == below).all():
                key[rows, j] = q / cost if cost_u else q
                return

    def refresh_pairs(rows: np.ndarray, candidates: np.ndarray) -> None:
        """Refresh each candidate where asked, and with it wherever else it is a stale candidate (soon asked)."""
        going = act[~failed[act]]
        for j in set(candidates.tolist()):
            at = going[stale[going, j] & np.isfinite(key[going, j])]
            refresh(at if len(at) else rows[candidates == j], j)

    act = np.arange(K)
    count = [0, 0]  # budgets visited, and prices, fundings and rounds (the work, for :func:`_cost`)
    rnd = 0
    while True:
        rnd += 1
        count[1] += 1
        if rnd % 4 == 0:
            alive = np.isfinite(key[act]).any(axis=0)
            if alive.sum() < 0.8 * len(cols):
                cols, key, n_live, stale = cols[alive], key[:, alive], n_live[:, alive], stale[:, alive]
        if not len(cols):
            break
        a = key[act].argmin(axis=1)
        todo = (stale[act, a] & np.isfinite(key[act, a])).nonzero()[0]
        while len(todo):  # each row's cheapest candidate, refreshing stale lower bounds until the cheapest is fresh
            at = act[todo]
            refresh_pairs(at, a[todo])
            a[todo] = key[at].argmin(axis=1)
            todo = todo[stale[at, a[todo]] & np.isfinite(key[at, a[todo]]) & ~failed[at]]
        kv = key[act, a]
        going = np.isfinite(kv) & ~failed[act]  # rows with no candidate left are finished
        if not going.all():
            act, a, kv = act[going], a[going], kv[going]
        if not len(act):
            break
        # every other candidate must be decisively dearer (stale keys are lower bounds: refresh the close ones),
        # or the close ones must all have exact prices to compare
        limit = kv * (1 + tol) + 1e-300
        close = key[act] <= limit[:, None]
        r, c = np.nonzero(close & stale[act])
        if len(r):
            refresh_pairs(act[r], c)
            close = key[act] <= limit[:, None]
        chosen = a.copy()
        for i in (close.sum(axis=1) > 1).nonzero()[0].tolist():
            row = int(act[i])
            near = close[i].nonzero()[0].tolist()
            if failed[row] or any(n_live[row, j] == 0 for j in near):
                failed[row] = True
                continue
            chosen[i] = min(near, key=lambda j: (Q(1 if cost_u else costs[cols[j]], int(n_live[row, j])),
                                                 ranks[cols[j]]))
        keep = ~failed[act]
        act, chosen = act[keep], chosen[keep]
        for j in set(chosen.tolist()):
            rows = act[chosen == j]
            s = int(cols[j])
            count[0] += len(sup[s]) * len(rows)
            count[1] += 1
            q = key[rows, j] * costs[s] if cost_u else key[rows, j]
            g = sup[s]
            if 8 * len(rows) >= K:  # every share, paying 0.0 where s is not funded (which changes nothing)
                q, q_at = np.zeros(K), q
                q[rows] = q_at
            b = budget.take(g, axis=0) if len(q) == K else budget.take(g, axis=0).take(rows, axis=1)
            after = b - q
            np.maximum(after, 0.0, out=after)
            np.putmask(after, b < q * (1 - tol), -1.0)  # paid all they had: nothing left (and those gone already)
            if len(q) == K:
                budget[g] = after
            else:
                budget.put((g[:, None] * K + rows).ravel(), after)
            key[rows, j] = np.inf
            touched = overlap[s, cols]
            if len(rows) == K:
                stale[:, touched] = True
            else:
                at = np.zeros(K, dtype=bool)
                at[rows] = True
                stale |= at[:, None] & touched
            for row in rows.tolist():
                orders[row].append(s)
    if work is not None:
        work[0] += count[0]
        work[1] += count[1]
    return [None if failed[k] else orders[k] for k in range(K)]
