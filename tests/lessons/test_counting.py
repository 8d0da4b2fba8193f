"""The counting lesson's simulation: greedy beside equal shares, on a sample vote or the class's closed vote."""

import pytest

from app.core.errors import ServiceError
from app.cycles.models import PhaseKind
from app.lessons import counting
from tests.lessons.conftest import make_pupil
from tests.results.conftest import make_counted_city


def funded(count) -> set[str]:
    return {row.project_id for row in count.rows if row.funded}


def test_the_sample_shows_a_smaller_group_left_out_by_greedy_and_represented_by_equal_shares(ctx):
    sim = counting.simulate(counting.sample_source())
    assert sim.voters == 20 and sim.budget_cents == 200_000
    assert funded(sim.greedy) == {"goals", "pingpong"}
    assert funded(sim.shares) == {"goals", "books", "birds"}
    assert (sim.greedy.represented, sim.shares.represented) == (12, 20)
    assert sim.shares.share_cents == 10_000  # 2,000 € shared by 20 pupils
    assert sim.greedy.left_cents == 10_000 and sim.shares.spent_cents == 180_000
    garden = next(r for r in sim.shares.rows if r.project_id == "garden")
    assert "150" in garden.why[-1]  # it would have been chosen at 150 € or less (app.tally.explain)
    books = next(r for r in sim.greedy.rows if r.project_id == "books")
    assert "100" in books.why[0] and books.cost_cents == 40_000  # it costs 400 €, only 100 € were left


def test_leaving_ballots_out_and_changing_the_money_counts_again(ctx):
    source = counting.sample_source()
    sports = counting.simulate(source, counted=frozenset(range(1, 13)))  # only the twelve sports ballots
    assert sports.voters == 12
    assert funded(sports.greedy) == funded(sports.shares) == {"goals", "pingpong"}
    poorer = counting.simulate(source, budget_cents=100_000)  # 1,000 €: the goals no longer fit
    assert funded(poorer.greedy) == {"pingpong", "birds"}
    alone = counting.simulate(source, budget_cents=100_000, counted=frozenset(range(1, 13)))
    birds = next(r for r in alone.greedy.rows if r.project_id == "birds")
    assert birds.funded and birds.votes == 0 and "Nobody chose it" in birds.why[0]  # greedy spends what is left
    nobody = counting.simulate(source, counted=frozenset())
    assert nobody.greedy is None and nobody.shares is None


@pytest.mark.parametrize("text", ["abc", "-5", "0", "99999999999"])
def test_bad_money_is_refused_with_a_message(ctx, text):
    with pytest.raises(ServiceError) as error:
        counting.parse_budget(text, 200_000)
    assert error.value.field == "budget"


def test_empty_money_is_the_default_and_unknown_ballots_are_refused(ctx):
    source = counting.sample_source()
    assert counting.parse_budget("", 200_000) == 200_000
    assert counting.parse_budget("1 500", 200_000) == 150_000
    assert counting.parse_counted(["1", "20"], source) == frozenset({1, 20})
    for values in (["21"], ["0"], ["x"]):
        with pytest.raises(ServiceError):
            counting.parse_counted(values, source)


def test_a_class_with_a_closed_vote_counts_its_own_ballots_in_a_fixed_order(ctx):
    city = make_counted_city()
    pupil = make_pupil(cycle=city.cycle)
    first = counting.source_for(pupil)
    assert first.kind == "class"
    assert len(first.ballots) == 13  # every city-wide ballot of the counted city
    assert first.budget_cents == city.cycle.citywide_envelope_cents
    assert counting.source_for(pupil).ballots == first.ballots  # the same numbering on every request
    sim = counting.simulate(first)
    assert sim.greedy is not None and sim.shares is not None


def test_a_class_with_too_few_ballots_gets_the_sample(ctx, monkeypatch):
    city = make_counted_city()
    monkeypatch.setattr(counting, "MIN_CLASS_BALLOTS", 14)  # the counted city has 13 city-wide ballots
    assert counting.source_for(make_pupil(cycle=city.cycle)).kind == "sample"


def test_a_class_still_voting_or_without_a_vote_gets_the_sample(ctx):
    city = make_counted_city(phase=PhaseKind.VOTING)
    assert counting.source_for(make_pupil(cycle=city.cycle)).kind == "sample"  # never while pupils still vote
    assert counting.source_for(make_pupil(cycle=None)).kind == "sample"
    assert counting.source_for(None).kind == "sample"
