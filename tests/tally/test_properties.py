"""Invariants on random small elections (hypothesis)."""

import random
import time
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.tally import ApprovalBallot, Election, Project, pabulib, run
from app.tally import mes as mes_module
from app.tally.tiebreak import SMALLEST_ID

from .conftest import SHARED

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def elections(draw, max_projects=6, max_voters=8, max_cost=30):
    m = draw(st.integers(1, max_projects))
    ids = [str(i) for i in range(m)]
    costs = draw(st.lists(st.integers(1, max_cost), min_size=m, max_size=m))
    budget = draw(st.integers(1, max_cost * 2))
    ballots = draw(st.lists(st.frozensets(st.sampled_from(ids)), min_size=1, max_size=max_voters))
    return Election(tuple(Project(i, c) for i, c in zip(ids, costs, strict=True)), budget,
                    tuple(ApprovalBallot(b) for b in ballots))


RULES = ("greedy", "greedy-per-cost", "mes", "mes-cost", "mes+greedy", "mes-cost+greedy", "mes+add1",
         "mes-cost+add1", "mes+add1+greedy", "mes-cost+add1-last", "majority-judgment")


@SETTINGS
@given(elections())
def test_spending_never_exceeds_the_budget(e):
    for rule in RULES:
        out = run(rule, e)
        assert out.spent == e.cost_of(out.winners) <= e.budget, rule


@SETTINGS
@given(elections())
def test_greedy_cannot_take_another_affordable_project(e):
    for rule in ("greedy", "greedy-per-cost", "mes+greedy", "mes-cost+add1+greedy"):
        out = run(rule, e)
        left = e.budget - out.spent
        assert all(p.cost > left for p in e.projects if p.id not in out.winners), rule


@SETTINGS
@given(elections())
def test_plain_mes_is_paid_in_full_by_supporters_within_their_shares(e):
    for rule in ("mes", "mes-cost"):
        out = run(rule, e)
        share = Fraction(e.budget, len(e.ballots))
        left = [share] * len(e.ballots)
        for pid in out.rounds:
            price = out.results[pid].data["price"]
            paid = Fraction(0)
            for i, b in enumerate(e.ballots):
                if pid in b.projects:
                    pay = min(left[i], price)
                    left[i] -= pay
                    paid += pay
            assert paid == e.project_map[pid].cost, (rule, pid)
            data = out.results[pid].data
            assert sum(a * n for a, n in data["payments"]) + data["paid_all_they_had"]["total"] == paid
        assert all(x >= 0 for x in left)
        for pid, r in out.results.items():  # what the supporters of a left-out project still had
            if not r.funded:
                assert r.data["supporters_money"] == sum(
                    (left[i] for i, b in enumerate(e.ballots) if pid in b.projects), Fraction(0))
        for r in out.results.values():  # nobody funds a project they did not approve
            if r.funded:
                assert r.data["supporters"] > 0


@SETTINGS
@given(elections(), st.randoms(use_true_random=False))
def test_ballot_order_does_not_matter(e, rnd):
    shuffled = list(e.ballots)
    rnd.shuffle(shuffled)
    other = Election(e.projects, e.budget, tuple(shuffled))
    for rule in RULES:
        assert run(rule, e).winners == run(rule, other).winners, rule


def stepwise_add1(e, cost_utility, last):
    """add1 exactly as defined: run MES at every share b0, b0 + 1, ..."""
    return stepwise_add1_steps(e, cost_utility, last)[0]


def stepwise_add1_steps(e, cost_utility, last):
    """:func:`stepwise_add1`'s winners, the units it added to the share, and whether it stopped only because
    nothing could change any more."""
    prof = mes_module.MesProfile.build(e, SMALLEST_ID.ranks(p.id for p in e.projects), cost_utility)
    b0 = Fraction(e.budget, len(e.ballots))
    costs = {p.id: p.cost for p in e.projects}
    supported = {pid for b in e.ballots for pid in b.projects}
    prev = None
    for t in range(10_000):
        winners = set(mes_module.winners_of(prof, mes_module.run_mes_exact(prof, b0 + t)))
        spent = sum(costs[p] for p in winners)
        if spent > e.budget:
            return (prev, t - 1, False) if prev is not None else (set(), t, False)
        if not last and all(spent + c > e.budget for p, c in costs.items() if p not in winners):
            return winners, t, False
        if last and supported <= winners:
            return winners, t, False
        if b0 + t >= sum(costs.values()):  # every supported project is funded from here on: nothing changes
            return winners, t, True
        prev = winners
    raise AssertionError("did not stop")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(max_projects=7, max_voters=9, max_cost=60), st.booleans(), st.booleans())
def test_add1_jumps_give_the_stepwise_outcome(e, cost_utility, last):
    name = ("mes-cost" if cost_utility else "mes") + ("+add1-last" if last else "+add1")
    assert set(run(name, e).winners) == stepwise_add1(e, cost_utility, last)


@st.composite
def one_project_ballots(draw):
    """Elections where every ballot approves at most one project (no voter supports two projects)."""
    m = draw(st.integers(1, 8))
    ids = [str(i) for i in range(m)]
    costs = draw(st.lists(st.integers(1, 60), min_size=m, max_size=m))
    ballots = draw(st.lists(st.one_of(st.just(frozenset()), st.sampled_from(ids).map(lambda p: frozenset({p}))),
                            min_size=1, max_size=14))
    # a whole share half the time, so that supporters often hold a project's cost exactly at some step
    budget = draw(st.integers(1, 10)) * len(ballots) if draw(st.booleans()) else draw(st.integers(1, 120))
    return Election(tuple(Project(i, c) for i, c in zip(ids, costs, strict=True)), budget,
                    tuple(ApprovalBallot(b) for b in ballots))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_project_ballots(), st.booleans(), st.booleans())
def test_add1_without_shared_supporters_gives_the_stepwise_outcome(e, cost_utility, last):
    """The closed form used when no voter supports two projects (funded = supporters * share >= cost)."""
    prof = mes_module.MesProfile.build(e, SMALLEST_ID.ranks(p.id for p in e.projects), cost_utility)
    assert mes_module._disjoint(prof)
    winners, increments, by_horizon = stepwise_add1_steps(e, cost_utility, last)
    res = mes_module.add1(prof, e.budget, e.scale, last=last)
    assert set(mes_module.winners_of(prof, res.run)) == winners
    if not by_horizon:
        assert res.increments == increments
    if res.run is not None:
        assert res.run.order == mes_module.run_mes_exact(prof, res.share).order


def test_add1_without_shared_supporters_funds_a_project_at_the_step_its_supporters_hold_its_cost():
    # share 5 + t: b (one voter, cost 9) is affordable from t = 4 exactly, where the outcome {a, b} is exhaustive;
    # at t = 5, c would join and overspend
    e = Election((Project("a", 6), Project("b", 9), Project("c", 10)), 20,
                 tuple(ApprovalBallot(frozenset(p)) for p in ("a", "a", "b", "c")))
    for name in ("mes+add1", "mes-cost+add1"):
        assert set(run(name, e).winners) == {"a", "b"} == stepwise_add1(e, name == "mes-cost+add1", False)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(elections(max_projects=7, max_voters=9, max_cost=60),
                 elections(max_projects=7, max_voters=9, max_cost=600)),  # completions of hundreds of steps
       st.booleans(), st.booleans())
def test_add1_stops_at_the_stepwise_share(e, cost_utility, last):
    """The step add1 stops at (the share it reports) is the stepwise one, however many steps it skipped or ran ahead
    of time (batches of float runs, probes far ahead, certified intervals)."""
    winners, increments, by_horizon = stepwise_add1_steps(e, cost_utility, last)
    prof = mes_module.MesProfile.build(e, SMALLEST_ID.ranks(p.id for p in e.projects), cost_utility)
    res = mes_module.add1(prof, e.budget, e.scale, last=last)
    assert set(mes_module.winners_of(prof, res.run)) == winners
    if not by_horizon:
        assert res.increments == increments
    if res.run is not None:  # the order the rule then prices exactly is the exact MES order at that share
        assert res.run.order == mes_module.run_mes_exact(prof, res.share).order


MTURK = SHARED / "Worldwide_Mechanical_Turk_k_approval_7.pb"


@pytest.mark.skipif(not MTURK.exists(), reason="shared/pabulib is not beside the repository")
def test_add1_takes_the_same_path_every_run_without_reading_a_clock(monkeypatch):
    """Which steps add1 runs as float batches (and how many at once) and which as interval checks follows from
    counts of the work done so far, never from timers: two runs make the same calls, and no clock is read. (On this
    file, 4,393 steps, it does both.)"""
    e = pabulib.read(MTURK).election
    prof = mes_module.MesProfile.build(e, SMALLEST_ID.ranks(p.id for p in e.projects), True)
    calls: list = []
    float_orders, certify = mes_module.float_orders, mes_module.certify

    def no_clock(*args):
        raise AssertionError("add1 read a clock")

    monkeypatch.setattr(mes_module, "float_orders",
                        lambda prof, shares, *a: calls.append(("float", len(shares))) or float_orders(prof, shares, *a))
    monkeypatch.setattr(mes_module, "certify",
                        lambda prof, share, span, *a: calls.append(("check", span)) or certify(prof, share, span, *a))
    runs = []
    for _ in range(2):
        calls.clear()
        with monkeypatch.context() as m:
            for clock in ("process_time", "perf_counter", "monotonic", "time", "thread_time"):
                m.setattr(time, clock, no_clock)
            res = mes_module.add1(prof, e.budget, e.scale)
        runs.append((list(calls), res.increments, res.steps_evaluated))
    assert runs[0] == runs[1]
    assert {kind for kind, _ in runs[0][0]} == {"float", "check"}


def test_add1_on_a_larger_random_election_matches_stepping():
    rng = random.Random(7)
    ids = [str(i) for i in range(12)]
    projects = tuple(Project(i, rng.randint(50, 400)) for i in ids)
    ballots = tuple(ApprovalBallot(frozenset(rng.sample(ids, rng.randint(1, 4)))) for _ in range(40))
    e = Election(projects, 1000, ballots)
    for cost_utility in (False, True):
        name = "mes-cost+add1" if cost_utility else "mes+add1"
        assert set(run(name, e).winners) == stepwise_add1(e, cost_utility, False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(max_projects=7, max_voters=12, max_cost=60), st.booleans(), st.integers(0, 40))
def test_float_run_is_the_exact_run_or_declines(e, cost_utility, extra):
    """The float MES run that plain MES takes its order from gives the exact run's order, or None (too close)."""
    prof = mes_module.MesProfile.build(e, SMALLEST_ID.ranks(p.id for p in e.projects), cost_utility)
    share = Fraction(e.budget, len(e.ballots)) + extra
    got = mes_module.float_order(prof, share)
    if got is not None:
        assert got == mes_module.run_mes_exact(prof, share).order


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(max_projects=7, max_voters=12, max_cost=60), st.booleans(),
       st.lists(st.integers(0, 40), min_size=1, max_size=6))
def test_float_runs_are_the_exact_runs_or_decline(e, cost_utility, extras):
    """The float MES runs that add1 steps with (several shares run together) give each share's exact order, or
    None for a share where a comparison is too close to call."""
    prof = mes_module.MesProfile.build(e, SMALLEST_ID.ranks(p.id for p in e.projects), cost_utility)
    shares = [Fraction(e.budget, len(e.ballots)) + extra for extra in extras]
    for share, got in zip(shares, mes_module.float_orders(prof, shares), strict=True):
        if got is not None:
            assert got == mes_module.run_mes_exact(prof, share).order


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(max_projects=7, max_voters=12, max_cost=60), st.booleans(), st.integers(0, 40))
def test_float_guided_run_gives_the_exact_prices_payments_and_money_left(e, cost_utility, extra):
    """``run_mes`` (order from floats, prices computed exactly along it) equals the exact run in every detail."""
    prof = mes_module.MesProfile.build(e, SMALLEST_ID.ranks(p.id for p in e.projects), cost_utility)
    share = Fraction(e.budget, len(e.ballots)) + extra
    got = mes_module.run_mes(prof, share, details=True)
    want = mes_module.run_mes_exact(prof, share, details=True)
    assert (got.order, got.prices, got.payments, got.final_money) == (
        want.order, want.prices, want.payments, want.final_money)


def test_float_run_breaks_exact_ties_by_rank():
    """Prices that tie exactly (300 / 3, 600 / 6 and 100 / 1 per voter; 1 / 6 per unit of cost for b and e) are
    compared exactly and go to the smallest id, where the float run would otherwise give up."""
    def voters(n, pid):
        return [ApprovalBallot(frozenset({pid}))] * n

    ballots = voters(3, "a") + voters(6, "b") + voters(1, "c") + voters(6, "e")
    e = Election((Project("a", 300), Project("b", 600), Project("c", 100), Project("e", 1200)), 16 * 210,
                 tuple(ballots))
    for cost_utility, first in ((False, "a"), (True, "b")):
        prof = mes_module.MesProfile.build(e, SMALLEST_ID.ranks(p.id for p in e.projects), cost_utility)
        order = mes_module.float_order(prof, Fraction(210))
        assert order is not None
        assert order == mes_module.run_mes_exact(prof, Fraction(210)).order
        assert mes_module.as_ids(prof, order)[0] == first


def test_float_guided_run_handles_voters_left_with_exactly_nothing():
    """Share 20: Y pays 8 for d, then X1, X2 and Y pay 12 each for a (36), Y's last 12 exactly (a split that floats
    cannot call, decided exactly). Y then has nothing: W1, W2 and W3 pay e (50) without Y counted among those who
    paid all they had, and b (30, approved by X1 and Y) is unaffordable with exactly X1's 8 left."""
    x1, x2, y, w = frozenset({"a", "b"}), frozenset({"a"}), frozenset({"a", "b", "d", "e"}), frozenset({"e"})
    e = Election((Project("a", 36), Project("b", 30), Project("d", 8), Project("e", 50)), 120,
                 tuple(ApprovalBallot(b) for b in (x1, x2, y, w, w, w)))
    prof = mes_module.MesProfile.build(e, SMALLEST_ID.ranks(p.id for p in e.projects), False)
    share = Fraction(20)
    order = mes_module.float_order(prof, share)
    assert mes_module.as_ids(prof, order) == ["d", "a", "e"]
    got = mes_module._exact_prices(prof, share, order, True)
    assert got is not None
    assert got.prices == [8, 12, Fraction(50, 3)]
    assert got.payments[2] == ((Fraction(50, 3), 3), (0, 0))
    assert got.final_money == {prof.ids.index("b"): 8}
    want = mes_module.run_mes_exact(prof, share, details=True)
    assert (got.order, got.prices, got.payments, got.final_money) == (
        want.order, want.prices, want.payments, want.final_money)
