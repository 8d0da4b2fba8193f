"""The ballot pages for points, grades and another district, through the test client (no JavaScript): each step
checked again by the server, the rule broken named, the receipt and the change of a vote."""

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.accounts.models import Role
from app.core import clock
from app.proposals.models import ProposalImage
from app.voting import services
from app.voting.models import Ballot, BallotKind
from tests.conftest import csrf_token, login
from tests.voting.conftest import counts, ids, later, make_voting_city

EN = {"Accept-Language": "en"}


def post(client, path: str, data: dict | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=EN)


def receipt_in(html: str) -> str:
    match = re.search(r'class="receipt-code"><code>([0-9A-Z-]{19})</code>', html)
    assert match, html[:3000]
    return match.group(1)


def stored(db) -> dict:
    db.session.expire_all()
    return {ballot.district_id: {c.ballot_item_id: c.value for c in ballot.choices}
            for ballot in db.session.scalars(select(Ballot))}


def field(envelope_key, item) -> str:
    return f"{'citywide' if envelope_key is None else f'district_{envelope_key}'}-{item.id}"


def signed_in(client, db, **rules):
    city = make_voting_city(**rules)
    city.voter.locale = "en"
    db.session.commit()
    login(client, city.voter)
    return city


@pytest.fixture
def points(client, db):
    return signed_in(client, db, kind=BallotKind.CUMULATIVE, max_choices=None, points_total=10, points_per_project=3)


@pytest.fixture
def grades(client, db):
    return signed_in(client, db, kind=BallotKind.MAJORITY_JUDGMENT, min_choices=0, max_choices=None)


def test_a_points_ballot_from_first_page_to_receipt_and_change(client, db, points):
    city, slug = points, points.slug
    html = client.get(f"/vote/{slug}", headers=EN).get_data(as_text=True)
    assert "You have 10 points to spread among these projects. At most 3 points on one project." in html
    for item in city.city_items + city.district_items:
        assert f'name="{field(item.district_id, item)}"' in html
    assert html.count('type="number"') == 9 and 'max="3"' in html and "data-points-left" in html
    first, second, third, fourth = city.city_items[:4]
    district_item = city.district_items[0]

    too_many = {field(None, i): "3" for i in (first, second, third, fourth)} | {field(city.district.id,
                                                                                       district_item): "5"}
    response = post(client, f"/vote/{slug}/review", too_many)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "You gave 12 points; you have 10." in html
    assert f"At most 3 points on one project: you gave 5 to “{district_item.title}”." in html
    assert f'name="{field(None, first)}" value="3"' in html  # the points typed come back
    assert counts(db) == (0, 0, 0)

    chosen = {field(None, first): "3", field(None, second): "1", field(None, third): "",
              field(city.district.id, district_item): "2"}
    response = post(client, f"/vote/{slug}/review", chosen)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Check your ballot" in html
    assert "You gave 4 points in all, out of 10." in html and "3 points" in html and "1 point<" in html
    assert f'type="hidden" name="{field(None, first)}" value="3"' in html
    assert f'name="{field(None, third)}"' not in html  # no points, not on the ballot
    response = post(client, f"/vote/{slug}/confirm", chosen)
    code = receipt_in(response.get_data(as_text=True))
    assert stored(db) == {None: {first.id: 3, second.id: 1}, city.district.id: {district_item.id: 2}}

    html = post(client, f"/vote/{slug}/change", {"code": code}).get_data(as_text=True)
    assert f'name="{field(None, first)}" value="3"' in html and f'name="{field(None, third)}" value=""' in html
    changed = {"receipt": code, field(None, fourth): "3", field(city.district.id, district_item): "1"}
    assert post(client, f"/vote/{slug}/confirm", changed).status_code == 302
    assert stored(db) == {None: {fourth.id: 3}, city.district.id: {district_item.id: 1}}


def test_a_grades_ballot_names_the_project_without_a_grade(client, db, grades):
    city, slug = grades, grades.slug
    html = client.get(f"/vote/{slug}", headers=EN).get_data(as_text=True)
    assert "Give each of these projects one grade, from “Excellent” to “To reject”" in html
    assert html.count('type="radio"') == 4 * 9
    assert all(label in html for label in ("Excellent", "Good", "Acceptable", "To reject"))
    everything = {field(i.district_id, i): "2" for i in city.city_items + city.district_items}
    missing = city.city_items[4]
    response = post(client, f"/vote/{slug}/review", {**everything, field(None, missing): ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Please grade every project: “{missing.title}” has no grade." in html
    assert html.count("grade-field grade-missing") == 1 and "This project has no grade yet." in html
    response = post(client, f"/vote/{slug}/confirm", {**everything, field(None, missing): "7"})
    assert response.status_code == 422 and "is not one of the grades" in response.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)

    graded = {**everything, field(None, missing): "0", field(None, city.city_items[0]): "3"}
    html = post(client, f"/vote/{slug}/review", graded).get_data(as_text=True)
    assert "To reject" in html and "Excellent" in html and html.count('type="hidden" name="citywide-') == 6
    code = receipt_in(post(client, f"/vote/{slug}/confirm", graded).get_data(as_text=True))
    values = stored(db)
    assert values[None][missing.id] == 0 and values[None][city.city_items[0].id] == 3
    assert set(values[city.district.id].values()) == {2}

    html = post(client, f"/vote/{slug}/change", {"code": code}).get_data(as_text=True)
    assert len(re.findall(r'type="radio" name="[^"]+" value="\d" checked', html)) == 9


def test_the_receipt_check_shows_points(client, db, points, monkeypatch):
    city = points
    code = services.cast(city.voter, city.cycle, {None: {city.city_items[0].id: 3},
                                                  city.district.id: {city.district_items[0].id: 1}})
    db.session.commit()
    monkeypatch.setattr(clock, "_now", later(16))
    html = post(client, f"/vote/{city.slug}/receipt", {"code": code}).get_data(as_text=True)
    assert re.search(r"3 points</strong>", html) and re.search(r"1 point</strong>", html)


def test_voting_in_one_other_district_where_the_rules_allow_it(client, db):
    city = signed_in(client, db, other_district=True)
    other = city.other_district.id
    html = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert "Vote in another district too" in html and f'<option value="{other}">Fives</option>' in html
    assert "Projects for Fives" not in html
    html = client.get(f"/vote/{city.slug}?also={other}", headers=EN).get_data(as_text=True)
    assert "Projects for Fives" in html and "The other district you chose." in html
    assert f'<input type="hidden" name="also" value="{other}">' in html
    ballot = {"also": str(other), "citywide": ids(city.city_items[:1]),
              f"district_{city.district.id}": ids(city.district_items[:1]), f"district_{other}": ids(city.other_items)}
    html = post(client, f"/vote/{city.slug}/review", ballot).get_data(as_text=True)
    assert "Projects for Fives" in html and f'name="also" value="{other}"' in html
    assert post(client, f"/vote/{city.slug}/confirm", ballot).status_code == 200
    assert set(stored(db)) == {None, city.district.id, other}


def test_another_district_is_refused_clearly_when_the_rules_do_not_allow_it(client, db):
    city = signed_in(client, db)
    other = city.other_district.id
    html = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert "Vote in another district too" not in html
    response = client.get(f"/vote/{city.slug}?also={other}", headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This budget does not let you vote in another district than yours" in html
    assert "Projects for Fives" not in html
    ballot = {"also": str(other), "citywide": ids(city.city_items[:1]),
              f"district_{city.district.id}": ids(city.district_items[:1]), f"district_{other}": ids(city.other_items)}
    for step in ("review", "confirm"):
        response = post(client, f"/vote/{city.slug}/{step}", ballot)
        assert response.status_code == 422
        assert "does not let you vote in another district" in response.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)
    response = client.get(f"/vote/{city.slug}?also=999999", headers=EN)
    assert response.status_code == 422 and "There is no vote in this district" in response.get_data(as_text=True)


def test_the_ballot_shows_each_projects_photo_with_its_alt_text(client, db):
    city = signed_in(client, db)
    proposal = city.city_items[0].proposal
    db.session.add(ProposalImage(proposal_id=proposal.id, position=1, token="tok-photo-2", content_type="image/png",
                                 width=640, height=480, alt="Le banc de près", data=b"\x89PNG"))
    db.session.add(ProposalImage(proposal_id=proposal.id, position=0, token="tok-photo-1", content_type="image/png",
                                 width=640, height=480, alt="Un banc sous un arbre", data=b"\x89PNG"))
    db.session.commit()
    html = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert '<img class="item-photo" src="/proposals/images/tok-photo-1" alt="Un banc sous un arbre"' in html
    assert html.count('class="item-photo"') == 1  # the first photo of one project: the others have none
    assert f"Theme: {proposal.category.name_en}</span>" in html


def test_a_summary_written_in_markdown_reads_as_plain_text_on_the_ballot(client, db):
    city = signed_in(client, db)
    city.city_items[0].summary = "**Deux bancs** rue Saint-Sauveur (face à l’école) : [le plan](https://lille.fr)"
    city.city_items[1].summary = "<script>alert(1)</script> _à l’ombre_"
    db.session.commit()
    html = client.get(f"/vote/{city.slug}", headers=EN).get_data(as_text=True)
    assert '<p class="item-summary">Deux bancs rue Saint-Sauveur (face à l’école) : le plan</p>' in html
    assert '<p class="item-summary">&lt;script&gt;alert(1)&lt;/script&gt; à l’ombre</p>' in html
    assert "**" not in html and "<script>alert" not in html


def test_officials_choose_points_on_the_rules_page(client, db, login_as, monkeypatch):
    city = make_voting_city()
    db.session.commit()
    monkeypatch.setattr(clock, "_now", later(-16))  # before voting opens
    login_as(Role.OFFICIAL, locale="en")
    path = f"/vote/{city.slug}/rules"
    html = client.get(path, headers=EN).get_data(as_text=True)
    with force_locale("en"):
        explanations = [services.kind_explanation(kind) for kind in BallotKind]
    assert all(explanation in html for explanation in explanations)
    response = post(client, path, {"kind": "cumulative", "min_choices": "1", "points_total": "10"})
    assert response.status_code == 422
    assert "the most points one project may receive" in response.get_data(as_text=True)
    response = post(client, path, {"kind": "cumulative", "min_choices": "1", "points_total": "10",
                                   "points_per_project": "4", "other_district": "y"})
    assert response.status_code == 302
    rules = services.rules_of(city.cycle)
    db.session.refresh(rules)
    assert (rules.kind, rules.points_total, rules.points_per_project, rules.other_district) == (
        BallotKind.CUMULATIVE, 10, 4, True)
    html = client.get(path, headers=EN).get_data(as_text=True)
    assert "one other district of their choice" in html


# --- Bad ballots through the pages ------------------------------------------------------------------------------------

# Cases a form cannot express: a field is read once per project of the envelope, so a second value or a field for
# a project elsewhere is never read (the service tests cover them).
NOT_A_FORM = {"points to an unknown project", "points twice to a project", "a grade for another envelope's project"}


def _form_cases():
    from tests.voting.test_voting_kinds import _bad_ballots

    return [case for case in _bad_ballots() if case[0] not in NOT_A_FORM]


def as_form(city, choices: dict) -> dict:
    """The fields a browser would send for ``choices`` (envelope key -> ids, or item id -> value)."""
    data = {}
    for key, chosen in choices.items():
        name = "citywide" if key is None else f"district_{key}"
        if key not in (None, city.district.id):
            data["also"] = str(key)
        if isinstance(chosen, dict):
            data.update({f"{name}-{item_id}": value for item_id, value in chosen.items()})
        else:
            data[name] = list(chosen)
    return data


@pytest.mark.parametrize(("rules", "build", "expected"), [case[1:] for case in _form_cases()],
                         ids=[case[0] for case in _form_cases()])
def test_bad_ballots_are_refused_by_the_pages_with_the_rule_named(client, db, rules, build, expected):
    city = signed_in(client, db, **rules)
    data = as_form(city, build(city))
    db.session.commit()
    for step in ("review", "confirm"):
        response = post(client, f"/vote/{city.slug}/{step}", data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, step
        assert 'class="error-summary"' in html and expected in html, step
    assert counts(db) == (0, 0, 0)
