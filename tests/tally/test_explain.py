"""The fast "largest cost at which it would have been funded" equals its definition (a bisection of full runs)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.tally import Election, rule_names, run
from app.tally.explain import max_funded_cost, max_funded_cost_by_bisection
from app.tally.tiebreak import LARGEST_ID, SMALLEST_ID

from .test_properties import elections

CITY_RULES = ("greedy", "greedy-threshold", "greedy-no-skip", "equalshares/add1")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(max_projects=5, max_voters=7, max_cost=40), st.sampled_from(CITY_RULES), st.integers(0, 4),
       st.booleans())
def test_fast_max_cost_equals_the_bisection_for_every_rule(e, city_rule, threshold, largest):
    e = Election(e.projects, e.budget, e.ballots, e.vote_type, e.scale, e.max_length,
                 {"rule": city_rule, "min_project_score_threshold": str(threshold)})
    tie = LARGEST_ID if largest else SMALLEST_ID
    for rule in rule_names():
        outcome = run(rule, e, tie)
        for pid, r in outcome.results.items():
            if r.funded:
                continue
            slow = max_funded_cost_by_bisection(rule, e, pid, tie)
            for fast in (max_funded_cost(rule, e, pid, tie), max_funded_cost(rule, e, pid, tie, outcome=outcome)):
                assert (fast.max_cost, fast.verified) == (slow.max_cost, slow.verified), (rule, pid)
