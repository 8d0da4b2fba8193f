"""Races on a real, committed database (the SQLite file of the run, or PostgreSQL with DATABASE_URL).

Each attempt runs in its own thread with its own app context, session and pooled connection, as concurrent
requests do. A barrier releases them together. The rolled-back ``db`` fixture cannot be used here: its single
connection would serialise everything.
"""

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.accounts.models import User
from app.cycles.models import Cycle
from app.extensions import db
from app.voting import services
from app.voting.models import Ballot, BallotChoice, BallotRules, Participation
from tests.conftest import RACE_THREADS, committed, run_together
from tests.factories import make_user
from tests.voting.conftest import ids, make_voting_city

THREADS = RACE_THREADS
ROUNDS = 6


@pytest.fixture
def committed_city(race_app):
    """A voting cycle (ballot frozen, no rules saved: the first ballot saves the defaults), committed."""
    with race_app.test_request_context(headers={"Accept-Language": "en"}):
        city = make_voting_city(rules=False)
        choices = {None: ids(city.city_items[:3]), city.district.id: ids(city.district_items[:2])}
        ids_ = {"cycle": city.cycle.id, "district": city.district.id}
        db.session.commit()
        return ids_, choices


def attempt(app, barrier, user_id: int, cycle_id: int, choices: dict) -> tuple[str, str]:
    """What a request does: load, end the read transaction, cast, commit (or roll back)."""
    with app.app_context(), force_locale("en"):
        user = db.session.get(User, user_id)
        cycle = db.session.get(Cycle, cycle_id)
        db.session.commit()
        barrier.wait()
        return committed("cast", lambda: services.cast(user, cycle, choices))


def totals(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (Participation, Ballot, BallotChoice))


def test_fifty_simultaneous_ballots_of_one_voter_make_one_vote_each_round(race_app, committed_city):
    ids_, choices = committed_city
    for round_number in range(1, ROUNDS + 1):
        with race_app.app_context():
            voter_id = make_user(district_id=ids_["district"]).id
            db.session.commit()
        results = run_together(race_app, [(attempt, voter_id, ids_["cycle"], choices)] * THREADS)
        outcomes = [kind for kind, _text in results]
        assert [r for r in results if r[0] == "error"] == []
        assert outcomes.count("cast") == 1, results
        assert {text for kind, text in results if kind == "refused"} == {"You have already voted in this budget."}
        with race_app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Participation)
                                     .where(Participation.voter_key == f"user:{voter_id}")) == 1
        # Nothing half-written: one participation, two ballots (city, district) and five choices per round.
        assert totals(race_app) == (round_number, 2 * round_number, 5 * round_number)
    with race_app.app_context():
        [rules] = db.session.scalars(select(BallotRules)).all()  # saved once, by the first ballot ever
        assert rules.frozen_at is not None


def test_many_voters_at_once_never_see_database_is_locked(race_app, committed_city):
    """Different voters at the same moment: everyone's ballot goes through (SQLite waits, never fails)."""
    ids_, choices = committed_city
    with race_app.app_context():
        voters = [make_user(district_id=ids_["district"]).id for _ in range(THREADS)]
        db.session.commit()
    results = run_together(race_app, [(attempt, voter, ids_["cycle"], choices) for voter in voters])
    assert [r for r in results if r[0] != "cast"] == []
    assert len({code for _kind, code in results}) == THREADS  # every receipt is different
    assert totals(race_app) == (THREADS, 2 * THREADS, 5 * THREADS)


def bind_attempt(app, barrier, user_id: int, identifier: str) -> tuple[str, str]:
    from app.voting.census import bind_census

    with app.app_context(), force_locale("en"):
        user = db.session.get(User, user_id)
        db.session.commit()
        barrier.wait()
        return committed("bound", lambda: bind_census(user, identifier) and identifier)


def recorded_keys(app, voter_id: int) -> tuple[list[str], str]:
    """The keys the account ``voter_id`` has voted under (its own, its census entry's), and its census entry's."""
    from app.voting.models import CensusEntry

    with app.app_context():
        digest = db.session.scalar(select(CensusEntry.identifier_hash).where(CensusEntry.user_id == voter_id))
        keys = db.session.scalars(select(Participation.voter_key).where(
            Participation.voter_key.in_([f"user:{voter_id}", f"census:{digest}"]))).all()
        return keys, f"census:{digest}"


def test_census_entries_bind_once_under_concurrency(race_app):
    """20 accounts typing the same identifier at once: one binds. One account typing 10 identifiers at once
    (two tabs, a script): it binds one."""
    from app.voting.models import CensusEntry
    from tests.factories import make_district
    from tests.voting.conftest import make_census_entry

    with race_app.test_request_context():
        district = make_district()
        for n in range(11):
            make_census_entry(f"RACE-{n}", district)
        users = [make_user().id for _ in range(21)]
        db.session.commit()
    results = run_together(race_app, [(bind_attempt, user, "RACE-0") for user in users[:20]])
    assert [kind for kind, _ in results].count("bound") == 1, results
    assert {text for kind, text in results if kind != "bound"} == {
        "This identifier is already linked to another account. If it is yours, please contact city hall."}
    results = run_together(race_app, [(bind_attempt, users[20], f"RACE-{n}") for n in range(1, 11)])
    assert [kind for kind, _ in results].count("bound") == 1, results
    assert {text for kind, text in results if kind != "bound"} == {"Your account is already verified."}
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CensusEntry)
                                 .where(CensusEntry.user_id.is_not(None))) == 2


def test_a_vote_and_a_census_binding_of_one_account_at_once_leave_one_key(race_app, committed_city):
    """Whichever comes first, the account's vote ends up under its census key (so paper cannot add a second)."""
    from tests.voting.conftest import make_census_entry

    ids_, choices = committed_city
    for round_number in range(4):
        with race_app.test_request_context():
            from app.cycles.models import District

            voter_id = make_user(district_id=ids_["district"]).id
            make_census_entry(f"BOTH-{round_number}", db.session.get(District, ids_["district"]))
            db.session.commit()
        vote, bind = run_together(race_app, [(attempt, voter_id, ids_["cycle"], choices),
                                             (bind_attempt, voter_id, f"BOTH-{round_number}")])
        assert (vote[0], bind[0]) == ("cast", "bound")
        keys, census_key = recorded_keys(race_app, voter_id)
        assert keys == [census_key], keys


def paper_attempt(app, barrier, staff_id: int, identifier: str, cycle_id: int, choices: dict) -> tuple[str, str]:
    """What the polling station's confirmation does: find the person in the census, then record their ballot."""
    from app.voting.census import find_entry

    with app.app_context(), force_locale("en"):
        staff = db.session.get(User, staff_id)
        cycle = db.session.get(Cycle, cycle_id)
        voter = services.voter_for_census(find_entry(identifier))
        db.session.commit()
        barrier.wait()
        return committed("cast", lambda: services.cast(staff, cycle, choices, channel="paper", voter=voter))


def test_one_person_online_and_on_paper_at_once_votes_once(race_app, committed_city):
    """The resident votes online while staff record the same person's paper ballot: two accounts act, no lock is
    shared, and the register's unique index decides. The other is told they have already voted; nothing of theirs
    is written."""
    from app.accounts.models import Role
    from app.cycles.models import District
    from app.voting.census import census_key
    from tests.voting.conftest import make_census_entry

    ids_, choices = committed_city
    with race_app.app_context():
        staff_id = make_user(Role.OFFICIAL).id
        db.session.commit()
    for round_number in range(1, ROUNDS + 1):
        with race_app.test_request_context():
            voter = make_user(district_id=ids_["district"])
            entry = make_census_entry(f"BOOTH-{round_number}", db.session.get(District, ids_["district"]), user=voter)
            voter_id, key = voter.id, census_key(entry)
            db.session.commit()
        online, booth = run_together(race_app, [(attempt, voter_id, ids_["cycle"], choices),
                                                (paper_attempt, staff_id, f"BOOTH-{round_number}", ids_["cycle"],
                                                 choices)])
        assert sorted([online[0], booth[0]]) == ["cast", "refused"], (online, booth)
        assert "You have already voted in this budget." in {online[1], booth[1]}
        with race_app.app_context():
            assert db.session.scalars(select(Participation.voter_key)
                                      .where(Participation.voter_key == key)).all() == [key]
        assert totals(race_app) == (round_number, 2 * round_number, 5 * round_number)
