"""Voting codes against the database: batches, hashing, entry checks, casting with a code, voiding, census-bound
codes in either order with online votes, and secrecy (no code anywhere in the database or the audit log)."""

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry
from app.voting import census, codes, services
from app.voting.models import Ballot, CodeBatch, Participation, VoteChannel, VotingCode
from tests.factories import make_district, make_user
from tests.voting.conftest import counts, later, make_census_entry
from tests.voting.test_voting_services import assert_nowhere_in_database, valid_choices

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")

pytestmark = pytest.mark.usefixtures("clear_desk_cache")


@pytest.fixture
def official(ctx):
    return make_user(Role.OFFICIAL)


def make_batch(official, city, count: int = 3, **options) -> tuple[CodeBatch, list[str]]:
    return codes.generate_batch(official, city.cycle, options.pop("district", city.district),
                                options.pop("label", f"Lettres {count}"), count, **options)


def batch_counts(db) -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(CodeBatch)),
            db.session.scalar(select(func.count()).select_from(VotingCode)))


# --- Generating ------------------------------------------------------------------------------------------------------

def test_a_batch_stores_only_keyed_hashes_of_distinct_readable_60_bit_codes(official, city, db, app):
    batch, generated = make_batch(official, city, 200)
    assert len(generated) == len(set(generated)) == 200 == batch.size
    assert all(CODE.match(code) for code in generated)
    assert codes.CODE_LENGTH * 5 >= 50 and len(services.RECEIPT_ALPHABET) == 32
    stored = set(db.session.scalars(select(VotingCode.code_hash).where(VotingCode.batch_id == batch.id)))
    assert stored == {codes.code_hash(code) for code in generated}
    # The hash is keyed: without the secret, hashing a code gives something else.
    assert codes.code_hash(generated[0], b"another key") not in stored
    assert_nowhere_in_database(db, generated + [code.replace("-", "") for code in generated])


def test_the_code_secret_comes_from_config_else_from_the_secret_key(app, ctx):
    derived = codes.code_secret()
    assert derived != app.config["SECRET_KEY"].encode() and derived != census.census_secret()
    app.config["VOTING_CODE_SECRET"] = "a-dedicated-secret"
    try:
        assert codes.code_secret() == b"a-dedicated-secret"
    finally:
        app.config["VOTING_CODE_SECRET"] = ""


def test_generation_is_audited_without_any_code(official, city, db):
    batch, generated = make_batch(official, city, 5, label="École Jules Ferry")
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "codes.generated")).all()
    assert entry.actor_id == official.id and entry.target_id == str(batch.id)
    assert '"count": 5' in entry.details and "École Jules Ferry" in entry.details
    assert not any(code in entry.details or code.replace("-", "") in entry.details for code in generated)


@pytest.mark.parametrize(("count", "label", "field"), [
    (0, "Lettres", "count"), (5001, "Lettres", "count"), (-3, "Lettres", "count"), ("12", "Lettres", "count"),
    (True, "Lettres", "count"), (10, "", "label"), (10, "   ", "label"), (10, "x" * 121, "label"),
])
def test_bad_batches_are_refused_and_write_nothing(official, city, db, count, label, field):
    with pytest.raises(ServiceError) as refused:
        codes.generate_batch(official, city.cycle, city.district, label, count)
    assert refused.value.field == field
    assert batch_counts(db) == (0, 0)


def test_a_batch_is_for_a_district_of_the_cycle(official, city, db):
    for district in (None, make_district("Ailleurs")):
        with pytest.raises(ServiceError, match="district that votes") as refused:
            codes.generate_batch(official, city.cycle, district, "Lettres", 3)
        assert refused.value.field == "district"
    assert batch_counts(db) == (0, 0)


def test_a_batch_name_is_unique_in_a_cycle(official, city, db):
    make_batch(official, city, label="Marché de Wazemmes")
    with pytest.raises(ServiceError, match="already has a batch with this name"):
        make_batch(official, city, label="Marché  de Wazemmes ")
    assert batch_counts(db) == (1, 3)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.OFFICIAL])
def test_only_officials_generate_and_void(city, db, role):
    someone = make_user(role)
    with pytest.raises(NotAllowed):
        codes.generate_batch(someone, city.cycle, city.district, "Lettres", 3)
    batch, _codes = make_batch(make_user(Role.OFFICIAL), city)
    with pytest.raises(NotAllowed):
        codes.void_batch(someone, batch)
    assert db.session.get(CodeBatch, batch.id).voided_at is None


def test_the_same_form_sent_again_finds_its_batch_and_never_makes_a_second(official, city, db):
    key = "k" * 32
    batch, _codes = make_batch(official, city, form_key=key)
    with pytest.raises(codes.BatchAlreadyGenerated) as again:
        make_batch(official, city, form_key=key, label="Another name")
    assert again.value.batch.id == batch.id
    with pytest.raises(ServiceError, match="expired"):
        make_batch(official, city, form_key="short")
    assert batch_counts(db) == (1, 3)


def test_no_codes_once_voting_has_closed(official, city, db, monkeypatch):
    monkeypatch.setattr(clock, "_now", later(40))
    with pytest.raises(ServiceError, match="Voting has closed"):
        make_batch(official, city)
    assert batch_counts(db) == (0, 0)


# --- Typing a code ---------------------------------------------------------------------------------------------------

def test_a_code_is_read_as_people_type_it(official, city, db):
    _batch, [code] = make_batch(official, city, 1)
    for typed in (code, code.lower(), code.replace("-", " "), f"  {code.replace('-', '')} ",
                  code.replace("0", "O").replace("1", "I")):
        entry = codes.open_code(typed)
        assert entry.cycle.id == city.cycle.id and not entry.needs_details


@pytest.mark.parametrize("typed", ["", "ABCD", "ABCD-EFGH-JKMN-P", "UUUU-UUUU-UUUU", "ABCD-EFGH-JKM!"])
def test_a_code_of_the_wrong_form_is_refused(ctx, typed):
    with pytest.raises(ServiceError, match="12 letters and digits") as refused:
        codes.open_code(typed)
    assert refused.value.field == "code"


def test_unknown_used_and_voided_codes_are_refused_by_name(official, city, db):
    _batch, [first, second] = make_batch(official, city, 2)
    with pytest.raises(ServiceError, match="not valid"):
        codes.open_code("0000-0000-0000")
    entry = codes.open_code(first)
    codes.cast_with_code(entry.token, valid_choices(city))
    with pytest.raises(ServiceError, match="already been used"):
        codes.open_code(first)
    batch = db.session.scalar(select(CodeBatch))
    assert codes.void_batch(official, batch) == 1
    with pytest.raises(ServiceError, match="cancelled"):
        codes.open_code(second)


def test_codes_work_only_while_voting_is_open(official, city, db, monkeypatch):
    _batch, [code] = make_batch(official, city, 1)
    monkeypatch.setattr(clock, "_now", later(40))
    with pytest.raises(NotAllowed, match="Voting is not open"):
        codes.open_code(code)


# --- Casting with a code ---------------------------------------------------------------------------------------------

def test_casting_with_a_code_consumes_it_and_records_channel_code(official, city, db):
    batch, [code] = make_batch(official, city, 1)
    entry = codes.open_code(code)
    cycle, receipt = codes.cast_with_code(entry.token, valid_choices(city))
    assert cycle.id == city.cycle.id and CODE.match(receipt[:14])
    row = db.session.scalar(select(VotingCode))
    assert row.used_on == clock.local_now().date()
    [participation] = db.session.scalars(select(Participation)).all()
    assert (participation.voter_key, participation.channel) == (f"code:{row.id}", VoteChannel.CODE)
    assert participation.recorded_by_id is None
    assert counts(db) == (1, 2, 3)
    # The ballot of the code's district: Wazemmes' projects, not Fives'.
    assert {b.district_id for b in db.session.scalars(select(Ballot))} == {None, city.district.id}
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "vote.recorded")).all()
    assert audit.channel == "code" and f"code:{row.id}" in audit.details and code not in audit.details
    with pytest.raises(ServiceError, match="already been used"):
        codes.cast_with_code(entry.token, valid_choices(city))
    assert counts(db) == (1, 2, 3)


def test_a_ballot_breaking_the_rules_writes_nothing_and_leaves_the_code_unused(official, city, db):
    _batch, [code] = make_batch(official, city, 1)
    token = codes.open_code(code).token
    too_many = {None: [str(i.id) for i in city.city_items], city.district.id: []}
    attempt = db.session.begin_nested()  # the request's transaction, which the view rolls back
    with pytest.raises(services.BallotInvalid):
        codes.cast_with_code(token, too_many)
    attempt.rollback()
    assert counts(db) == (0, 0, 0)
    assert db.session.scalar(select(VotingCode)).used_on is None
    codes.cast_with_code(token, valid_choices(city))
    assert counts(db) == (1, 2, 3)


def test_a_tampered_or_foreign_token_is_refused(official, city, db):
    _batch, [code] = make_batch(official, city, 1)
    token = codes.open_code(code).token
    for bad in ("", token[:-2] + "xx", "not-a-token"):
        with pytest.raises(ServiceError, match="expired"):
            codes.cast_with_code(bad, valid_choices(city))
    assert counts(db) == (0, 0, 0)


def test_voiding_stops_unused_codes_and_keeps_the_votes_cast(official, city, db):
    batch, generated = make_batch(official, city, 3)
    token = codes.open_code(generated[0]).token
    waiting = codes.open_code(generated[1]).token
    codes.cast_with_code(token, valid_choices(city))
    assert codes.void_batch(official, batch) == 2
    with pytest.raises(ServiceError, match="cancelled"):
        codes.cast_with_code(waiting, valid_choices(city))  # a ballot started before the batch was voided
    with pytest.raises(ServiceError, match="already been voided"):
        codes.void_batch(official, batch)
    assert counts(db) == (1, 2, 3)
    [row] = codes.batches_of(city.cycle)
    assert (row.used, row.unused, row.batch.voided_by_id) == (1, 2, official.id)
    [audit] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "codes.voided")).all()
    assert '"unused": 2' in audit.details and '"used": 1' in audit.details


def test_a_code_holder_declares_a_year_of_birth_where_the_cycle_has_a_minimum_age(official, city, db):
    census.save_eligibility(official, city.cycle, False, 16)
    _batch, [code, other] = make_batch(official, city, 2)
    entry = codes.open_code(code)
    assert entry.ask_birth_year and not entry.ask_identifier
    with pytest.raises(ServiceError, match="year of birth") as refused:
        codes.confirm_details(entry.token, None, None)
    assert refused.value.field == "birth_year"
    with pytest.raises(ServiceError, match="expired"):
        codes.cast_with_code(entry.token, valid_choices(city))  # the year was not given
    too_young = clock.local_now().year - 10
    with pytest.raises(NotAllowed, match="aged 16 or over"):
        codes.confirm_details(entry.token, None, too_young)
    _cycle, token = codes.confirm_details(codes.open_code(other).token, None, 1990)
    codes.cast_with_code(token, valid_choices(city))
    assert counts(db) == (1, 2, 3)


# --- Census-bound codes ----------------------------------------------------------------------------------------------

def test_a_census_bound_code_votes_as_the_census_entry(official, city, db):
    entry = make_census_entry("LIL-0042", city.district)
    _batch, [code] = make_batch(official, city, 1, census_bound=True)
    opened = codes.open_code(code)
    assert opened.ask_identifier and not opened.ask_birth_year
    for wrong in ("", "LIL-9999"):
        with pytest.raises(ServiceError, match="identifier") as refused:
            codes.confirm_details(opened.token, wrong, None)
        assert refused.value.field == "identifier"
    _cycle, token = codes.confirm_details(opened.token, " lil-0042 ", None)
    codes.cast_with_code(token, valid_choices(city))
    [participation] = db.session.scalars(select(Participation)).all()
    assert participation.voter_key == census.census_key(entry) and participation.channel == VoteChannel.CODE
    # Online afterwards, with an account bound to the same entry: refused.
    voter = make_user(district=city.district)
    census.bind_census(voter, "LIL-0042")
    with pytest.raises(ServiceError, match="already voted"):
        services.cast(voter, city.cycle, valid_choices(city))
    assert counts(db) == (1, 2, 3)


def test_a_census_bound_code_after_voting_online_is_refused(official, city, db):
    voter = make_user(district=city.district)
    make_census_entry("LIL-0043", city.district, user=voter)
    services.cast(voter, city.cycle, valid_choices(city))
    _batch, [code] = make_batch(official, city, 1, census_bound=True)
    opened = codes.open_code(code)
    with pytest.raises(ServiceError, match="already voted"):
        codes.confirm_details(opened.token, "LIL-0043", None)
    assert counts(db) == (1, 2, 3)
    assert db.session.scalar(select(VotingCode)).used_on is None  # the code stays usable by its rightful holder


def test_a_census_bound_code_is_for_the_residents_of_its_district(official, city, db):
    make_census_entry("FIV-0001", city.other_district)
    make_census_entry("OLD-0001", city.district, active=False)
    _batch, [code] = make_batch(official, city, 1, census_bound=True)
    token = codes.open_code(code).token
    with pytest.raises(ServiceError, match="another district"):
        codes.confirm_details(token, "FIV-0001", None)
    with pytest.raises(ServiceError, match="not on the list"):
        codes.confirm_details(token, "OLD-0001", None)


def test_one_census_bound_code_cannot_serve_two_residents(official, city, db):
    make_census_entry("LIL-0050", city.district)
    make_census_entry("LIL-0051", city.district)
    _batch, [code] = make_batch(official, city, 1, census_bound=True)
    token = codes.open_code(code).token
    _c, first = codes.confirm_details(token, "LIL-0050", None)
    _c, second = codes.confirm_details(token, "LIL-0051", None)
    codes.cast_with_code(first, valid_choices(city))
    with pytest.raises(ServiceError, match="already been used"):
        codes.cast_with_code(second, valid_choices(city))
    assert counts(db) == (1, 2, 3)
