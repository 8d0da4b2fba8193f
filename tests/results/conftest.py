"""A counted city: the voting city of tests/voting with its voting closed and a few ballots cast.

Amounts are small (a 100 € envelope) so that equal shares with add1, which raises every voter's share one euro at a
time, stays quick: the rules do not care about the scale.

Wazemmes (envelope 100 €: W1 30, W2 40, W3 50 €): six voters approve W2 and W3, four approve W1. Greedy funds W2
and W3 (most votes; W1 no longer fits); equal shares fund W2 (cheapest per supporter, ties to the smaller number)
then W1, whose four supporters can pay it, while W3 can no longer be paid by W2's supporters.
Fives (100 €, one project of 20 €): two voters approve it, one leaves the ballot blank. Everyone votes for the
whole city (800 €, six projects of 100 €).
"""

from datetime import date

import pytest

from app.cycles.models import PhaseKind
from app.extensions import db
from app.results.ballots import insert_ballots
from app.voting.models import BallotRules
from tests.voting.conftest import make_voting_city


def cast(city, voters) -> None:
    """``voters``: (channel, {envelope key: [ballot items]}) pairs."""
    insert_ballots(city.cycle.id, ((channel, {key: [(item.id, 1) for item in items] for key, items in env.items()})
                                   for channel, env in voters), date(2026, 1, 10), "test")
    db.session.flush()


def make_counted_city(phase=PhaseKind.RESULTS, rule: str = "mes-cost+add1"):
    city = make_voting_city(phase=phase, min_choices=0, max_choices=5)
    city.cycle.citywide_envelope_cents //= 1000
    for envelope in city.cycle.envelopes:
        envelope.amount_cents //= 1000
    for item in city.city_items + city.district_items + city.other_items:
        item.cost_cents //= 1000
        item.proposal.city_cost_cents //= 1000
    rules = db.session.query(BallotRules).filter_by(cycle_id=city.cycle.id).one()
    rules.counting_rule = rule
    w1, w2, w3 = city.district_items
    first, second = city.city_items[:2]
    wazemmes, fives = city.district.id, city.other_district.id
    voters = [("web", {None: [first, second], wazemmes: [w2, w3]})] * 5
    voters += [("paper", {None: [first], wazemmes: [w2, w3]})]
    voters += [("web", {None: [first], wazemmes: [w1]})] * 3 + [("paper", {None: [second], wazemmes: [w1]})]
    voters += [("phone", {None: [first], fives: city.other_items}), ("web", {None: [first], fives: city.other_items}),
               ("web", {None: [second], fives: []})]
    cast(city, voters)
    return city


@pytest.fixture
def counted(ctx):
    return make_counted_city()


@pytest.fixture
def ctx(app, db):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield db
