import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.cycles.models import Category, Cycle, District, PhaseKind
from app.cycles.services import phase_of
from app.demo import load_demo
from app.proposals.models import BallotItem, Proposal, ProposalStatus
from app.tracking.models import ProjectTracking, TrackingUpdate

MODELS = (User, District, Category, Cycle, Proposal, BallotItem, ProjectTracking, TrackingUpdate)


def counts(db):
    return [db.session.scalar(select(func.count()).select_from(m)) for m in MODELS]


def test_demo_is_idempotent_and_has_one_account_per_role(db):
    accounts = load_demo()
    first = counts(db)
    load_demo()
    assert counts(db) == first
    assert {role for role, _email, _password in accounts} == {r.value for r in Role}
    assert db.session.scalar(select(func.count()).select_from(District)) >= 10


def test_demo_has_a_voting_a_past_and_an_open_cycle(db):
    load_demo()
    phases = {c.slug: phase_of(c) for c in db.session.scalars(select(Cycle).where(Cycle.school_id.is_(None)))}
    assert phases == {
        "budget-participatif-2026": PhaseKind.VOTING,
        "budget-participatif-2025": PhaseKind.IMPLEMENTATION,
        "budget-participatif-2027": PhaseKind.SUBMISSION,
    }
    voting = db.session.scalar(select(Cycle).where(Cycle.slug == "budget-participatif-2026"))
    statuses = db.session.scalars(select(Proposal.status).where(Proposal.cycle_id == voting.id)).all()
    assert len(statuses) >= 40
    assert statuses.count(ProposalStatus.MERGED) >= 2 and statuses.count(ProposalStatus.NOT_FEASIBLE) >= 2
    feasible = statuses.count(ProposalStatus.FEASIBLE)
    assert db.session.scalar(select(func.count()).select_from(BallotItem)
                             .where(BallotItem.cycle_id == voting.id)) == feasible
    assert voting.ballot_frozen_at is not None
    assert db.session.scalar(select(func.count()).select_from(TrackingUpdate)) >= 3


def test_demo_codes_are_fresh_each_run_and_only_the_last_ones_work(db, app):
    from app.core.errors import ServiceError
    from app.demo import issue_demo_codes
    from app.voting import codes
    from app.voting.models import CodeBatch

    load_demo()
    with app.test_request_context(), force_locale("en"):  # the messages below are read in English
        cycle, first = issue_demo_codes()
        assert cycle.slug == "budget-participatif-2026" and len(first) == 5
        assert codes.open_code(first[0]).cycle.id == cycle.id
        _cycle, second = issue_demo_codes()
        assert not set(first) & set(second)
        assert codes.open_code(second[0]).cycle.id == cycle.id
        with pytest.raises(ServiceError, match="cancelled"):
            codes.open_code(first[0])
    batches = db.session.scalars(select(CodeBatch)).all()
    assert len(batches) == 2 and [b.voided_at is None for b in batches].count(True) == 1


def test_the_past_cycle_has_thousands_of_ballots_and_published_results_matching_the_funded_projects(db):
    from pabulib.checker import Checker

    from app.results.services import public_run
    from app.voting.models import Participation

    load_demo()
    past = db.session.scalar(select(Cycle).where(Cycle.slug == "budget-participatif-2025"))
    channels = dict(db.session.execute(select(Participation.channel, func.count())
                                       .where(Participation.cycle_id == past.id).group_by(Participation.channel)).all())
    assert sum(channels.values()) >= 2000 and len(channels) >= 3
    run = public_run(past)
    assert run is not None and run.rule.startswith("mes")
    winners = {p.item.proposal_id for e in run.envelopes for p in e.projects if p.selected}
    funded = set(db.session.scalars(select(Proposal.id).where(
        Proposal.cycle_id == past.id,
        Proposal.status.in_((ProposalStatus.SELECTED, ProposalStatus.IN_PROGRESS, ProposalStatus.DONE)))))
    assert winners == funded and len(funded) >= 4
    for envelope in run.envelopes:
        result = Checker().process_files([envelope.ballot_file])
        errors = [v["results"].get("errors") for k, v in result.items() if k not in ("metadata", "summary")]
        assert errors == [{}], errors
