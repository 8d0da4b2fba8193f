"""The registry of rules: ``run(name, election, tie_breaking=...)`` returns an :class:`Outcome`."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from . import mes as _mes
from .greedy import greedy_pass, per_cost_scores
from .model import Election, Outcome, ProjectResult, TallyError
from .tiebreak import TieBreaking, resolve

Rule = Callable[[Election, TieBreaking], Outcome]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return register


def rule_names() -> list[str]:
    return sorted(RULES)


def run(rule_name: str, election: Election, tie_breaking: str | TieBreaking | None = None) -> Outcome:
    """Run the rule called ``rule_name`` (a key of :data:`RULES`) on ``election``."""
    try:
        fn = RULES[rule_name]
    except KeyError:
        raise TallyError("unknown-rule", f"unknown rule {rule_name!r}", rule=rule_name)
    return fn(election, resolve(tie_breaking))


def _outcome(
    name: str,
    election: Election,
    tie: TieBreaking,
    order: list[str],
    results: dict[str, ProjectResult],
    info: dict | None = None,
) -> Outcome:
    return Outcome(
        rule=name,
        tie_breaking=tie.name,
        winners=tuple(sorted(order)),
        spent=election.cost_of(order),
        budget=election.budget,
        results={p.id: results[p.id] for p in election.projects},
        rounds=tuple(order),
        info=info or {},
    )


# --- greedy family -------------------------------------------------------------------------------------------


def _greedy(name: str, election: Election, tie: TieBreaking, scores, **kw) -> Outcome:
    votes = election.approval_counts()
    order, results = greedy_pass(election, scores if scores is not None else votes, tie, votes=votes, **kw)
    return _outcome(name, election, tie, order, results)


@rule("greedy")
def greedy(election: Election, tie: TieBreaking) -> Outcome:
    """Projects by number of approvals, skipping those that no longer fit."""
    return _greedy("greedy", election, tie, None)


@rule("greedy-per-cost")
def greedy_per_cost(election: Election, tie: TieBreaking) -> Outcome:
    """Projects by approvals per unit of cost, skipping those that no longer fit."""
    return _greedy("greedy-per-cost", election, tie, per_cost_scores(election, election.approval_counts()))


@rule("greedy-points")
def greedy_points(election: Election, tie: TieBreaking) -> Outcome:
    """Projects by total points (ordinal: max_length - i for the i-th choice), skipping those that no longer fit."""
    return _greedy("greedy-points", election, tie, election.point_totals())


def _threshold(election: Election) -> int | None:
    raw = election.meta.get("min_project_score_threshold", "").strip()
    if not raw:
        return None
    return int(Fraction(raw))


@rule("city")
def city(election: Election, tie: TieBreaking) -> Outcome:
    """The rule the file's META names, as cities ran it."""
    meta_rule = election.meta.get("rule", "unknown").strip()
    by_points = election.vote_type in ("cumulative", "ordinal")
    scores = election.point_totals() if by_points else None
    if meta_rule == "greedy":
        return _greedy("city", election, tie, scores)
    if meta_rule == "greedy-threshold":
        return _greedy("city", election, tie, scores, threshold=_threshold(election) or 0)
    if meta_rule == "greedy-no-skip":
        return _greedy("city", election, tie, scores, threshold=_threshold(election), no_skip=True)
    if meta_rule == "equalshares/add1":
        outcome = _mes_rule("mes-cost+add1", election, tie)
        return Outcome(**{**outcome.__dict__, "rule": "city"})
    raise TallyError(
        "cannot-reproduce",
        f"cannot reproduce the city's rule {meta_rule!r}: its META rule is unknown or custom",
        meta_rule=meta_rule,
    )


# --- majority judgment -----------------------------------------------------------------------------------------


def _grades(election: Election) -> dict[str, list[int]]:
    """Per project, every voter's grade (ungraded = 0); approval ballots grade 1 (approved) or 0."""
    ids = [p.id for p in election.projects]
    grades: dict[str, list[int]] = {pid: [] for pid in ids}
    for ballot in election.ballots:
        given = ballot.scores(election.max_length) if hasattr(ballot, "scores") else dict.fromkeys(ballot.approved(), 1)
        for pid in ids:
            grades[pid].append(given.get(pid, 0))
    return grades


@rule("majority-judgment")
def majority_judgment(election: Election, tie: TieBreaking) -> Outcome:
    """Projects by majority grade (lower median), ties by the majority gauge, then within budget as greedy."""
    n = len(election.ballots)
    keys: dict[str, tuple] = {}
    extra: dict[str, dict] = {}
    for pid, gs in _grades(election).items():
        gs.sort()
        if n == 0:
            keys[pid] = (0, 0, Fraction(0))
            extra[pid] = {"majority_grade": 0, "above": Fraction(0), "below": Fraction(0)}
            continue
        grade = gs[(n - 1) // 2]
        above = Fraction(sum(1 for g in gs if g > grade), n)
        below = Fraction(sum(1 for g in gs if g < grade), n)
        keys[pid] = (grade, 1, above) if above > below else (grade, 0, -below)
        extra[pid] = {"majority_grade": grade, "above": above, "below": below}
    ordered = sorted(keys, key=lambda pid: keys[pid], reverse=True)
    # greedy_pass wants one comparable score per project: its position in the majority order (ties kept equal)
    score: dict[str, int] = {}
    position = len(ordered)
    for i, pid in enumerate(ordered):
        if i and keys[pid] != keys[ordered[i - 1]]:
            position = len(ordered) - i
        score[pid] = position
    outcome = _greedy("majority-judgment", election, tie, score)
    results = {
        pid: ProjectResult(r.project_id, r.funded, r.kind, {**r.data, **extra[pid]})
        for pid, r in outcome.results.items()
    }
    return Outcome(**{**outcome.__dict__, "results": results})


# --- Method of Equal Shares ------------------------------------------------------------------------------------


def _mes_results(
    prof: _mes.MesProfile, run: _mes.MesRun, election: Election, stage_info: dict | None = None
) -> dict[str, ProjectResult]:
    fr = _mes.to_fraction
    results: dict[str, ProjectResult] = {}
    n_support = prof.support_totals
    for rnd, (p, price, pays) in enumerate(zip(run.order, run.prices, run.payments, strict=True), start=1):
        results[prof.ids[p]] = ProjectResult(
            prof.ids[p],
            True,
            "mes-funded",
            {"round": rnd, "cost": prof.costs[p], "price": fr(price),
             "payments": ((fr(pays[0][0]), pays[0][1]),) if pays[0][1] else (),
             "paid_all_they_had": {"voters": pays[1][0], "total": fr(pays[1][1])},
             "supporters": n_support[p], **(stage_info or {})},
        )
    for p, have in (run.final_money or {}).items():
        results[prof.ids[p]] = ProjectResult(
            prof.ids[p],
            False,
            "mes-not-funded",
            {"cost": prof.costs[p], "needed": prof.costs[p], "supporters": n_support[p], "supporters_money": fr(have),
             "max_cost": None, **(stage_info or {})},
        )
    return results


def _mes_rule(name: str, election: Election, tie: TieBreaking) -> Outcome:
    base, *parts = name.split("+")
    cost_utility = base == "mes-cost"
    ranks = tie.ranks(p.id for p in election.projects)
    prof = _mes.MesProfile.build(election, ranks, cost_utility)
    info: dict = {}
    if "add1" in parts or "add1-last" in parts:
        res = _mes.add1(prof, election.budget, election.scale, last="add1-last" in parts)
        share = res.share
        info = {"voter_share": _mes.to_fraction(share), "increments": res.increments // election.scale,
                "runs": res.steps_evaluated}
        if res.run is None:
            run = _mes.MesRun([], [], [], None)
            share = None
        else:
            run = _mes.run_mes(prof, share, details=True, order=res.run.order)  # (add1's order is exact)
    else:
        share = Fraction(election.budget, prof.n_voters) if prof.n_voters else Fraction(0)
        info = {"voter_share": share}
        run = _mes.run_mes(prof, share, details=True)
    order = _mes.winners_of(prof, run)
    results = _mes_results(prof, run, election)
    if run.final_money is None:  # no run at all
        for p in election.projects:
            results[p.id] = ProjectResult(p.id, False, "mes-not-funded",
                                          {"cost": p.cost, "needed": p.cost, "supporters": 0,
                                           "supporters_money": Fraction(0), "max_cost": None})
    if "greedy" in parts:
        votes = election.approval_counts()
        extra, g_results = greedy_pass(election, votes, tie, votes=votes, already=order, stage="completion")
        for pid, r in g_results.items():
            if r.funded:
                results[pid] = r
            else:
                base_r = results[pid]
                results[pid] = ProjectResult(pid, False, base_r.kind, {**base_r.data, "completion": dict(r.data)})
        order = order + extra
    return _outcome(name, election, tie, order, results, info)


def _register_mes() -> None:
    for base in ("mes", "mes-cost"):
        for suffix in ("", "+greedy", "+add1", "+add1+greedy", "+add1-last"):
            name = base + suffix
            RULES[name] = lambda election, tie, _name=name: _mes_rule(_name, election, tie)


_register_mes()
