"""Helpers for the voting tests: a cycle open for voting with a frozen ballot in two envelopes."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.clock import utcnow
from app.cycles.models import PhaseKind
from app.proposals.models import BallotItem, ProposalStatus
from app.review.services import freeze_ballot
from app.voting.models import Ballot, BallotChoice, BallotKind, BallotRules, Participation
from tests.factories import make_category, make_cycle, make_district, make_proposal, make_user

CITY_BUDGET = 800_000_00
DISTRICT_BUDGET = 100_000_00


@dataclass
class VotingCity:
    cycle: object
    district: object
    other_district: object
    city_items: list  # 6 city-wide projects, 100 000 € each
    district_items: list  # 3 projects of ``district``: 30 000, 40 000, 50 000 €
    other_items: list  # 1 project of ``other_district``
    voter: object  # a confirmed resident of ``district``

    @property
    def slug(self) -> str:
        return self.cycle.slug


def make_voting_city(*, frozen: bool = True, kind=None, min_choices=1, max_choices=5, min_share_percent=None,
                     phase=PhaseKind.VOTING, rules: bool = True, points_total=None, points_per_project=None,
                     other_district: bool = False) -> VotingCity:
    district, other = make_district("Wazemmes"), make_district("Fives")
    theme = make_category("Mobilité")
    cycle = make_cycle(phase, districts=[district, other], citywide_cents=CITY_BUDGET,
                       envelope_cents=DISTRICT_BUDGET)
    for n in range(6):
        make_proposal(cycle, status=ProposalStatus.FEASIBLE, title=f"Projet ville {n + 1}", category=theme,
                      city_cost_cents=100_000_00)
    for n, cost in enumerate((30_000_00, 40_000_00, 50_000_00)):
        make_proposal(cycle, status=ProposalStatus.FEASIBLE, title=f"Projet Wazemmes {n + 1}", district=district,
                      city_cost_cents=cost)
    make_proposal(cycle, status=ProposalStatus.FEASIBLE, title="Projet Fives", district=other,
                  city_cost_cents=20_000_00)
    if rules:
        from app.extensions import db

        db.session.add(BallotRules(cycle_id=cycle.id, kind=kind or BallotKind.APPROVAL, min_choices=min_choices,
                                   max_choices=max_choices, min_share_percent=min_share_percent,
                                   points_total=points_total, points_per_project=points_per_project,
                                   other_district=other_district))
    if frozen:
        freeze_ballot(None, cycle)
    from app.extensions import db

    items = db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id).order_by(BallotItem.id))
    items = list(items)
    voter = make_user(district=district)
    db.session.flush()
    return VotingCity(cycle=cycle, district=district, other_district=other,
                      city_items=[i for i in items if i.district_id is None],
                      district_items=[i for i in items if i.district_id == district.id],
                      other_items=[i for i in items if i.district_id == other.id], voter=voter)


def make_census_entry(identifier: str, district, birth_year: int = 1980, *, user=None, active: bool = True):
    """A census entry, as an upload would write it (only the identifier's keyed hash)."""
    from app.core.clock import utcnow
    from app.extensions import db
    from app.voting.census import identifier_hash
    from app.voting.models import CensusEntry

    entry = CensusEntry(identifier_hash=identifier_hash(identifier), district_id=district.id, birth_year=birth_year,
                        active=active, user_id=user.id if user else None, bound_at=utcnow() if user else None)
    db.session.add(entry)
    db.session.flush()
    return entry


def counts(db) -> tuple[int, int, int]:
    """(participations, ballots, choices) in the whole database."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Participation, Ballot, BallotChoice))


def ids(items) -> list[str]:
    return [str(item.id) for item in items]


def later(days: int):
    """A frozen clock ``days`` from now (patch ``app.core.clock._now`` with it)."""
    moment = utcnow() + timedelta(days=days)
    return lambda: moment


@pytest.fixture
def ctx(app, db):
    """Services format amounts and translate messages: run them in an English request context."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield db


@pytest.fixture
def city(ctx):
    return make_voting_city()


@pytest.fixture
def web_city(db):
    """A committed voting city whose voter reads English, for the pages."""
    city = make_voting_city()
    city.voter.locale = "en"
    db.session.commit()
    return city


@pytest.fixture
def clear_desk_cache(app):
    """The staff desk's cache is per process and keyed by cycle id, which rolled-back tests reuse: start empty."""
    from app.extensions import cache

    with app.app_context():
        cache.clear()
