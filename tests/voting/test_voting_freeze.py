"""Once voting has opened or the first ballot is cast, the rules, the projects and their costs cannot change: every
path that could change them refuses with a reason, and the ballot stays as the voters saw it."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import NotAllowed, ServiceError
from app.cycles import services as cycle_services
from app.cycles.models import PhaseKind
from app.proposals import services as proposal_services
from app.proposals.models import BallotItem, Proposal, ProposalStatus
from app.review import services as review_services
from app.voting import services
from app.voting.models import BallotRules
from tests.conftest import csrf_token, login
from tests.factories import make_proposal, make_user
from tests.voting.conftest import ids, later, make_voting_city

FROZEN = "can no longer change"


def ballot_snapshot(db, cycle) -> list[tuple]:
    return [(i.id, i.proposal_id, i.district_id, i.title, i.summary, i.cost_cents)
            for i in db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id)
                                        .order_by(BallotItem.id))]


def rules_snapshot(db, cycle) -> tuple:
    rules = db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == cycle.id))
    db.session.refresh(rules)
    return tuple(getattr(rules, name) for name in services.RULE_COLUMNS)


def cycle_values(cycle, **changes) -> cycle_services.CycleValues:
    """What the cycle form would send for ``cycle`` unchanged, with ``changes``."""
    envelopes = [cycle_services.EnvelopeValue(e.district, e.amount_cents, e.has_voting) for e in cycle.envelopes]
    phases = {p.kind: (clock.as_utc(p.starts_at), clock.as_utc(p.ends_at) if p.ends_at else None)
              for p in cycle.phases}
    values = {"slug": cycle.slug, "title_fr": cycle.title_fr, "title_en": cycle.title_en, "phases": phases,
              "total_budget_cents": cycle.total_budget_cents, "citywide_envelope_cents": cycle.citywide_envelope_cents,
              "support_threshold": cycle.support_threshold, "envelopes": envelopes}
    return cycle_services.CycleValues(**{**values, **changes})


@pytest.fixture
def voted(ctx):
    """A city open for voting in which a first ballot has been cast."""
    city = make_voting_city()
    services.cast(city.voter, city.cycle, {None: ids(city.city_items[:1]),
                                           city.district.id: ids(city.district_items[:1])})
    return city


def test_every_path_that_could_change_the_ballot_refuses_with_a_reason(voted, db):
    city, official = voted, make_user(Role.OFFICIAL)
    items_before, rules_before = ballot_snapshot(db, city.cycle), rules_snapshot(db, city.cycle)
    on_ballot = db.session.get(Proposal, city.city_items[0].proposal_id)
    waiting = make_proposal(city.cycle, status=ProposalStatus.UNDER_REVIEW)
    other_envelope = city.cycle.envelopes[0]
    attempts = {
        "the ballot rules": lambda: services.save_rules(official, city.cycle, "approval", 1, 3, None),
        "a project's cost and ballot title": lambda: review_services.mark_feasible(
            official, on_ballot, 1_00, "Un autre titre", ""),
        "a new project": lambda: review_services.mark_feasible(official, waiting, 1_00, "Nouveau", ""),
        "taking a project off": lambda: review_services.mark_not_feasible(official, on_ballot, "Finalement non."),
        "merging into a project": lambda: review_services.merge(official, on_ballot, [waiting]),
        "the author's text": lambda: proposal_services.save_proposal(
            on_ballot.author, city.cycle, {"title": "Titre changé"}, on_ballot),
        "an envelope's amount": lambda: cycle_services.save_cycle(official, cycle_values(city.cycle, envelopes=[
            cycle_services.EnvelopeValue(e.district, e.amount_cents + (1 if e is other_envelope else 0), e.has_voting)
            for e in city.cycle.envelopes]), city.cycle),
        "the city-wide envelope": lambda: cycle_services.save_cycle(
            official, cycle_values(city.cycle, citywide_envelope_cents=1), city.cycle),
        "a district without its vote": lambda: cycle_services.save_cycle(official, cycle_values(
            city.cycle, envelopes=[cycle_services.EnvelopeValue(e.district, e.amount_cents, False)
                                   for e in city.cycle.envelopes]), city.cycle),
    }
    for name, attempt in attempts.items():
        with pytest.raises((NotAllowed, ServiceError)) as refused, db.session.begin_nested():
            attempt()
        assert str(refused.value.message).strip(), name  # a reason the official or resident can read
    db.session.expire_all()
    assert ballot_snapshot(db, city.cycle) == items_before
    assert rules_snapshot(db, city.cycle) == rules_before
    # Freezing again copies nothing new, even if a proposal's cost was changed behind the services' back.
    on_ballot = db.session.get(Proposal, city.city_items[0].proposal_id)
    on_ballot.city_cost_cents = 1_00
    assert review_services.freeze_ballot(official, city.cycle) is False
    assert ballot_snapshot(db, city.cycle) == items_before


def test_rules_refusals_say_why(ctx, db, monkeypatch):
    city = make_voting_city(phase=PhaseKind.REVIEW)
    official = make_user(Role.OFFICIAL)
    assert services.rules_frozen_reason(city.cycle) is None
    services.save_rules(official, city.cycle, "majority_judgment", 0, None, None)
    monkeypatch.setattr(clock, "_now", later(16))  # voting opens; nobody has voted yet
    assert str(services.rules_frozen_reason(city.cycle)) == (
        "Voting has opened in this budget: its ballot rules can no longer change.")
    with pytest.raises(ServiceError, match="Voting has opened"):
        services.save_rules(official, city.cycle, "approval", 1, 3, None)
    monkeypatch.setattr(clock, "_now", later(46))  # and after voting, still not
    with pytest.raises(ServiceError, match=FROZEN):
        services.save_rules(official, city.cycle, "approval", 1, 3, None)
    assert services.rules_of(city.cycle).kind.value == "majority_judgment"


def test_the_review_page_refuses_cost_changes_once_voting_has_opened(client, db):
    city = make_voting_city()
    proposal_id = city.city_items[0].proposal_id
    official = make_user(Role.OFFICIAL, locale="en")
    db.session.commit()
    login(client, official)
    response = client.post(f"/review/proposals/{proposal_id}/feasible", headers={"Accept-Language": "en"}, data={
        "csrf_token": csrf_token(client, "/"), "feasible-city_cost": "5", "feasible-ballot_title": "Autre"})
    assert response.status_code in (403, 422)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal_id).city_cost_cents == 100_000_00


def test_the_rules_page_says_why_it_is_frozen(client, db, login_as):
    city = make_voting_city()
    db.session.commit()
    login_as(Role.OFFICIAL, locale="en")
    path = f"/vote/{city.slug}/rules"
    html = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Voting has opened in this budget: its ballot rules can no longer change." in html
    assert 'name="kind"' not in html
    response = client.post(path, headers={"Accept-Language": "en"}, data={
        "csrf_token": csrf_token(client, "/"), "kind": "approval", "min_choices": "1", "max_choices": "2"})
    assert response.status_code == 422 and "Voting has opened" in response.get_data(as_text=True)
    assert services.rules_of(city.cycle).max_choices == 5
