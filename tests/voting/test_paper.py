"""Paper ballots against the database: stations, checking people, the same register on every channel."""

import json

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry
from app.voting import census, paper, services
from app.voting.models import Participation, VoteChannel
from tests.factories import make_user
from tests.voting.conftest import counts, ids, later, make_census_entry
from tests.voting.test_voting_services import valid_choices


@pytest.fixture
def station(city):
    return paper.add_station(make_user(Role.OFFICIAL), city.cycle, "Mairie de quartier de Wazemmes", "Place Nouvelle")


@pytest.fixture
def staff(city):
    return make_user(Role.AGENT)


def test_only_officials_manage_stations(city, db):
    for role in Role:
        if role != Role.OFFICIAL:
            with pytest.raises(NotAllowed):
                paper.add_station(make_user(role), city.cycle, "Hôtel de ville")
    official = make_user(Role.OFFICIAL)
    station = paper.add_station(official, city.cycle, " Hôtel de ville ")
    assert station.name == "Hôtel de ville" and station.open
    with pytest.raises(ServiceError, match="already has a polling station"):
        paper.add_station(official, city.cycle, "Hôtel de ville")
    with pytest.raises(ServiceError, match="name"):
        paper.add_station(official, city.cycle, "  ")
    paper.set_station_open(official, station, False)
    assert paper.stations_of(city.cycle, open_only=True) == []
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == official.id)))
    assert actions == {"paper.station_added", "paper.station_closed"}


def test_staff_roles_at_open_stations_during_voting(city, db, station, monkeypatch):
    for role in Role:
        allowed = role in (Role.OFFICIAL, Role.AGENT)
        if allowed:
            paper.sign_in(make_user(role), station)
        else:
            with pytest.raises(NotAllowed):
                paper.sign_in(make_user(role), station)
    station.open = False
    with pytest.raises(NotAllowed, match="closed"):
        paper.sign_in(make_user(Role.AGENT), station)
    station.open = True
    monkeypatch.setattr(clock, "_now", later(16))
    with pytest.raises(NotAllowed, match="Voting is not open"):
        paper.sign_in(make_user(Role.AGENT), station)


def test_checking_people_says_found_not_found_inactive_voted_too_young(city, db, station, staff):
    year = clock.local_now().year
    census.save_eligibility(make_user(Role.OFFICIAL), city.cycle, False, 16)
    make_census_entry("OK-1", city.district, birth_year=1980)
    make_census_entry("OLD-1", city.district, active=False)
    make_census_entry("KID-1", city.district, birth_year=year - 10)
    online = make_census_entry("WEB-1", city.district, user=city.voter)
    services.cast(city.voter, city.cycle, valid_choices(city))
    results = {identifier: paper.check_person(staff, station, identifier)
               for identifier in ("ok-1", "NOPE", "OLD-1", "KID-1", "WEB-1")}
    assert {k: v.status for k, v in results.items()} == {
        "ok-1": "found", "NOPE": "not_found", "OLD-1": "inactive", "KID-1": "too_young", "WEB-1": "voted"}
    assert [bool(r.token) for r in results.values()] == [True, False, False, False, False]
    assert "already voted in this budget, online, on" in str(results["WEB-1"].message)
    assert results["WEB-1"].entry.id == online.id
    assert "aged 16 or over" in str(results["KID-1"].message)
    audits = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "paper.checked")).all()
    assert len(audits) == 5 and all("OK-1" not in a.details and "WEB" not in a.details for a in audits)
    with pytest.raises(ServiceError):
        paper.check_person(staff, station, "   ")


def test_a_paper_ballot_is_cast_like_a_web_one_and_blocks_voting_online(city, db, station, staff):
    entry = make_census_entry("P-1", city.district)
    check = paper.check_person(staff, station, "P-1")
    code = paper.cast_paper(staff, city.cycle, check.token, valid_choices(city))
    assert services.normalise_receipt(code) == code
    [participation] = db.session.scalars(select(Participation)).all()
    assert (participation.voter_key, participation.channel, participation.recorded_by_id, participation.station_id) == (
        f"census:{entry.identifier_hash}", VoteChannel.PAPER, staff.id, station.id)
    assert counts(db) == (1, 2, 3)
    # The same person, later, online with their account: refused.
    census.bind_census(city.voter, "P-1")
    with pytest.raises(ServiceError, match="already voted"):
        services.cast(city.voter, city.cycle, valid_choices(city))
    # Nor a second paper ballot with the same (still valid) token, nor at another check.
    with pytest.raises(ServiceError, match="already voted"):
        paper.cast_paper(staff, city.cycle, check.token, valid_choices(city))
    assert paper.check_person(staff, station, "P-1").status == "voted"
    assert counts(db) == (1, 2, 3)
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "vote.recorded")).all()
    assert (audit.actor_id, audit.channel) == (staff.id, "paper")
    # Who entered it, where, for whom: never the choices.
    assert json.loads(audit.details) == {"station": station.id, "voter": f"census:{entry.identifier_hash}"}
    assert [(s.name, name, n) for s, name, n in paper.entries_by_station(city.cycle)] == [
        (station.name, staff.display_name, 1)]


def test_a_bad_paper_ballot_is_refused_with_the_web_rules(city, db, station, staff):
    make_census_entry("P-1", city.district)
    token = paper.check_person(staff, station, "P-1").token
    with pytest.raises(services.BallotInvalid) as refused:
        paper.cast_paper(staff, city.cycle, token, {None: ids(city.city_items), city.district.id: []})
    assert "the maximum is 5" in str(refused.value.errors[None][0])
    assert counts(db) == (0, 0, 0)


def test_tokens_belong_to_one_staff_member_cycle_and_station(city, db, station, staff):
    from tests.voting.conftest import make_voting_city

    make_census_entry("P-1", city.district)
    token = paper.check_person(staff, station, "P-1").token
    with pytest.raises(NotAllowed, match="expired"):
        paper.cast_paper(make_user(Role.AGENT), city.cycle, token, valid_choices(city))
    with pytest.raises(NotAllowed, match="expired"):
        paper.cast_paper(staff, make_voting_city().cycle, token, valid_choices(city))
    with pytest.raises(NotAllowed, match="expired"):
        paper.cast_paper(staff, city.cycle, token[:-2] + "xx", valid_choices(city))
    station.open = False
    with pytest.raises(NotAllowed, match="closed"):
        paper.cast_paper(staff, city.cycle, token, valid_choices(city))
    assert counts(db) == (0, 0, 0)


def test_a_web_vote_then_paper_is_refused_at_the_check_and_at_the_cast(city, db, station, staff):
    entry = make_census_entry("W-1", city.district, user=city.voter)
    services.cast(city.voter, city.cycle, valid_choices(city))
    assert paper.check_person(staff, station, "W-1").status == "voted"
    with pytest.raises(ServiceError, match="already voted"):
        services.cast(staff, city.cycle, valid_choices(city), channel="paper", voter=services.voter_for_census(entry),
                      station=station)
    assert counts(db) == (1, 2, 3)


def test_a_paper_voter_can_change_their_ballot_online_with_the_receipt_once_verified(city, db, station, staff):
    make_census_entry("P-2", city.district)
    code = paper.cast_paper(staff, city.cycle, paper.check_person(staff, station, "P-2").token, valid_choices(city))
    with pytest.raises(ServiceError, match="not voted"):  # an account that is not this person
        services.change_ballot(city.voter, city.cycle, code, {None: ids(city.city_items[3:4]),
                                                              city.district.id: ids(city.district_items[2:])})
    census.bind_census(city.voter, "p-2")
    services.change_ballot(city.voter, city.cycle, code, {None: ids(city.city_items[3:4]),
                                                          city.district.id: ids(city.district_items[2:])})
    assert counts(db) == (1, 2, 2)
