"""Ballot kinds against the database: points and grades, the envelopes a voter votes in, bad ballots refused with
the rule named and nothing written, and what a receipt shows."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import ServiceError
from app.cycles.models import PhaseKind
from app.voting import services
from app.voting.models import Ballot, BallotKind, Grade
from tests.factories import make_user
from tests.voting.conftest import counts, ids, later, make_voting_city


def envelope(city, key, user=None):
    return next(e for e in services.voter_envelopes(city.cycle, user or city.voter, also=[key]) if e.key == key)


def texts(errors) -> list[str]:
    return [str(error) for error in errors]


def points_city(**rules):
    return make_voting_city(**{"kind": BallotKind.CUMULATIVE, "min_choices": 1, "max_choices": None,
                               "points_total": 10, "points_per_project": 3, **rules})


def grades_city():
    return make_voting_city(kind=BallotKind.MAJORITY_JUDGMENT, min_choices=0, max_choices=None)


def all_graded(items, grade=Grade.GOOD) -> dict:
    return {item.id: str(int(grade)) for item in items}


def stored(db) -> dict:
    """Envelope key -> {ballot item id: value} of every ballot in the database."""
    return {ballot.district_id: {c.ballot_item_id: c.value for c in ballot.choices}
            for ballot in db.session.scalars(select(Ballot))}


# --- Cumulative points -----------------------------------------------------------------------------------------------

def test_points_are_stored_as_given_and_projects_without_points_are_left_out(ctx, db):
    city = points_city()
    first, second, third = city.city_items[:3]
    services.cast(city.voter, city.cycle, {
        None: {first.id: "3", second.id: " 2 ", third.id: "0", city.city_items[3].id: ""},
        city.district.id: [(city.district_items[0].id, 3), (city.district_items[1].id, "3")],
    })
    assert stored(db) == {None: {first.id: 3, second.id: 2},
                          city.district.id: {city.district_items[0].id: 3, city.district_items[1].id: 3}}


def test_points_errors_name_the_rule_broken(ctx):
    city = points_city(max_choices=3)
    rules = services.rules_for(city.cycle)
    whole_city = envelope(city, None)
    items = city.city_items
    assert services.validate_choices(rules, whole_city, {items[0].id: "3", items[1].id: "3", items[2].id: "3"}) == []
    assert texts(services.validate_choices(rules, whole_city, {items[0].id: "3", items[1].id: "3",
                                                               items[2].id: "3", items[3].id: "3"})) == [
        "You gave 12 points; you have 10.",
        "You gave points to 4 projects; the maximum is 3."]
    assert texts(services.validate_choices(rules, whole_city, {items[0].id: "5"})) == [
        f"At most 3 points on one project: you gave 5 to “{items[0].title}”."]
    assert texts(services.validate_choices(rules, whole_city, {items[0].id: "-1", items[1].id: "deux"})) == [
        f"“-1” is not a number of points (project “{items[0].title}”): please give a whole number from 0 to 3.",
        f"“deux” is not a number of points (project “{items[1].title}”): please give a whole number from 0 to 3.",
        "You gave points to 0 projects; the minimum is 1."]
    assert texts(services.validate_choices(rules, whole_city, {})) == [
        "You gave points to 0 projects; the minimum is 1."]


def test_points_messages_use_real_plurals(ctx):
    city = points_city(points_total=1, points_per_project=1)
    rules = services.rules_for(city.cycle)
    items = city.city_items
    assert texts(services.validate_choices(rules, envelope(city, None), {items[0].id: "1", items[1].id: "1"})) == [
        "You gave 2 points; you have 1 point."]
    assert texts(services.validate_choices(rules, envelope(city, None), {items[0].id: "2"})) == [
        f"At most 1 point on one project: you gave 2 to “{items[0].title}”.",
        "You gave 2 points; you have 1 point."]
    assert services.rules_text(rules, envelope(city, None)) == (
        "You have 1 point to spread among these projects. At most 1 point on one project.")


# --- Majority judgment -----------------------------------------------------------------------------------------------

def test_every_project_gets_a_grade_and_every_grade_is_stored(ctx, db):
    city = grades_city()
    city_grades = {item.id: str(n % 4) for n, item in enumerate(city.city_items)}
    services.cast(city.voter, city.cycle, {None: city_grades,
                                           city.district.id: all_graded(city.district_items, Grade.TO_REJECT)})
    assert stored(db) == {None: {item_id: int(value) for item_id, value in city_grades.items()},
                          city.district.id: {item.id: 0 for item in city.district_items}}


def test_missing_and_unknown_grades_are_named(ctx):
    city = grades_city()
    rules = services.rules_for(city.cycle)
    district = envelope(city, city.district.id)
    first, second, third = city.district_items
    assert texts(services.validate_choices(rules, district, {first.id: "3", second.id: "0"})) == [
        f"Please grade every project: “{third.title}” has no grade."]
    assert texts(services.validate_choices(rules, district, {first.id: "3", second.id: ""})) == [
        f"Please grade every project: “{second.title}”, “{third.title}” have no grade."]
    assert texts(services.validate_choices(rules, district, {first.id: "4", second.id: "-1", third.id: "bien"})) == [
        f"“{first.title}”: “4” is not one of the grades.",
        f"“{second.title}”: “-1” is not one of the grades.",
        f"“{third.title}”: “bien” is not one of the grades."]


def test_grades_are_read_best_first_with_their_labels(ctx):
    assert services.grades() == [(3, "Excellent"), (2, "Good"), (1, "Acceptable"), (0, "To reject")]


# --- Bad ballots: refused, nothing written ---------------------------------------------------------------------------

def _bad_ballots():
    """(name, rules of the city, build(city) -> choices, a message expected among the errors)."""
    approval = {}
    knapsack = {"kind": BallotKind.KNAPSACK, "max_choices": None, "min_share_percent": 50}
    points = {"kind": BallotKind.CUMULATIVE, "max_choices": None, "points_total": 10, "points_per_project": 3}
    grades = {"kind": BallotKind.MAJORITY_JUDGMENT, "min_choices": 0, "max_choices": None}

    def home(city, whole_city, district=None):
        return {None: whole_city, city.district.id: district if district is not None else ids(city.district_items[:1])}

    def graded(city, whole_city):
        return {None: whole_city, city.district.id: all_graded(city.district_items)}

    return [
        ("too many", approval, lambda c: home(c, ids(c.city_items)), "You chose 6 projects; the maximum is 5."),
        ("too few", approval, lambda c: home(c, []), "You chose 0 projects; the minimum is 1."),
        ("duplicates", approval, lambda c: home(c, ids(c.city_items[:1]) * 2), "more than once"),
        ("another envelope", approval, lambda c: home(c, ids(c.other_items)), "belongs to another envelope"),
        ("another cycle", approval, lambda c: home(c, ids(make_voting_city().city_items[:1])),
         "is a project of another budget"),
        ("unknown id", approval, lambda c: home(c, ["99999999"]), "Project no. 99999999 is not on this ballot."),
        ("not an id", approval, lambda c: home(c, ["1; DROP"]), "is not a project of this ballot"),
        ("an envelope not theirs", approval, lambda c: {**home(c, ids(c.city_items[:1])),
                                                        c.other_district.id: ids(c.other_items)},
         "does not let you vote in another district"),
        ("over budget", knapsack, lambda c: home(c, ids(c.city_items[:1]), ids(c.district_items)),
         "more than the"),
        ("under the minimum share", knapsack, lambda c: home(c, ids(c.city_items[:4]), ids(c.district_items[:1])),
         "please choose projects worth at least"),
        ("points above the limit", points, lambda c: home(c, {c.city_items[0].id: "4"}, {}),
         "At most 3 points on one project"),
        ("negative points", points, lambda c: home(c, {c.city_items[0].id: "-2", c.city_items[1].id: "3"}, {}),
         "is not a number of points"),
        ("points over the total", points, lambda c: home(c, {i.id: "3" for i in c.city_items[:4]}, {}),
         "You gave 12 points; you have 10."),
        ("points to an unknown project", points, lambda c: home(c, {99999999: "1"}, {}), "not on this ballot"),
        ("points twice to a project", points,
         lambda c: home(c, [(c.city_items[0].id, "1"), (c.city_items[0].id, "2")], {}), "more than once"),
        ("a missing grade", grades, lambda c: graded(c, all_graded(c.city_items[1:])),
         f"“{c_title(0)}” has no grade"),
        ("a grade out of range", grades, lambda c: graded(c, {**all_graded(c.city_items), c.city_items[0].id: "4"}),
         "is not one of the grades"),
        ("a negative grade", grades, lambda c: graded(c, {**all_graded(c.city_items), c.city_items[0].id: "-1"}),
         "is not one of the grades"),
        ("a grade for another envelope's project", grades,
         lambda c: graded(c, {**all_graded(c.city_items), c.other_items[0].id: "3"}), "belongs to another envelope"),
    ]


def c_title(index: int) -> str:
    return f"Projet ville {index + 1}"


@pytest.mark.parametrize(("rules", "build", "expected"), [case[1:] for case in _bad_ballots()],
                         ids=[case[0] for case in _bad_ballots()])
def test_bad_ballots_are_refused_and_nothing_is_written(ctx, db, rules, build, expected):
    city = make_voting_city(**rules)
    before = counts(db)
    with pytest.raises(services.BallotInvalid) as refused:
        services.cast(city.voter, city.cycle, build(city))
    messages = [str(m) for problems in refused.value.errors.values() for m in problems]
    assert any(expected in message for message in messages), messages
    assert counts(db) == before == (0, 0, 0)


# --- Changing a ballot of points or grades ---------------------------------------------------------------------------

def test_changing_points_replaces_them_and_checks_them_again(ctx, db):
    city = points_city()
    first, second = city.city_items[:2]
    district_item = city.district_items[0]
    code = services.cast(city.voter, city.cycle, {None: {first.id: "3"}, city.district.id: {district_item.id: "2"}})
    with pytest.raises(services.BallotInvalid):
        services.change_ballot(city.voter, city.cycle, code, {None: {first.id: "3", second.id: "9"},
                                                              city.district.id: {district_item.id: "2"}})
    assert stored(db) == {None: {first.id: 3}, city.district.id: {district_item.id: 2}}
    services.change_ballot(city.voter, city.cycle, code, {None: {second.id: "2"},
                                                          city.district.id: {city.district_items[0].id: "1"}})
    assert stored(db) == {None: {second.id: 2}, city.district.id: {city.district_items[0].id: 1}}


def test_the_receipt_shows_points_and_grades(ctx, db, monkeypatch):
    city = grades_city()
    grades = {item.id: str(n % 4) for n, item in enumerate(city.city_items)}
    code = services.cast(city.voter, city.cycle, {None: grades, city.district.id: all_graded(city.district_items)})
    monkeypatch.setattr(clock, "_now", later(16))
    whole_city, district = services.check_receipt(city.cycle, code)
    assert {item.id: value for item, value in whole_city.entries} == {k: int(v) for k, v in grades.items()}
    assert {value for _item, value in district.entries} == {int(Grade.GOOD)}


# --- One other district ----------------------------------------------------------------------------------------------

def test_a_voter_may_add_one_other_district_where_the_rules_allow_it(ctx, db, monkeypatch):
    city = make_voting_city(other_district=True)
    assert services.other_districts(city.cycle, city.voter) == [(city.other_district.id, "Fives")]
    envelopes = services.voter_envelopes(city.cycle, city.voter, also=[city.other_district.id])
    assert [(e.key, e.added) for e in envelopes] == [(None, False), (city.district.id, False),
                                                     (city.other_district.id, True)]
    code = services.cast(city.voter, city.cycle, {None: ids(city.city_items[:1]),
                                                  city.district.id: ids(city.district_items[:1]),
                                                  city.other_district.id: ids(city.other_items)})
    assert set(stored(db)) == {None, city.district.id, city.other_district.id}
    monkeypatch.setattr(clock, "_now", later(16))
    assert [b.label for b in services.check_receipt(city.cycle, code)] == ["Whole city", "Fives", "Wazemmes"]


def test_without_the_rule_another_district_is_refused_clearly(ctx, db):
    city = make_voting_city()
    with pytest.raises(services.BallotInvalid) as refused:
        services.cast(city.voter, city.cycle, {None: ids(city.city_items[:1]),
                                               city.district.id: ids(city.district_items[:1]),
                                               city.other_district.id: ids(city.other_items)})
    assert texts(refused.value.errors[city.other_district.id]) == [
        "This budget does not let you vote in another district than yours: you vote for the whole city and for "
        "your own district only."]
    assert counts(db) == (0, 0, 0)


def test_only_one_other_district(ctx, db):
    from app.cycles.models import Envelope
    from app.proposals.models import ProposalStatus
    from app.review.services import freeze_ballot
    from tests.factories import make_district, make_proposal

    city = make_voting_city(other_district=True, frozen=False)
    third = make_district("Lille-Centre")
    city.cycle.envelopes.append(Envelope(district=third, amount_cents=50_000_00))
    make_proposal(city.cycle, status=ProposalStatus.FEASIBLE, title="Projet Centre", district=third,
                  city_cost_cents=10_000_00)
    db.session.flush()
    freeze_ballot(None, city.cycle)
    envelopes = services.voter_envelopes(city.cycle, city.voter, also=[city.other_district.id, third.id])
    centre = next(e for e in envelopes if e.key == third.id)
    fives = next(e for e in envelopes if e.key == city.other_district.id)
    errors = services.validate_ballot(services.rules_for(city.cycle), envelopes, {
        None: ids(city.city_items[:1]), city.district.id: ids(city.district_items[:1]),
        fives.key: ids(fives.items), centre.key: ids(centre.items)})
    assert texts(errors[centre.key]) == ["You can vote in only one district besides your own."]
    assert fives.key not in errors


# --- Rules of each kind ----------------------------------------------------------------------------------------------

def test_officials_set_points_and_grades_ballots(ctx, db):
    city = make_voting_city(phase=PhaseKind.REVIEW)
    official = make_user(Role.OFFICIAL)
    rules = services.save_rules(official, city.cycle, "cumulative", 1, None, 40, points_total=10,
                                points_per_project=4, other_district=True)
    assert (rules.kind, rules.points_total, rules.points_per_project, rules.min_share_percent,
            rules.other_district) == (BallotKind.CUMULATIVE, 10, 4, None, True)
    rules = services.save_rules(official, city.cycle, "majority_judgment", 3, 5, None, points_total=10,
                                points_per_project=4)
    # Every project gets a grade: no number of projects, no points.
    assert (rules.kind, rules.min_choices, rules.max_choices, rules.points_total, rules.other_district) == (
        BallotKind.MAJORITY_JUDGMENT, 0, None, None, False)


@pytest.mark.parametrize(("points_total", "points_per_project", "field"), [
    (None, 3, "points_total"), (0, 1, "points_total"), (1001, 3, "points_total"),
    (10, None, "points_per_project"), (10, 0, "points_per_project"), (10, 11, "points_per_project"),
])
def test_bad_points_rules_are_refused_on_their_field(ctx, db, points_total, points_per_project, field):
    city = make_voting_city(phase=PhaseKind.REVIEW)
    with pytest.raises(ServiceError) as refused:
        services.save_rules(make_user(Role.OFFICIAL), city.cycle, "cumulative", 1, None, None,
                            points_total=points_total, points_per_project=points_per_project)
    assert refused.value.field == field
    assert services.rules_of(city.cycle).kind == BallotKind.APPROVAL


def test_the_database_refuses_points_rules_that_make_no_sense(ctx, db):
    from sqlalchemy.exc import IntegrityError

    from app.voting.models import BallotRules

    city = make_voting_city(rules=False, frozen=False)
    for values in ({"points_total": None, "points_per_project": None}, {"points_total": 5, "points_per_project": 6},
                   {"points_total": 0, "points_per_project": 0}):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(BallotRules(cycle_id=city.cycle.id, kind=BallotKind.CUMULATIVE, min_choices=1, **values))
            db.session.flush()
