"""Paper ballots and voting codes use the ballot pages of every kind: points and grades entered at a polling
station or with a code, checked by the server (rule named, nothing written), recorded with their values."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import cache
from app.voting.models import BallotKind, Participation, PollingStation, VoteChannel, VotingCode
from tests.voting.conftest import counts, make_census_entry, make_voting_city
from tests.voting.test_codes_views import enter, generated_codes, token_in
from tests.voting.test_eligibility_views import paper_token, post, sign_in_at, text
from tests.voting.test_voting_kinds_views import field, receipt_in, stored

KINDS = {
    "points": {"kind": BallotKind.CUMULATIVE, "max_choices": None, "points_total": 10, "points_per_project": 3},
    "grades": {"kind": BallotKind.MAJORITY_JUDGMENT, "min_choices": 0, "max_choices": None},
}


@pytest.fixture(params=sorted(KINDS))
def kind(request):
    return request.param


@pytest.fixture
def city(kind, db, app):
    with app.app_context():
        cache.clear()  # the rate limits of code entry
    city = make_voting_city(**KINDS[kind])
    db.session.commit()
    return city


def bad_and_good(city, kind) -> tuple[dict, str, dict, dict]:
    """A ballot breaking the rules, the message naming the rule, a valid ballot and what it stores."""
    items = [(None, item) for item in city.city_items] + [(city.district.id, item) for item in city.district_items]
    if kind == "points":
        bad = {field(key, item): "3" for key, item in items[:4]}
        good = {field(None, city.city_items[0]): "3", field(None, city.city_items[1]): "1",
                field(city.district.id, city.district_items[0]): "2"}
        values = {None: {city.city_items[0].id: 3, city.city_items[1].id: 1},
                  city.district.id: {city.district_items[0].id: 2}}
        return bad, "You gave 12 points; you have 10.", good, values
    good = {field(key, item): str(n % 4) for n, (key, item) in enumerate(items)}
    values = {}
    for n, (key, item) in enumerate(items):
        values.setdefault(key, {})[item.id] = n % 4
    bad = dict(good)
    del bad[field(None, city.city_items[0])]
    return bad, "Please grade every project", good, values


def test_a_paper_ballot_of_points_or_grades(client, city, kind, db, login_as):
    station = PollingStation(cycle_id=city.cycle.id, name="Mairie de Wazemmes")
    db.session.add(station)
    entry = make_census_entry("LIL-88", city.district)
    db.session.commit()
    login_as(Role.AGENT, locale="en")
    console = sign_in_at(client, city, station)
    token = paper_token(text(post(client, console, {"identifier": "LIL-88"}, page=console)))
    html = text(post(client, f"/vote/{city.slug}", {"paper": token}))
    assert "Paper ballot" in html and f'name="{field(None, city.city_items[0])}"' in html
    bad, message, good, values = bad_and_good(city, kind)
    for step in ("review", "confirm"):
        refused = post(client, f"/vote/{city.slug}/{step}", {"paper": token, **bad})
        assert refused.status_code == 422 and message in text(refused) and paper_token(text(refused)) == token
    assert counts(db) == (0, 0, 0)
    review = post(client, f"/vote/{city.slug}/review", {"paper": token, **good})
    assert review.status_code == 200 and "Record this paper ballot" in text(review)
    response = post(client, f"/vote/{city.slug}/confirm", {"paper": token, **good})
    assert response.status_code == 200 and receipt_in(text(response))
    assert stored(db) == values
    [participation] = db.session.scalars(select(Participation)).all()
    assert (participation.voter_key, participation.channel) == (f"census:{entry.identifier_hash}", VoteChannel.PAPER)


def test_a_code_ballot_of_points_or_grades(client, city, kind, db, app):
    [code] = generated_codes(app, db, city, 1)
    html = text(enter(client, code))
    token = token_in(html)
    assert f'name="{field(None, city.city_items[0])}"' in html
    bad, message, good, values = bad_and_good(city, kind)
    for step in ("review", "confirm"):
        refused = post(client, f"/code/{step}", {"voting_code": token, **bad})
        assert refused.status_code == 422 and message in text(refused)
    assert counts(db) == (0, 0, 0) and db.session.scalar(select(VotingCode.used_on)) is None
    assert post(client, "/code/review", {"voting_code": token, **good}).status_code == 200
    response = post(client, "/code/confirm", {"voting_code": token, **good})
    assert response.status_code == 200 and receipt_in(text(response))
    assert stored(db) == values
    assert db.session.scalar(select(Participation.channel)) == VoteChannel.CODE
