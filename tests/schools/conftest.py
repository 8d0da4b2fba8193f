"""Schools fixtures: a school with a teacher and a class with a budget, prices and cards."""

import pytest

from app.accounts.models import Role
from app.cycles.models import PhaseKind
from app.extensions import db as _db
from app.schools import services
from app.schools.models import Pupil
from tests.factories import make_user


def make_school(name: str = "École Jules Ferry"):
    official = make_user(Role.OFFICIAL)
    school = services.create_school(official, name)
    return school, official


def make_teacher(school, official, coordinator: bool = False):
    user = make_user(Role.RESIDENT)
    services.grant_teacher(official, school, user.email, coordinator)
    return user


def make_class(school=None, teacher=None, budget: bool = True, cards: int = 3):
    """A class (with its budget, a price list and ``cards`` pupils' cards); returns (class, teacher, cards)."""
    if school is None:
        school, official = make_school()
        teacher = make_teacher(school, official)
    klass = services.create_class(teacher, school, "CM2 B", 5, "2026-2027")
    if budget:
        services.create_budget(teacher, klass, "Notre cour", 200_000, "approval")
        services.add_price(teacher, klass, "Un banc", "bench", 30_000)
        services.add_price(teacher, klass, "Des livres", "book", 10_000)
    made = services.make_cards(teacher, klass, cards) if cards else []
    return klass, teacher, made


def approved_idea(klass, teacher, pupil: Pupil, title: str = "Des bancs", price=None):
    price = price or services.prices_of(klass)[0]
    idea = services.propose(pupil, title, "Pour s'asseoir à l'ombre.", price)
    services.moderate_idea(teacher, idea, True)
    return idea


def to_phase(klass, teacher, kind: PhaseKind) -> None:
    while services.class_phase(klass) != kind:
        services.move_phase(teacher, klass)


@pytest.fixture
def school_class(db):
    return make_class()


@pytest.fixture
def commit():
    return _db.session.commit
