"""Helpers for the call-center tests: an agent, an official, cycles in each phase and a call recorded by service."""

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.callcenter import services
from app.callcenter.models import CallOutcome, ContactPreference, MunicipalService
from app.cycles.models import PhaseKind
from app.extensions import db as _db
from tests.factories import make_cycle, make_proposal, make_user

NAME = "Josiane Lemaire-Testcaller"
PHONE_TYPED = "06 12 34 56 78"
PHONE = "+33612345678"
EMAIL = "josiane.testcaller@example.net"


@pytest.fixture
def ctx(app, db):
    """Services build absolute links in emails and notifications: they run inside a request context."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield db


@pytest.fixture
def agent(ctx):
    return make_user(Role.AGENT)


@pytest.fixture
def official(ctx):
    return make_user(Role.OFFICIAL)


@pytest.fixture
def submission(ctx):
    return make_cycle(PhaseKind.SUBMISSION)


def make_service(name="Propreté", answer="Une équipe passe sous 72 heures.", active=True) -> MunicipalService:
    service = MunicipalService(name_fr=name, answer_fr=answer, name_en="Cleaning", answer_en="Within 72 hours.",
                               active=active)
    _db.session.add(service)
    _db.session.flush()
    return service


def details(phone=PHONE_TYPED, name=NAME, email="", language="fr", preferred=ContactPreference.PHONE):
    return services.CallerDetails(name=name, phone=phone, email=email, language=language, preferred_contact=preferred)


def attach(agent, proposal, consent=True, **values):
    """Record a call attaching a consenting caller to ``proposal`` (the caller's details can be overridden)."""
    caller = details(**values)
    return services.record_call(agent, services.Intake(
        outcome=CallOutcome.ATTACHED, proposal=proposal, consent=consent, caller=caller if consent else None,
        complaint="Où en est ce projet ?", language=caller.language))


def count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def all_text(exclude=()) -> str:
    """Every value of every row of every table, as one string: to prove that something is stored nowhere."""
    parts = []
    for table in _db.metadata.sorted_tables:
        if table.name in exclude:
            continue
        for row in _db.session.execute(table.select()):
            parts.extend(str(value) for value in row)
    return "\n".join(parts)


__all__ = ["make_cycle", "make_proposal", "make_user"]
