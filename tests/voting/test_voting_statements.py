"""How many SQL statements a ballot costs: counted, not timed (benchmarks/ballot_casting.py times them).

These numbers are the budget found when the cast path was profiled; they do not grow with the number of projects.
A change that needs more should say why here."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.engine.default import CACHE_HIT

from app.accounts.models import Role
from app.core.clock import local_now
from app.extensions import db as _db
from app.proposals.models import BallotItem, ProposalStatus
from app.voting import census, services
from tests.conftest import login
from tests.factories import make_proposal, make_user
from tests.voting.conftest import ids, make_census_entry, make_voting_city
from tests.voting.test_voting_views import EN, ballot_data, receipt_in

# The register (one read), then participation, ballots and choices (three writes); the frozen rules and the
# ballot's projects come from the process's copy, with who may vote (census, minimum age); a census entry bound to
# the account comes with the register's read. On PostgreSQL one more statement first locks the account's row (see
# ``services.account_standing``). No savepoint (two statements more): the register's insert tells, without failing,
# whether another attempt won.
CAST_STATEMENTS = 4
# The ballot page: the voter, with the count of unread notifications that the header shows and their standing
# (census entry, register), in one statement (``accounts.views.read_with_user``). The cycle with its phases and
# envelopes, and the projects' themes and photos, come from this process's copies (``app.core.copies``).
BALLOT_PAGE_STATEMENTS = 1
# Confirming: voter (with its unread notifications; on PostgreSQL the same statement locks the account's row), then
# in the cast's transaction the register (read once: the page's checks and the cast share it) and the three writes.
# The cycle comes from the copy.
CONFIRM_STATEMENTS = 5


def account_lock() -> int:
    """The statement that locks a web voter's account on PostgreSQL (``services.account_standing``)."""
    return 1 if _db.engine.dialect.name == "postgresql" else 0


class Seen(list):
    """The statements run, and (``compiled``) those that SQLAlchemy compiled anew instead of finding them in its
    cache: compiling one costs more than running it."""

    def __init__(self):
        super().__init__()
        self.compiled = []


@contextmanager
def statements(savepoints: bool = True):
    """The statements run inside the block. ``savepoints=False`` leaves out savepoints, for requests of the test
    client: the rolled-back test session runs each of them in a savepoint of its own."""
    seen = Seen()
    counted = {"SELECT", "INSERT", "UPDATE", "DELETE"} | ({"SAVEPOINT", "RELEASE"} if savepoints else set())

    def count(_conn, _cursor, statement, _parameters, context, _many):
        if statement.lstrip().split(None, 1)[0].upper() in counted:
            seen.append(" ".join(statement.split()))
            if context.compiled is not None and context.cache_hit is not CACHE_HIT:
                seen.compiled.append(seen[-1])

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)


def city_with(extra_projects: int):
    city = make_voting_city()
    for n in range(extra_projects):
        proposal = make_proposal(city.cycle, status=ProposalStatus.FEASIBLE, title=f"Projet en plus {n}",
                                 city_cost_cents=1000_00)
        _db.session.add(BallotItem(cycle_id=city.cycle.id, proposal_id=proposal.id, district_id=None,
                                   title=proposal.title, cost_cents=1000_00))
    _db.session.flush()
    return city


@pytest.mark.parametrize("extra_projects", [0, 30])
def test_casting_costs_a_fixed_number_of_statements(ctx, extra_projects):
    city = city_with(extra_projects)
    services.cast(make_user(district=city.district), city.cycle,  # the first ballot freezes the rules
                  {None: ids(city.city_items[:1]), city.district.id: ids(city.district_items[:1])})
    services.rules_for(city.cycle)  # this process has now seen the rules frozen
    voter = make_user(district=city.district)
    with statements() as seen:
        services.cast(voter, city.cycle, {None: ids(city.city_items[:5]), city.district.id: ids(city.district_items)})
    assert len(seen) <= CAST_STATEMENTS + account_lock(), "\n".join(seen)


@pytest.mark.parametrize("census_bound", [True, False])
def test_census_and_minimum_age_cost_no_statement_of_their_own(ctx, census_bound):
    """Only an account outside the census, in a cycle with a minimum age, reads one row more: its declared year."""
    city = make_voting_city()
    census.save_eligibility(make_user(Role.OFFICIAL), city.cycle, census_bound, 16)
    first = make_user(district=city.district)
    make_census_entry("LIL-FIRST", city.district, user=first)
    services.cast(first, city.cycle, {None: ids(city.city_items[:1]), city.district.id: ids(city.district_items[:1])})
    services.rules_for(city.cycle)
    voter = make_user(district=city.district)
    if census_bound:
        make_census_entry("LIL-VOTER", city.district, local_now().year - 30, user=voter)
    else:
        census.declare_birth_year(voter, local_now().year - 30)
    with statements() as seen:
        services.cast(voter, city.cycle, {None: ids(city.city_items[:5]), city.district.id: ids(city.district_items)})
    assert len(seen) <= CAST_STATEMENTS + account_lock() + (0 if census_bound else 1), "\n".join(seen)


@pytest.mark.parametrize("extra_projects", [0, 30])
def test_a_ballot_through_the_pages_costs_a_fixed_number_of_statements(db, client, extra_projects, app, monkeypatch):
    monkeypatch.setitem(app.config, "CYCLE_CACHE_SECONDS", 3600)  # however slow this machine, the copy is fresh
    city = city_with(extra_projects)
    first, voter = make_user(district=city.district), make_user(district=city.district)
    db.session.commit()
    login(client, first)
    page = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, **ballot_data(city, city.city_items[:3], city.district_items[:2])}
    receipt_in(client.post(f"/vote/{city.slug}/confirm", data=data, headers=EN).get_data(as_text=True))
    services.rules_for(city.cycle)  # this process has now seen the rules frozen
    login(client, voter)
    with statements(savepoints=False) as seen:
        page = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert len(seen) <= BALLOT_PAGE_STATEMENTS, "\n".join(seen)
    assert seen.compiled == []
    data["csrf_token"] = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    with statements(savepoints=False) as seen:
        receipt_in(client.post(f"/vote/{city.slug}/confirm", data=data, headers=EN).get_data(as_text=True))
    assert len(seen) <= CONFIRM_STATEMENTS, "\n".join(seen)
    assert seen.compiled == []
    assert ("FOR UPDATE" in seen[0]) == (_db.engine.dialect.name == "postgresql"), seen[0]
