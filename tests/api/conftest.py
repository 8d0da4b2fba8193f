"""A published city for the API and open-data tests, with everything that must never come out of them.

The counted city of tests/results (results published, voting closed), plus: a proposal hidden by moderation, a
draft, a withdrawn proposal, staff notes, a located proposal with a public status history, a caller of the call
center, and authors whose e-mail addresses and display names are known, so that a test can look for them.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.callcenter.models import Caller
from app.core.clock import utcnow
from app.extensions import db
from app.proposals.models import Proposal, ProposalStatus, StatusChange
from app.results import services as results_services
from app.voting.models import Ballot, Participation
from tests.factories import make_cycle, make_proposal, make_user
from tests.results.conftest import make_counted_city

SECRETS = {
    "staff": "STAFF-NOTE-do-not-publish",
    "hidden": "HIDDEN-proposal-title",
    "hidden_body": "HIDDEN-proposal-body",
    "draft": "DRAFT-proposal-title",
    "withdrawn": "WITHDRAWN-proposal-title",
    "caller_name": "Josiane Callerdata",
    "caller_phone": "+33698765432",
    "caller_email": "caller.secret@example.net",
}


@dataclass
class PublishedCity:
    city: object
    run: object
    located: Proposal
    author: object
    emails: list[str]
    secrets: list[str]  # ballot ids, receipt hashes, voter keys and the strings of SECRETS

    @property
    def slug(self) -> str:
        return self.city.cycle.slug


def make_published_city() -> PublishedCity:
    city = make_counted_city()
    run = results_services.run_tally(None, city.cycle)
    results_services.publish(None, run)
    author = make_user(email="author.secret@example.org", display_name="Author Publicname")
    cycle = city.cycle
    located = make_proposal(cycle, author, title="Bancs place Rihour", status=ProposalStatus.UNDER_REVIEW,
                            district=city.district, latitude=50.6365, longitude=3.0635, address="Place Rihour",
                            staff_notes=SECRETS["staff"])
    located.history.append(StatusChange(from_status="submitted", to_status=ProposalStatus.UNDER_REVIEW,
                                        reason="Étude en cours"))
    make_proposal(cycle, author, title=SECRETS["hidden"], body=SECRETS["hidden_body"], hidden_at=utcnow(),
                  hidden_reason="insult", latitude=50.6, longitude=3.0)
    make_proposal(cycle, author, title=SECRETS["draft"], status=ProposalStatus.DRAFT)
    make_proposal(cycle, author, title=SECRETS["withdrawn"], status=ProposalStatus.WITHDRAWN)
    db.session.add(Caller(name=SECRETS["caller_name"], phone=SECRETS["caller_phone"], email=SECRETS["caller_email"]))
    db.session.flush()
    secrets = list(SECRETS.values())
    secrets += [b.id for b in db.session.scalars(select(Ballot).where(Ballot.cycle_id == cycle.id))]
    secrets += [b.receipt_hash for b in db.session.scalars(select(Ballot).where(Ballot.cycle_id == cycle.id))]
    secrets += list(db.session.scalars(select(Participation.voter_key).where(Participation.cycle_id == cycle.id)))
    emails = list(db.session.scalars(select(User.email)))
    return PublishedCity(city=city, run=run, located=located, author=author, emails=emails, secrets=secrets)


@pytest.fixture
def published(app, db):
    with app.test_request_context("/"):
        data = make_published_city()
        db.session.commit()
    return data


@pytest.fixture
def upcoming(app, db):
    """A cycle in its submission phase: no results, no ballot file."""
    with app.test_request_context("/"):
        cycle = make_cycle()
        make_proposal(cycle, title="Une fontaine")
        db.session.commit()
    return cycle
