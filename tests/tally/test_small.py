"""Small elections worked out by hand: greedy, MES, completions, ties, odd cases, explanations."""

from fractions import Fraction

import pytest

from app.tally import (
    ApprovalBallot,
    CumulativeBallot,
    Election,
    GradeBallot,
    OrdinalBallot,
    Project,
    TallyError,
    run,
)
from app.tally.explain import max_funded_cost, with_max_costs


def approval(projects, budget, *ballots, **kw):
    return Election(
        tuple(Project(pid, cost) for pid, cost in projects),
        budget,
        tuple(ApprovalBallot(frozenset(b)) for b in ballots),
        **kw,
    )


# A 20, B 10, C 10; share 10 each: v1 {A,B}, v2 {A,C}, v3 {B}
THREE = approval([("A", 20), ("B", 10), ("C", 10)], 30, "AB", "AC", "B")


def test_greedy_skips_what_no_longer_fits_and_explains_it():
    e = approval([("A", 5), ("B", 4), ("C", 2)], 7, "ABC", "AB", "AC")
    out = run("greedy", e)
    assert out.winners == ("A", "C")
    assert out.spent == 7
    b = out.results["B"]
    assert (b.funded, b.kind) == (False, "greedy-skipped")
    assert b.data == {"rank": 2, "score": 2, "votes": 2, "cost": 4, "money_left": 2}
    assert out.results["C"].data["money_left"] == 2 and out.results["C"].funded


def test_ties_go_to_the_smallest_id_as_a_string_unless_told_otherwise():
    e = approval([("9", 5), ("10", 5)], 5, ["9"], ["10"])
    assert run("greedy", e).winners == ("10",)
    assert run("greedy", e, tie_breaking="largest-id").winners == ("9",)


def test_a_project_costing_more_than_the_budget_is_never_funded():
    e = approval([("big", 11), ("small", 3)], 10, ["big"], ["big"], ["big", "small"])
    for rule in ("greedy", "greedy-per-cost", "mes", "mes+add1", "mes-cost+add1+greedy", "mes+add1-last"):
        assert run(rule, e).winners == ("small",), rule


def test_nobody_approves_a_project_so_mes_never_pays_for_it():
    e = approval([("loved", 4), ("unloved", 1)], 10, ["loved"], ["loved"])
    out = run("mes", e)
    assert out.winners == ("loved",)
    r = out.results["unloved"]
    assert r.kind == "mes-not-funded" and r.data["supporters"] == 0 and r.data["supporters_money"] == 0
    assert max_funded_cost("mes", e, "unloved").max_cost is None
    assert run("greedy", e).results["unloved"].data["rank"] == 2  # last in the order, after every voted project


def test_empty_ballots_count_in_the_equal_shares():
    # two voters share 10: the one who approves A has 5, not enough for A at 6, until add1 raises the shares
    e = approval([("A", 6)], 10, ["A"], [])
    assert run("mes", e).winners == ()
    assert run("mes", e).results["A"].data["supporters_money"] == 5
    out = run("mes+add1", e)
    assert out.winners == ("A",)
    assert out.info["voter_share"] == 6
    assert run("mes+greedy", e).winners == ("A",)


def test_mes_approval_utility_by_hand():
    out = run("mes", THREE)
    assert out.winners == ("B", "C") and out.rounds == ("B", "C")
    b, c, a = out.results["B"], out.results["C"], out.results["A"]
    assert (b.data["round"], b.data["price"], b.data["payments"]) == (1, 5, ((5, 2),))
    assert (c.data["round"], c.data["price"], c.data["payments"]) == (2, 10, ((10, 1),))
    assert a.data["supporters_money"] == 5 and a.data["needed"] == 20
    # A would have been funded at 15 (after B: v1 pays 5, v2 pays 10; tie with C broken by id) but not at 16
    found = max_funded_cost("mes", THREE, "A")
    assert (found.max_cost, found.verified) == (15, True)
    assert with_max_costs(out, THREE).results["A"].data["max_cost"] == 15


def test_mes_cost_utility_and_the_tie_breaking_argument():
    out = run("mes-cost", THREE)
    assert out.rounds == ("A", "B")  # A and B tie at 1/2 per unit of utility: A first by id
    assert out.results["B"].data["payments"] == ((10, 1),)  # v1 has nothing left after A: v3 pays it all
    assert out.results["B"].data["paid_all_they_had"] == {"voters": 0, "total": 0}
    assert run("mes-cost", THREE, tie_breaking="largest-id").rounds == ("B", "C")


def test_mes_completed_by_greedy():
    e = approval([("A", 6), ("B", 6), ("C", 3)], 12, ["A"], ["A", "B"], ["C"])
    # share 4: A costs 6 between its two supporters (3 each); B then has 1 left of its only supporter; C 3 of 4
    assert run("mes", e).winners == ("A", "C")
    out = run("mes+greedy", e)
    assert out.winners == ("A", "C")  # 3 left: B does not fit
    assert run("mes", e).results["C"].data["payments"] == ((3, 1),)
    assert out.results["B"].data["completion"]["money_left"] == 3


def test_greedy_points_cumulative_and_ordinal():
    cum = Election((Project("a", 5), Project("b", 5)), 5,
                   (CumulativeBallot((("a", 1), ("b", 2))), CumulativeBallot((("a", 2),))), "cumulative")
    assert cum.point_totals() == {"a": 3, "b": 2}
    assert run("greedy-points", cum).winners == ("a",)
    assert run("greedy", cum).winners == ("a",)  # 2 approvals each: tie by id
    ordn = Election((Project("a", 5), Project("b", 5), Project("c", 5)), 5,
                    (OrdinalBallot(("b", "a")), OrdinalBallot(("a", "c")), OrdinalBallot(("b",))), "ordinal",
                    max_length=3)
    assert ordn.point_totals() == {"a": 5, "b": 6, "c": 2}
    assert run("greedy-points", ordn).winners == ("b",)


def test_city_rules_from_meta():
    e = approval([("A", 5), ("B", 4), ("C", 2)], 7, "ABC", "AB", "AC", "A",
                 meta={"rule": "greedy-no-skip"})
    assert run("city", e).winners == ("A",)  # stops at B, which does not fit
    assert run("city", e).results["C"].kind == "greedy-stopped"
    e2 = approval([("A", 5), ("B", 4), ("C", 2)], 20, "ABC", "AB", "AC", "A",
                  meta={"rule": "greedy-threshold", "min_project_score_threshold": "3"})
    out = run("city", e2)
    assert out.winners == ("A",)
    assert out.results["B"].kind == "greedy-below-threshold"
    with pytest.raises(TallyError) as info:
        run("city", approval([("A", 1)], 1, "A", meta={"rule": "unknown"}))
    assert info.value.code == "cannot-reproduce"


def test_majority_judgment_median_then_gauge():
    grades = (
        GradeBallot((("a", 3), ("b", 2), ("c", 1))),
        GradeBallot((("a", 1), ("b", 2), ("c", 3))),
        GradeBallot((("a", 2), ("b", 2), ("c", 3))),
        GradeBallot((("a", 2), ("b", 1))),
    )
    e = Election((Project("a", 4), Project("b", 4), Project("c", 4)), 8, grades, "grades")
    out = run("majority-judgment", e)
    # lower medians: a 2 (1,2,2,3), b 2 (1,2,2,2), c 1 (0,1,3,3); a's gauge (+1/4 above) beats b's (-1/4 below)
    assert out.rounds == ("a", "b")
    assert out.results["c"].data["majority_grade"] == 1
    assert out.results["a"].data["above"] == Fraction(1, 4)


def test_unknown_rule_and_tie_breaking_are_clear_errors():
    with pytest.raises(TallyError) as info:
        run("nope", THREE)
    assert info.value.code == "unknown-rule"
    with pytest.raises(TallyError) as info:
        run("greedy", THREE, tie_breaking="coin")
    assert info.value.code == "unknown-tie-breaking"


def test_outcome_as_json_is_plain_data():
    import json

    data = run("mes", THREE).as_json()
    json.dumps(data)
    assert data["winners"] == ["B", "C"] and data["projects"]["A"]["kind"] == "mes-not-funded"


def test_command_line(tmp_path, capsys):
    from app.tally import pabulib
    from app.tally.__main__ import main

    path = tmp_path / "e.pb"
    path.write_text(pabulib.write(THREE))
    assert main([str(path), "--rule", "mes", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["winners"] == ["B", "C"] and data["spent"] == 20
    assert main([str(path), "--rule", "greedy"]) == 0
    assert capsys.readouterr().out.split() == ["A", "B"]
