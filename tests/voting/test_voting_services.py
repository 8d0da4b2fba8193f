"""Voting services against the database: rules, casting, changing, receipts, refusals that write nothing."""

import hashlib
import hmac
import re
from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import NotAllowed, ServiceError
from app.core.i18n import euros
from app.core.models import AuditEntry
from app.cycles.models import Cycle, PhaseKind
from app.voting import services
from app.voting.models import Ballot, BallotChoice, BallotKind, BallotRules, Participation, VoteChannel
from tests.factories import make_user
from tests.voting.conftest import CITY_BUDGET, counts, ids, later, make_census_entry, make_voting_city


def envelope(city, key):
    return next(e for e in services.voter_envelopes(city.cycle, city.voter) if e.key == key)


def texts(errors) -> list[str]:
    return [str(error) for error in errors]


def valid_choices(city) -> dict:
    return {None: ids(city.city_items[:2]), city.district.id: ids(city.district_items[:1])}


# --- Envelopes and rule checks ---------------------------------------------------------------------------------------

def test_voter_envelopes_are_the_city_and_their_district(city):
    envelopes = services.voter_envelopes(city.cycle, city.voter)
    assert [(e.key, e.label, e.budget_cents) for e in envelopes] == [
        (None, "Whole city", CITY_BUDGET), (city.district.id, "Wazemmes", 100_000_00)]
    assert [i.id for i in envelopes[0].items] == [i.id for i in city.city_items]
    assert [i.id for i in envelopes[1].items] == [i.id for i in city.district_items]


def test_a_voter_without_district_must_choose_one(city):
    homeless = make_user()
    assert services.needs_district(city.cycle, homeless)
    assert not services.needs_district(city.cycle, city.voter)
    with pytest.raises(ServiceError, match="choose your district"):
        services.cast(homeless, city.cycle, {None: ids(city.city_items[:1])})
    services.choose_district(homeless, city.other_district)
    assert homeless.district_id == city.other_district.id
    assert [e.key for e in services.voter_envelopes(city.cycle, homeless)] == [None, city.other_district.id]


def test_approval_errors_name_the_rule_broken(city):
    rules = services.rules_for(city.cycle)
    whole_city = envelope(city, None)
    assert services.validate_choices(rules, whole_city, ids(city.city_items[:5])) == []
    assert texts(services.validate_choices(rules, whole_city, ids(city.city_items))) == [
        "You chose 6 projects; the maximum is 5."]
    assert texts(services.validate_choices(rules, whole_city, [])) == ["You chose 0 projects; the minimum is 1."]


def test_unknown_duplicate_foreign_ids_are_named(city, db):
    other = make_voting_city()
    rules = services.rules_for(city.cycle)
    first = city.city_items[0]
    errors = texts(services.validate_choices(rules, envelope(city, None), [
        str(first.id), str(first.id), "abc", "999999", str(city.district_items[0].id), str(other.city_items[0].id)]))
    assert errors == [
        "“abc” is not a project of this ballot.",
        f"You chose “{first.title}” more than once: each project can be chosen only once.",
        "Project no. 999999 is not on this ballot.",
        "“Projet Wazemmes 1” belongs to another envelope: it cannot be chosen among the projects of Whole city.",
        "“Projet ville 1” is a project of another budget: it cannot be chosen here.",
    ]


def test_knapsack_checks_the_budget_and_the_minimum_share(ctx):
    city = make_voting_city(kind=BallotKind.KNAPSACK, max_choices=None, min_share_percent=50)
    rules = services.rules_for(city.cycle)
    district = envelope(city, city.district.id)  # 100 000 €; projects of 30 000, 40 000, 50 000 €
    assert services.validate_choices(rules, district, ids(city.district_items[1:])) == []  # 90 000 €
    assert texts(services.validate_choices(rules, district, ids(city.district_items))) == [
        f"Your choices cost {euros(120_000_00)}, more than the {euros(100_000_00)} of this envelope: remove a "
        "project or choose a cheaper one."]
    assert texts(services.validate_choices(rules, district, ids(city.district_items[:1]))) == [
        f"Your choices cost {euros(30_000_00)}; please choose projects worth at least {euros(50_000_00)} (50% of "
        "the envelope)."]


# --- Casting ---------------------------------------------------------------------------------------------------------

def test_cast_writes_one_participation_and_one_anonymous_ballot_per_envelope(city, db):
    code = services.cast(city.voter, city.cycle, valid_choices(city))
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    [participation] = db.session.scalars(select(Participation)).all()
    assert (participation.voter_key, participation.channel, participation.recorded_by_id) == (
        f"user:{city.voter.id}", VoteChannel.WEB, None)
    assert participation.day == clock.local_now().date()
    ballots = {b.district_id: b for b in db.session.scalars(select(Ballot))}
    assert set(ballots) == {None, city.district.id}
    assert {c.ballot_item_id for c in ballots[None].choices} == {i.id for i in city.city_items[:2]}
    assert {c.ballot_item_id for c in ballots[city.district.id].choices} == {city.district_items[0].id}
    for ballot in ballots.values():
        assert re.fullmatch(r"[0-9a-f]{32}", ballot.id)
        assert type(ballot.day) is date
    assert db.session.get(Cycle, city.cycle.id).ballot_frozen_at is not None
    assert services.rules_of(city.cycle).frozen_at is not None


def test_a_second_vote_is_refused_and_writes_nothing(city, db):
    services.cast(city.voter, city.cycle, valid_choices(city))
    before = counts(db)
    for choices in ({None: ids(city.city_items[3:4]), city.district.id: ids(city.district_items[2:])},
                    {None: ids(city.city_items), city.district.id: []}):
        with pytest.raises(ServiceError) as refused:
            services.cast(city.voter, city.cycle, choices)
        assert str(refused.value.message) == "You have already voted in this budget."
    assert counts(db) == before


@pytest.mark.parametrize("bad", [
    lambda c: {None: ids(c.city_items), c.district.id: ids(c.district_items[:1])},  # too many
    lambda c: {None: [], c.district.id: ids(c.district_items[:1])},  # too few
    lambda c: {None: ids(c.city_items[:1]) * 2, c.district.id: ids(c.district_items[:1])},  # duplicate
    lambda c: {None: ids(c.city_items[:1]), c.district.id: ids(c.other_items)},  # another envelope
    lambda c: {None: ["424242"], c.district.id: ids(c.district_items[:1])},  # unknown id
    lambda c: {None: ids(c.city_items[:1]), c.district.id: ids(c.district_items[:1]),
               c.other_district.id: ids(c.other_items)},  # an envelope that is not theirs
], ids=["too-many", "too-few", "duplicate", "other-envelope", "unknown", "foreign-envelope"])
def test_bad_ballots_are_refused_with_nothing_written(city, db, bad):
    with pytest.raises(services.BallotInvalid) as refused:
        services.cast(city.voter, city.cycle, bad(city))
    assert refused.value.errors
    assert counts(db) == (0, 0, 0)
    db.session.expire_all()
    assert services.rules_of(city.cycle).frozen_at is None  # not even the rules froze


def test_another_cycles_project_is_refused(city, db):
    other = make_voting_city()
    with pytest.raises(services.BallotInvalid) as refused:
        services.cast(city.voter, city.cycle, {None: ids(other.city_items[:1]), city.district.id: []})
    assert "another budget" in str(refused.value.errors[None][0])
    assert counts(db) == (0, 0, 0)


def test_voting_is_refused_outside_the_voting_phase_by_the_server_clock(city, db, monkeypatch):
    after, before = later(16), later(-20)  # the results phase, the review phase
    monkeypatch.setattr(clock, "_now", after)
    with pytest.raises(NotAllowed, match="Voting is not open"):
        services.cast(city.voter, city.cycle, valid_choices(city))
    monkeypatch.setattr(clock, "_now", before)
    with pytest.raises(NotAllowed, match="Voting is not open"):
        services.cast(city.voter, city.cycle, valid_choices(city))
    assert counts(db) == (0, 0, 0)


def test_unconfirmed_and_suspended_accounts_cannot_vote(city, db):
    unconfirmed = make_user(confirmed=False, district=city.district)
    with pytest.raises(NotAllowed, match="confirm your email"):
        services.cast(unconfirmed, city.cycle, valid_choices(city))
    suspended = make_user(district=city.district, suspended_until=later(3)())
    with pytest.raises(NotAllowed, match="suspended"):
        services.cast(suspended, city.cycle, valid_choices(city))
    assert counts(db) == (0, 0, 0)


def test_cast_freezes_the_ballot_first_when_nobody_has(ctx):
    city = make_voting_city(frozen=False)
    assert city.city_items == []
    with pytest.raises(services.BallotInvalid):  # no ballot item could have been chosen before the freeze
        services.cast(city.voter, city.cycle, {None: ["1"]})
    assert city.cycle.ballot_frozen_at is not None
    items = services.voter_envelopes(city.cycle, city.voter)[0].items
    assert len(items) == 6


def test_default_rules_are_saved_and_frozen_by_the_first_ballot(ctx, db):
    city = make_voting_city(rules=False)
    assert services.rules_of(city.cycle) is None
    services.cast(city.voter, city.cycle, valid_choices(city))
    rules = services.rules_of(city.cycle)
    assert (rules.kind, rules.min_choices, rules.max_choices, rules.frozen_at is not None) == (
        BallotKind.APPROVAL, 1, 5, True)


def test_staff_record_votes_for_other_channels_and_the_audit_never_holds_choices(city, db):
    agent = make_user(Role.AGENT)
    voter = services.voter_for_account(city.voter)
    with pytest.raises(NotAllowed):  # a resident cannot record someone's phone vote, not even their own
        services.cast(city.voter, city.cycle, valid_choices(city), channel="phone", voter=voter)
    with pytest.raises(NotAllowed):
        services.cast(make_user(), city.cycle, valid_choices(city), channel="phone", voter=voter)
    with pytest.raises(ServiceError, match="for whom"):
        services.cast(agent, city.cycle, valid_choices(city), channel="phone")
    assert counts(db) == (0, 0, 0)
    services.cast(agent, city.cycle, valid_choices(city), channel="phone", voter=voter)
    participation = db.session.scalar(select(Participation))
    assert (participation.voter_key, participation.channel, participation.recorded_by_id) == (
        f"user:{city.voter.id}", VoteChannel.PHONE, agent.id)
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "vote.recorded")).all()
    assert entry.actor_id == agent.id
    for item in city.city_items[:2] + city.district_items[:1]:
        assert str(item.id) not in entry.details.replace(f"user:{city.voter.id}", "")
        assert item.title not in entry.details


def test_the_voter_is_not_the_actor(city, db):
    """On the web an account votes only for itself; the register is unique on the voter's key, whoever acts."""
    stranger = make_user(district=city.district)
    someone_else = services.voter_for_account(city.voter)
    with pytest.raises(NotAllowed, match="only vote for yourself"):
        services.cast(stranger, city.cycle, valid_choices(city), voter=someone_else)
    person = services.voter_for_census(make_census_entry("LIL-42", city.other_district))
    agent = make_user(Role.AGENT)
    services.cast(agent, city.cycle, {None: ids(city.city_items[:1]), city.other_district.id: ids(city.other_items)},
                  channel="paper", voter=person)
    assert services.participation_of(person, city.cycle).channel == VoteChannel.PAPER
    assert services.participation_of(city.voter, city.cycle) is None
    assert {b.district_id for b in db.session.scalars(select(Ballot))} == {None, city.other_district.id}
    with pytest.raises(ServiceError, match="already voted"):
        services.cast(make_user(Role.OFFICIAL), city.cycle, valid_choices(city), channel="phone", voter=person)


# --- Receipts --------------------------------------------------------------------------------------------------------

def test_only_the_receipts_hmac_is_stored(city, db, app):
    code = services.cast(city.voter, city.cycle, valid_choices(city))
    key = app.config["SECRET_KEY"].encode()
    for ballot in db.session.scalars(select(Ballot)):
        envelope_key = "city" if ballot.district_id is None else ballot.district_id
        expected = hmac.new(key, f"{city.cycle.id}|{envelope_key}|{code}".encode(), hashlib.sha256).hexdigest()
        assert ballot.receipt_hash == expected
    assert_nowhere_in_database(db, [code, code.replace("-", ""), code.replace("-", "").lower()])


def assert_nowhere_in_database(db, needles: list[str]) -> None:
    """No cell of any table contains any of ``needles``."""
    from app.extensions import db as _db

    for table in _db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            for value in row:
                text = str(value)
                assert not any(needle in text for needle in needles), f"found in {table.name}: {row}"


def test_receipt_codes_are_read_as_people_type_them(ctx):
    code = services.new_receipt_code()
    assert len(code.replace("-", "")) == 16 and len(services.RECEIPT_ALPHABET) == 32  # 80 bits
    assert services.normalise_receipt(f"  {code.lower().replace('-', ' ')} ") == code
    assert services.normalise_receipt("oooo-iiii-llll-0000") == "0000-1111-1111-0000"
    for bad in ("", "ABCD", "UUUU-UUUU-UUUU-UUUU", "ABCD-EFGH-JKMN-PQRS-T"):
        with pytest.raises(ServiceError, match="16 letters and digits"):
            services.normalise_receipt(bad)


def test_change_with_the_receipt_replaces_the_choices_and_keeps_one_participation(city, db):
    code = services.cast(city.voter, city.cycle, valid_choices(city))
    old_ids = {b.district_id: b.id for b in db.session.scalars(select(Ballot))}
    new = {None: ids(city.city_items[3:6]), city.district.id: ids(city.district_items[1:3])}
    services.change_ballot(city.voter, city.cycle, code.lower().replace("-", ""), new)
    db.session.expire_all()
    assert counts(db) == (1, 2, 5)
    ballots = {b.district_id: b for b in db.session.scalars(select(Ballot))}
    assert {b: ballots[b].id for b in ballots} == old_ids
    assert {c.ballot_item_id for c in ballots[None].choices} == {i.id for i in city.city_items[3:6]}
    assert {c.ballot_item_id for c in ballots[city.district.id].choices} == {i.id for i in city.district_items[1:]}


def test_change_refuses_bad_codes_bad_choices_and_strangers(city, db):
    code = services.cast(city.voter, city.cycle, valid_choices(city))
    before = {c.ballot_item_id for c in db.session.scalars(select(BallotChoice))}
    with pytest.raises(ServiceError, match="No ballot of this budget matches"):
        services.change_ballot(city.voter, city.cycle, services.new_receipt_code(), valid_choices(city))
    with pytest.raises(services.BallotInvalid):
        services.change_ballot(city.voter, city.cycle, code, {None: ids(city.city_items), city.district.id: []})
    with pytest.raises(ServiceError, match="not voted"):
        services.change_ballot(make_user(district=city.district), city.cycle, code, valid_choices(city))
    assert {c.ballot_item_id for c in db.session.scalars(select(BallotChoice))} == before


def test_change_is_refused_once_voting_has_closed(city, db, monkeypatch):
    code = services.cast(city.voter, city.cycle, valid_choices(city))
    monkeypatch.setattr(clock, "_now", later(16))
    with pytest.raises(NotAllowed, match="Voting is not open"):
        services.change_ballot(city.voter, city.cycle, code, {None: ids(city.city_items[4:5])})
    assert {c.ballot_item_id for c in db.session.scalars(select(BallotChoice))} == {
        int(i) for i in valid_choices(city)[None] + valid_choices(city)[city.district.id]}


def test_check_receipt_only_after_the_results(city, db, monkeypatch):
    code = services.cast(city.voter, city.cycle, valid_choices(city))
    with pytest.raises(NotAllowed, match="once the results"):
        services.check_receipt(city.cycle, code)
    monkeypatch.setattr(clock, "_now", later(16))
    found = services.check_receipt(city.cycle, code)
    assert [(b.label, [i.id for i in b.items]) for b in found] == [
        ("Whole city", [i.id for i in city.city_items[:2]]), ("Wazemmes", [city.district_items[0].id])]
    with pytest.raises(ServiceError, match="No ballot"):
        services.check_receipt(city.cycle, services.new_receipt_code())


# --- Rules ------------------------------------------------------------------------------------------------------------

def test_officials_set_the_rules_until_the_first_ballot(ctx, db, monkeypatch):
    city = make_voting_city(phase=PhaseKind.REVIEW)  # the ballot's projects frozen ahead of voting
    official = make_user(Role.OFFICIAL)
    with pytest.raises(NotAllowed):
        services.save_rules(make_user(Role.MODERATOR), city.cycle, "approval", 1, 3, None)
    rules = services.save_rules(official, city.cycle, "knapsack", 1, None, 40)
    assert (rules.kind, rules.max_choices, rules.min_share_percent) == (BallotKind.KNAPSACK, None, 40)
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "voting.rules_saved"))
    assert audit.actor_id == official.id
    services.save_rules(official, city.cycle, "approval", 1, 5, 40)
    assert services.rules_of(city.cycle).min_share_percent is None  # a share means nothing for approval
    monkeypatch.setattr(clock, "_now", later(16))  # voting opens
    services.cast(city.voter, city.cycle, valid_choices(city))
    with pytest.raises(ServiceError, match="can no longer change"):
        services.save_rules(official, city.cycle, "approval", 1, 3, None)
    rules = services.rules_of(city.cycle)
    db.session.refresh(rules)
    assert (rules.kind, rules.min_choices, rules.max_choices) == (BallotKind.APPROVAL, 1, 5)


def test_rules_edits_are_refused_even_if_only_a_ballot_exists(ctx, db):
    city = make_voting_city(rules=False)
    services.cast(city.voter, city.cycle, valid_choices(city))
    db.session.execute(BallotRules.__table__.update().values(frozen_at=None))
    with pytest.raises(ServiceError, match="can no longer change"):
        services.save_rules(make_user(Role.OFFICIAL), city.cycle, "approval", 0, 2, None)


@pytest.mark.parametrize(("values", "field"), [
    (("cumulative", 1, 5, None), "points_total"),
    (("nonsense", 1, 5, None), "kind"),
    (("approval", -1, 5, None), "min_choices"),
    (("approval", 1, None, None), "max_choices"),
    (("approval", 4, 3, None), "max_choices"),
    (("approval", 1, 0, None), "max_choices"),
    (("knapsack", 1, None, 101), "min_share_percent"),
])
def test_bad_rules_are_refused_on_their_field(city, db, values, field):
    with pytest.raises(ServiceError) as refused:
        services.save_rules(make_user(Role.OFFICIAL), city.cycle, *values)
    assert refused.value.field == field
    rules = services.rules_of(city.cycle)
    assert (rules.kind, rules.min_choices, rules.max_choices) == (BallotKind.APPROVAL, 1, 5)


# --- Demo ------------------------------------------------------------------------------------------------------------

def test_voting_demo_sets_lilles_rules_once(ctx, db):
    from app.voting.demo import DEMO_CYCLE, load_voting_demo

    assert load_voting_demo() is None  # no demo cycle yet
    city = make_voting_city(rules=False)
    city.cycle.slug = DEMO_CYCLE
    rules = load_voting_demo()
    assert (rules.cycle_id, rules.kind, rules.min_choices, rules.max_choices) == (
        city.cycle.id, BallotKind.APPROVAL, 1, 5)
    assert load_voting_demo() is None
