"""The census against the database: reading files, replacing the list, binding accounts, eligibility, secrecy."""

import hashlib
import hmac

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry
from app.voting import census, services
from app.voting.models import CensusEntry, Participation
from tests.factories import make_district, make_user
from tests.voting.conftest import counts, ids, make_census_entry
from tests.voting.test_voting_services import assert_nowhere_in_database, valid_choices


@pytest.fixture
def official(ctx):
    return make_user(Role.OFFICIAL)


def entries(db) -> dict[str, tuple]:
    """identifier hash -> (district id, birth year, active)."""
    return {e.identifier_hash: (e.district_id, e.birth_year, e.active) for e in db.session.scalars(select(CensusEntry))}


def h(identifier: str) -> str:
    return census.identifier_hash(identifier)


# --- Reading files ---------------------------------------------------------------------------------------------------

def test_a_semicolon_file_with_bom_header_accents_and_slugs(official, city, db):
    fives = city.other_district
    data = ("\ufeffIdentifiant;Quartier;Année de naissance\r\n"
            "lil 0001;WAZEMMES;1980\r\n"
            "\r\n"
            f"LIL-0002;{fives.slug};2001\r\n"
            "LIL-0003;  Wâzemmes ;1999\r\n").encode()
    result = census.import_census(official, data, "recensement.csv")
    assert (result.rows, result.added, result.deactivated) == (3, 3, 0)
    assert entries(db) == {h("LIL0001"): (city.district.id, 1980, True), h("lil-0002"): (fives.id, 2001, True),
                           h("LIL-0003"): (city.district.id, 1999, True)}


def test_a_comma_file_without_header_in_windows_1252(official, city, db):
    make_district("Hellemmes-Lille")
    data = "A1,hellemmes lille,1950\nA2,Wazemmes,1960\n".encode("cp1252")
    assert census.import_census(official, data).added == 2
    data = "B1;Fivés;1970\n".encode("cp1252")  # accents in a Windows-1252 file
    assert census.import_census(official, data).added == 1


def test_a_bad_file_names_each_line_and_writes_nothing(official, city, db):
    make_census_entry("KEEP-1", city.district)
    data = ("id;district;year\n"
            "X1;Wazemmes;1980\n"
            "X2;Nowhere;1980\n"
            "X3;Wazemmes;19x0\n"
            "X4;Wazemmes\n"
            ";Wazemmes;1980\n"
            "x 1;Wazemmes;1981\n"
            f"X5;Wazemmes;{clock.local_now().year + 1}\n").encode()
    before = entries(db)
    with pytest.raises(census.CensusFileInvalid) as refused:
        census.import_census(official, data)
    assert [str(e) for e in refused.value.errors] == [
        "Line 3: unknown district “Nowhere”.",
        f"Line 4: “19x0” is not a year of birth (four digits, from 1880 to {clock.local_now().year}).",
        "Line 5: expected 3 columns (identifier, district, year of birth), found 2.",
        "Line 6: the identifier is missing.",
        "Line 7: this identifier is already on line 2.",
        f"Line 8: “{clock.local_now().year + 1}” is not a year of birth (four digits, from 1880 to "
        f"{clock.local_now().year}).",
    ]
    assert entries(db) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "census.uploaded")) == 0


def test_many_errors_are_counted_not_all_listed(official, city, db):
    data = "".join(f"Z{n};Atlantis;1980\n" for n in range(80)).encode()
    with pytest.raises(census.CensusFileInvalid) as refused:
        census.import_census(official, data)
    assert len(refused.value.errors) == census.MAX_ERRORS and refused.value.more == 30


def test_empty_and_binary_files_are_refused(official, city, db):
    for data in (b"", b"\n\n", b"identifier;district;year\n"):
        with pytest.raises(census.CensusFileInvalid):
            census.import_census(official, data)
    with pytest.raises(census.CensusFileInvalid):
        census.import_census(official, b"\x00\x01\x02;\xff\xfe;\x00")
    assert entries(db) == {}


def test_only_officials_upload(city, db):
    for role in Role:
        if role != Role.OFFICIAL:
            with pytest.raises(NotAllowed):
                census.import_census(make_user(role), b"A;Wazemmes;1980\n")
    assert entries(db) == {}


# --- Replacing the list ----------------------------------------------------------------------------------------------

def test_a_new_upload_replaces_the_list_and_keeps_what_it_no_longer_lists(official, city, db):
    voter = make_user(district=city.district)
    census.import_census(official, b"A;Wazemmes;1980\nB;Wazemmes;1990\nC;Fives;2000\n")
    census.bind_census(voter, "b")
    result = census.import_census(official, b"A;Wazemmes;1980\nC;Wazemmes;2000\nD;Fives;1970\n")
    assert (result.added, result.updated, result.deactivated, result.unchanged) == (1, 1, 1, 1)
    rows = entries(db)
    assert rows[h("B")] == (city.district.id, 1990, False)  # inactive, not deleted
    assert rows[h("C")] == (city.district.id, 2000, True)  # moved
    assert db.session.scalar(select(CensusEntry.user_id).where(CensusEntry.identifier_hash == h("B"))) == voter.id
    result = census.import_census(official, b"A;Wazemmes;1980\nB;Wazemmes;1990\n")
    assert (result.reactivated, result.deactivated) == (1, 2)
    assert entries(db)[h("B")][2] is True
    [entry, *_] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "census.uploaded")
                                     .order_by(AuditEntry.id.desc())).all()
    assert entry.actor_id == official.id and '"deactivated": 2' in entry.details


def test_no_table_holds_a_raw_identifier(official, city, db, app):
    identifiers = ["LIL-7F3K-20A9", "RAW-IDENTIFIER-42"]
    data = f"{identifiers[0]};Wazemmes;1980\n{identifiers[1]};Fives;1990\n".encode()
    census.import_census(official, data, "liste.csv")
    voter = make_user(district=city.district)
    census.bind_census(voter, identifiers[0].lower())
    services.cast(voter, city.cycle, valid_choices(city))
    paper_voter = services.voter_for_census(census.find_entry(identifiers[1]))
    services.cast(official, city.cycle, {None: ids(city.city_items[:1]), city.other_district.id: ids(city.other_items)},
                  channel="paper", voter=paper_voter)
    needles = [i for identifier in identifiers for i in (identifier, identifier.replace("-", ""), identifier.lower())]
    assert_nowhere_in_database(db, needles)
    secret = census.census_secret()
    assert entries(db).keys() == {hmac.new(secret, i.upper().replace("-", "").encode(), hashlib.sha256).hexdigest()
                                  for i in identifiers}


def test_the_census_secret_comes_from_config_else_from_the_secret_key(app, ctx):
    derived = census.identifier_hash("A1")
    app.config["CENSUS_SECRET"] = "another-secret"
    try:
        assert census.identifier_hash("A1") == hmac.new(b"another-secret", b"A1", hashlib.sha256).hexdigest()
        assert census.identifier_hash("A1") != derived
    finally:
        app.config["CENSUS_SECRET"] = ""
    assert derived != hmac.new(app.config["SECRET_KEY"].encode(), b"A1", hashlib.sha256).hexdigest()


# --- Binding ---------------------------------------------------------------------------------------------------------

def test_one_entry_binds_to_one_account_and_one_account_to_one_entry(city, db):
    make_census_entry("A1", city.district)
    make_census_entry("A2", city.district)
    first, second = make_user(), make_user()
    entry = census.bind_census(first, " a1 ")
    assert entry.user_id == first.id
    with pytest.raises(ServiceError, match="already linked to another account"):
        census.bind_census(second, "A1")
    with pytest.raises(ServiceError, match="already verified"):
        census.bind_census(first, "A2")
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "census.bound")).all()
    assert audit.actor_id == first.id and "A1" not in audit.details


def test_the_database_refuses_a_second_entry_for_one_account(city, db):
    from sqlalchemy.exc import IntegrityError

    user = make_user()
    make_census_entry("A1", city.district, user=user)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        make_census_entry("A2", city.district, user=user)


def test_unknown_and_inactive_identifiers_are_refused_alike(city, db):
    make_census_entry("GONE", city.district, active=False)
    user = make_user()
    for identifier in ("NOPE", "GONE", ""):
        with pytest.raises(ServiceError):
            census.bind_census(user, identifier)
    assert census.entry_of_account(user) is None


def test_binding_moves_earlier_votes_to_the_census_key_in_the_same_transaction(city, db):
    services.cast(city.voter, city.cycle, valid_choices(city))
    entry = make_census_entry("A1", city.district, birth_year=1990)
    census.bind_census(city.voter, "A1")
    [participation] = db.session.scalars(select(Participation)).all()
    assert participation.voter_key == f"census:{entry.identifier_hash}"
    voter = services.voter_for_account(city.voter)
    assert (voter.key, voter.district_id, voter.birth_year) == (participation.voter_key, city.district.id, 1990)
    assert services.participation_of(city.voter, city.cycle) is not None
    agent = make_user(Role.AGENT)
    with pytest.raises(ServiceError, match="already voted"):  # no second vote on paper
        services.cast(agent, city.cycle, valid_choices(city), channel="paper", voter=services.voter_for_census(entry))
    assert counts(db) == (1, 2, 3)


def test_a_person_who_voted_twice_before_binding_keeps_both_rows_for_officials(city, db):
    entry = make_census_entry("A1", city.district)
    services.cast(make_user(Role.AGENT), city.cycle, valid_choices(city), channel="paper",
                  voter=services.voter_for_census(entry))
    services.cast(city.voter, city.cycle, valid_choices(city))  # a cycle without census requirement
    census.bind_census(city.voter, "A1")
    keys = set(db.session.scalars(select(Participation.voter_key)))
    assert keys == {f"census:{entry.identifier_hash}", f"user:{city.voter.id}"}
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "census.bound"))
    assert f'"double_votes": [{city.cycle.id}]' in audit.details


# --- Eligibility -----------------------------------------------------------------------------------------------------

def test_a_cycle_requiring_the_census_refuses_unverified_accounts(official, city, db):
    census.save_eligibility(official, city.cycle, True, None)
    with pytest.raises(census.CensusRequired):
        services.cast(city.voter, city.cycle, valid_choices(city))
    assert counts(db) == (0, 0, 0)
    make_census_entry("A1", city.other_district)
    census.bind_census(city.voter, "A1")
    # The census district wins over the account's: the voter votes in Fives now.
    with pytest.raises(services.BallotInvalid):
        services.cast(city.voter, city.cycle, valid_choices(city))
    services.cast(city.voter, city.cycle,
                  {None: ids(city.city_items[:1]), city.other_district.id: ids(city.other_items)})
    assert counts(db)[0] == 1


def test_an_inactive_entry_cannot_vote(official, city, db):
    make_census_entry("A1", city.district, user=city.voter, active=False)
    with pytest.raises(NotAllowed, match="no longer valid"):
        services.cast(city.voter, city.cycle, valid_choices(city))


def test_minimum_age_from_the_census_else_declared_once(official, city, db):
    census.save_eligibility(official, city.cycle, False, 16)
    year = clock.local_now().year
    with pytest.raises(census.BirthYearNeeded):
        services.cast(city.voter, city.cycle, valid_choices(city))
    census.declare_birth_year(city.voter, year - 15)
    with pytest.raises(NotAllowed, match=f"aged 16 or over \\(born in {year - 16} or before\\)"):
        services.cast(city.voter, city.cycle, valid_choices(city))
    with pytest.raises(ServiceError, match="already known"):
        census.declare_birth_year(city.voter, year - 30)
    # Census-bound: the census year wins over the declaration.
    make_census_entry("A1", city.district, birth_year=year - 16)
    census.bind_census(city.voter, "A1")
    services.cast(city.voter, city.cycle, valid_choices(city))
    assert counts(db)[0] == 1


def test_declared_years_are_checked(city, db):
    for bad in (None, 1500, clock.local_now().year + 1):
        with pytest.raises(ServiceError, match="year of birth"):
            census.declare_birth_year(city.voter, bad)


def test_old_enough_counts_the_age_reached_during_the_year():
    assert census.old_enough(2010, 16, year=2026)
    assert not census.old_enough(2011, 16, year=2026)


def test_eligibility_settings_are_for_officials_and_freeze_with_the_first_ballot(official, city, db):
    with pytest.raises(NotAllowed):
        census.save_eligibility(make_user(Role.AGENT), city.cycle, True, 16)
    with pytest.raises(ServiceError, match="between 0 and 120"):
        census.save_eligibility(official, city.cycle, True, 130)
    rules = census.save_eligibility(official, city.cycle, True, 16)
    assert (rules.census_required, rules.minimum_age) == (True, 16)
    census.save_eligibility(official, city.cycle, False, None)
    assert census.eligibility_of(city.cycle) == (False, None)
    services.cast(city.voter, city.cycle, valid_choices(city))
    with pytest.raises(ServiceError, match="can no longer change"):
        census.save_eligibility(official, city.cycle, True, None)
    assert census.eligibility_of(city.cycle) == (False, None)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "voting.eligibility_saved")) == 2
